"""European CSV: `;` between cells (sniffed), decimal commas, DD.MM.YYYY and other date formats
when told; and the mapping proposed for a file of foreign column names."""

from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from signals.formats import CsvFormat, comma_decimal, sniff_delimiter
from signals.importing import csv_import
from signals.kinds import KINDS
from signals.mapping import Mapping, Source, propose
from signals.models import Invoice, Ticket, UsageRecord
from tests.factories import AccountFactory


@pytest.fixture
def acme(db):
    return AccountFactory(external_id="ACME-001", owner=None)


def run(kind, text, **options):
    return csv_import(kind=kind, raw=text.encode(), source="eu.csv", **options)


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("account,date,metric,value", ","),
        ("account;date;metric;value", ";"),
        ('"a;b",date,metric', ","),  # a ; inside quotes does not count
        ("account\tdate\tmetric", "\t"),
        ("account", ","),
    ],
)
def test_the_delimiter_is_sniffed_from_the_header(line, delimiter):
    assert sniff_delimiter(line) == delimiter


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("12,5", "12.5"),
        ("1.234,56", "1234.56"),
        ("1 234,5", "1234.5"),
        ("1\u00a0234", "1234"),
        ("1.234", "1234"),
        ("1.5", "1.5"),
        ("42", "42"),
        ("abc", "abc"),
    ],
)
def test_decimal_comma_cells(cell, text):
    assert comma_decimal(cell) == text


def test_a_semicolon_file_with_decimal_commas_imports(acme):
    result = run("usage", "account;date;metric;value\nACME-001;2026-11-01;hours;12,5\n")
    assert result.ok, result.error_lines()
    assert UsageRecord.objects.get().value == 12.5


def test_decimal_commas_and_dd_mm_yyyy_when_told(acme):
    text = (
        "account;invoice_number;issued_on;due_on;paid_on;amount\n"
        "ACME-001;INV-1;01.10.2026;31.10.2026;;1.234,50\n"
    )
    result = run("invoices", text, fmt=CsvFormat(date_format="dmy_dot"))
    assert result.ok, result.error_lines()
    invoice = Invoice.objects.get()
    assert (invoice.issued_on, invoice.due_on, invoice.amount) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        Decimal("1234.50"),
    )


def test_dates_in_the_wrong_format_say_which_format_was_expected(acme):
    result = run(
        "usage",
        "account;date;metric;value\nACME-001;2026-11-01;logins;3\nACME-001;31.02.2026;logins;3\n",
        fmt=CsvFormat(date_format="dmy_dot"),
    )
    assert result.error_lines() == [
        "eu.csv:2: date: '2026-11-01' is not a date; use DD.MM.YYYY",
        "eu.csv:3: date: '31.02.2026' is not a date; use DD.MM.YYYY",
    ]
    assert not UsageRecord.objects.exists()


@pytest.mark.parametrize(
    ("fmt", "cell"), [("mdy_slash", "11/30/2026"), ("dmy_slash", "30/11/2026")]
)
def test_slashed_date_formats(acme, fmt, cell):
    result = run(
        "usage",
        f"account,date,metric,value\nACME-001,{cell},logins,1\n",
        fmt=CsvFormat(date_format=fmt),
    )
    assert result.ok, result.error_lines()
    assert UsageRecord.objects.get().date == date(2026, 11, 30)


def test_date_times_in_dd_mm_yyyy_are_utc(acme):
    text = (
        "account;ticket_id;opened_at;first_response_at\n"
        "ACME-001;T-1;10.11.2026 09:15;10.11.2026 9:40:30\n"
    )
    result = run("tickets", text, fmt=CsvFormat(date_format="dmy_dot"))
    assert result.ok, result.error_lines()
    ticket = Ticket.objects.get()
    assert ticket.opened_at == datetime(2026, 11, 10, 9, 15, tzinfo=UTC)
    assert ticket.first_response_at == datetime(2026, 11, 10, 9, 40, 30, tzinfo=UTC)


def test_a_comma_file_keeps_the_decimal_point(acme):
    result = run("usage", 'account,date,metric,value\nACME-001,2026-11-01,hours,"12,5"\n')
    assert result.error_lines() == ["eu.csv:2: value: '12,5' is not a number"]


def test_the_command_takes_the_formats(acme, tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text('account,date,metric,value\nACME-001,30.11.2026,hours,"2,5"\n')
    out = StringIO()
    call_command(
        "import_csv", "usage", str(path), "--date-format", "dmy_dot", "--decimal-comma", stdout=out
    )
    assert "1 of 1 usage row(s) imported" in out.getvalue()
    assert UsageRecord.objects.values_list("date", "value").get() == (date(2026, 11, 30), 2.5)


def test_the_command_refuses_an_unknown_date_format(acme, tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("account,date,metric,value\n")
    with pytest.raises(CommandError, match="invalid choice: 'dd.mm'"):
        call_command("import_csv", "usage", str(path), "--date-format", "dd.mm")


def test_a_mapping_is_proposed_from_names_synonyms_and_values():
    header = ["Customer ID", "Event Name", "When", "Count", "Notes"]
    samples = [
        ["cus_1", "login", "2026-11-01 10:00", "3", "x"],
        ["cus_2", "export", "2026-11-02 08:00", "1", ""],
    ]
    mapping = propose(KINDS["usage"], header, samples)
    assert mapping.fields == {
        "account": Source(column="Customer ID"),
        "date": Source(column="When", transform="date"),  # by its values: date-times, so the day
        "metric": Source(column="Event Name"),
        "value": Source(column="Count"),
    }


def test_a_mapping_round_trips_through_json():
    mapping = Mapping(
        "tickets",
        {"account": Source(column="Org"), "csat": Source(column="Score", values={"good": "5"})},
        CsvFormat(delimiter=";", date_format="dmy_dot", decimal_comma=True),
    )
    assert Mapping.from_dict(mapping.as_dict()) == mapping


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"kind": "nope"}, "unknown kind 'nope'"),
        ({"kind": "usage", "fields": {"colour": "x"}}, "usage has no field 'colour'"),
        (
            {"kind": "usage", "fields": {"value": {"column": "v", "transform": "x"}}},
            "unknown transform 'x'",
        ),
        ({"kind": "usage", "format": {"date_format": "roman"}}, "unknown CSV format"),
    ],
)
def test_a_bad_mapping_is_refused_saying_why(spec, reason):
    with pytest.raises(ValueError, match=reason):
        Mapping.from_dict(spec)
