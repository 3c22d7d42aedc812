"""CSV downloads open correctly in spreadsheets: a UTF-8 BOM, and for readers whose language
writes a decimal comma a ";" variant with decimal commas; the column keys never change."""

import csv
import io

import pytest

from tests.factories import UserFactory
from tests.workspace.test_book import customer, snap, today  # noqa: F401 - today: a fixture

pytestmark = pytest.mark.django_db
KEYS = ["external_id", "name", "owner", "segment", "colour", "override", "score", "trend_7d"]


@pytest.fixture
def book(client, default_scorecard):
    manager = UserFactory(role="manager", language="fr")
    client.force_login(manager)
    snap(customer(manager, name="Škoda Servis", mrr="1234.50"), 71.25, mrr="1234.50")
    return client


def test_the_book_csv_starts_with_a_bom_and_keeps_english_keys_in_any_language(book):
    raw = book.get("/accounts/", {"format": "csv"}).content

    assert raw.startswith("\ufeff".encode())
    [row] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(row)[: len(KEYS)] == KEYS
    assert (row["name"], row["mrr"], row["score"]) == ("Škoda Servis", "1234.50", "71.2")


def test_the_spreadsheet_csv_uses_semicolons_and_decimal_commas(book):
    raw = book.get("/accounts/", {"format": "csv", "spreadsheet": "1"}).content

    assert raw.startswith("\ufeff".encode())
    [row] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert list(row)[: len(KEYS)] == KEYS
    assert (row["mrr"], row["score"], row["renewal_on"]) == ("1234,50", "71,2", "")


def test_the_spreadsheet_csv_is_offered_where_the_language_writes_a_decimal_comma(book, client):
    french = book.get("/accounts/").content.decode()
    assert "spreadsheet=1" in french

    client.force_login(UserFactory(role="manager", language="en"))
    english = client.get("/accounts/").content.decode()
    assert "Download CSV" in english and "spreadsheet=1" not in english


def test_report_csvs_have_the_bom_and_the_spreadsheet_variant(book):
    plain = book.get("/reports/portfolio/", {"format": "csv"}).content
    sheet = book.get("/reports/portfolio/", {"format": "csv", "spreadsheet": "1"}).content

    assert plain.startswith("\ufeff".encode()) and sheet.startswith("\ufeff".encode())
    plain_head = plain.decode("utf-8-sig").splitlines()[0]
    assert plain_head.split(",") == sheet.decode("utf-8-sig").splitlines()[0].split(";")
