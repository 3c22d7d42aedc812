"""CSV exports: no cell a spreadsheet would run as a formula, in every CSV the app writes (the
book, every report table, `export_health`), while numbers stay numbers."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from scoring.current_health import current_scores_refresh
from scoring.exporting import csv_safe
from tests.factories import (
    AccountFactory,
    SubscriptionLineFactory,
    SurveyResponseFactory,
    stored_snapshot,
)

TODAY = date(2026, 6, 30)
EVIL = '=HYPERLINK("http://evil.example","Open")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        ("-1e5", "-1e5"),
        ("Acme = good", "Acme = good"),
        ("", ""),
        (-5, -5),
        (Decimal("-12.50"), Decimal("-12.50")),
        (None, None),
    ],
)
def test_cells_starting_like_a_formula_are_quoted_and_numbers_are_not(cell, written):
    assert csv_safe(cell) == written


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False):
        yield TODAY


@pytest.fixture
def as_manager(client, manager, default_scorecard):
    client.force_login(manager)
    return client


def rows(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content)))


def test_the_book_csv_quotes_an_account_name_that_is_a_formula(as_manager):
    account = AccountFactory(name=EVIL)  # active today: the book lists customers
    SubscriptionLineFactory(account=account, start_date=date(2026, 1, 1), end_date=None)
    stored_snapshot(account, 50, day=TODAY, colour="yellow")
    current_scores_refresh()  # as the recompute that writes snapshots does
    (row,) = rows(as_manager.get("/accounts/", {"format": "csv"}).content.decode("utf-8-sig"))
    assert row["name"] == "'" + EVIL
    assert row["score"] == "50.0"


def test_the_nps_comments_csv_quotes_a_planted_formula(as_manager):
    account = AccountFactory(name="Acme")
    SubscriptionLineFactory(account=account, start_date=date(2026, 1, 1), end_date=None)
    SurveyResponseFactory(account=account, responded_on=date(2026, 5, 2), score=0, comment=EVIL)
    response = as_manager.get(
        "/reports/nps/", {"from": "2026-05", "to": "2026-05", "format": "csv", "table": "comments"}
    )
    (row,) = rows(response.content.decode("utf-8-sig"))
    assert row["comment"] == "'" + EVIL
    assert row["score"] == "0"


def test_the_churn_reasons_csv_quotes_a_reason_and_keeps_money_numeric(as_manager):
    account = AccountFactory(churned_on=date(2026, 5, 10), churn_reason="@evil")
    SubscriptionLineFactory(
        account=account, mrr=Decimal("400"), start_date=date(2026, 1, 1), end_date=None
    )
    response = as_manager.get(
        "/reports/churn/", {"from": "2026-05", "to": "2026-05", "format": "csv", "table": "reasons"}
    )
    (row,) = rows(response.content.decode("utf-8-sig"))
    assert (row["reason"], row["accounts"], row["mrr_lost"]) == ("'@evil", "1", "400.00")


def test_export_health_quotes_names_and_keeps_scores(db, default_scorecard):
    account = AccountFactory(external_id="-X1", name="-cmd")
    stored_snapshot(account, 40, day=TODAY, colour="yellow")
    out = StringIO()
    call_command("export_health", "--date", TODAY.isoformat(), stdout=out)
    (row,) = rows(out.getvalue())
    assert (row["external_id"], row["name"], row["score"]) == ("'-X1", "'-cmd", "40.0")
