"""Bulk writes: the same rows through the API and through a CSV file give the same result and
the same error text; a request with one bad row writes nothing; upserts are idempotent."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from api.ingest import MAX_ROWS
from signals.importing import csv_import
from signals.models import Invoice, SentimentEntry, SubscriptionLine, Ticket, UsageRecord
from surveys.models import SurveyResponse
from tests.factories import AccountFactory, UsageRecordFactory, work_callbacks

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(db):
    return [AccountFactory(external_id=f"ACME-{n}", owner=None) for n in range(3)]


def as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode()


def csv_reasons(kind: str, rows: list[dict]) -> list[tuple[int, str, str]]:
    """(row index, column, reason) of each error of the CSV import of `rows`."""
    result = csv_import(kind=kind, raw=as_csv(rows), source="f.csv")
    return [(e.line - 2, e.column, e.reason) for e in result.errors]  # line 2 is row 0


def api_reasons(response) -> list[tuple[int, str, str]]:
    return [(e["index"], e["field"], e["reason"]) for e in response.json()["errors"]]


# Bad rows as a CSV file and a JSON client would both send them (values as text).
BAD_ROWS = [
    ("usage", {"account": "ACME-0", "date": "2026-06-30", "metric": "logins", "value": "-1"}),
    ("usage", {"account": "ACME-0", "date": "30/06/2026", "metric": "logins", "value": "1"}),
    ("usage", {"account": "NOPE-9", "date": "2026-06-30", "metric": "logins", "value": "1"}),
    ("usage", {"account": "ACME-0", "date": "2026-06-30", "metric": "", "value": "1"}),
    ("usage", {"account": "ACME-0", "date": "2026-06-30", "metric": "x" * 65, "value": "1"}),
    (
        "subscriptions",
        {
            "account": "ACME-0",
            "subscription_id": "s1",
            "product": "Core",
            "mrr": "10.005",
            "start_date": "2026-02-01",
            "end_date": "2026-01-01",
        },
    ),
    (
        "invoices",
        {
            "account": "ACME-0",
            "invoice_number": "I-1",
            "issued_on": "2026-06-10",
            "due_on": "2026-06-01",
            "amount": "12.50",
        },
    ),
    (
        "tickets",
        {
            "account": "ACME-0",
            "ticket_id": "T-1",
            "priority": "urgent",
            "opened_at": "2026-06-20T09:00:00",
            "csat": "6",
        },
    ),
    ("emails", {"account": "ACME-0", "message_id": "m-1", "sent_at": "yesterday"}),
    (
        "nps",
        {
            "account": "ACME-0",
            "respondent": "not-an-email",
            "responded_on": "2026-06-01",
            "score": "11",
        },
    ),
    ("sentiment", {"account": "ACME-0", "recorded_on": "2026-06-01", "sentiment": "purple"}),
    ("accounts", {"external_id": "ACME-7", "name": "Seven", "segment": "galactic"}),
    ("accounts", {"external_id": "ACME-7", "name": "Seven", "owner": "nobody-by-that-name"}),
    ("accounts", {"external_id": "ACME-7", "name": "Seven", "licensed_seats": "many"}),
]


@pytest.mark.parametrize(
    ("kind", "row"), BAD_ROWS, ids=[f"{k}-{n}" for n, (k, _) in enumerate(BAD_ROWS)]
)
def test_the_same_bad_row_gives_the_same_message_through_csv_and_api(
    kind, row, accounts, manager_client
):
    good = {k: v for k, v in row.items()}
    through_csv = csv_reasons(kind, [row])
    response = manager_client.post(f"/api/v1/{kind}/", [good], format="json")
    assert response.status_code == 400
    assert through_csv  # the row is bad for the CSV import too
    assert api_reasons(response) == through_csv


def test_json_numbers_and_booleans_read_as_their_csv_text(accounts, manager_client):
    # 3 and "3", -1 and "-1", true and "true": the same cell, the same answer.
    row = {"account": "ACME-0", "date": "2026-06-30", "metric": "logins", "value": -1}
    response = manager_client.post("/api/v1/usage/", row, format="json")
    assert api_reasons(response) == [(0, "value", "-1 is negative; it must be 0 or more")]
    assert api_reasons(response) == csv_reasons("usage", [{**row, "value": "-1"}])
    line = {
        "account": "ACME-0",
        "subscription_id": "s1",
        "product": "Core",
        "mrr": 99.5,
        "start_date": "2026-01-01",
        "end_date": None,
        "is_trial": True,
    }
    assert manager_client.post("/api/v1/subscriptions/", [line], format="json").status_code == 200
    saved = SubscriptionLine.objects.get()
    assert (saved.mrr, saved.end_date, saved.is_trial) == (Decimal("99.50"), None, True)


def test_a_bulk_request_with_one_bad_row_writes_nothing(accounts, manager_client):
    UsageRecordFactory(account=accounts[0], date=date(2026, 6, 1), value=5)
    before = list(UsageRecord.objects.values_list())
    rows = [
        {"account": "ACME-0", "date": f"2026-06-{day:02d}", "metric": "logins", "value": day}
        for day in range(1, 29)
    ]
    rows[17]["value"] = "lots"
    response = manager_client.post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "1 error(s); nothing was written.",
        "errors": [{"index": 17, "field": "value", "reason": "'lots' is not a number"}],
    }
    assert list(UsageRecord.objects.values_list()) == before  # not even the row to update


def test_every_bad_row_is_listed_with_its_index_field_and_reason(accounts, manager_client):
    rows = [
        {"account": "ACME-0", "date": "2026-06-01", "metric": "logins", "value": 1},
        {"account": "ACME-0", "date": "2026-13-01", "metric": "logins", "value": 1},
        {"account": "GONE", "date": "2026-06-01", "metric": "logins", "value": 1},
        {"account": "ACME-0", "date": "2026-06-01", "metric": "logins", "value": 2},
        "not a row",
        {"account": "ACME-1", "date": "2026-06-01", "metric": ["logins"], "value": 1},
    ]
    response = manager_client.post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 400
    # The request is checked in two passes, like a file: what cannot be a cell at all first.
    assert api_reasons(response) == [
        (4, "(row)", "must be an object of field: value"),
        (5, "metric", "must be text, a number, true, false or null"),
    ]
    response = manager_client.post("/api/v1/usage/", rows[:4], format="json")
    assert api_reasons(response) == [
        (1, "date", "'2026-13-01' is not a date; use YYYY-MM-DD"),
        (2, "account", "unknown account 'GONE'"),
        (3, "account, metric, date", "repeats the key of row 0"),
    ]
    assert not UsageRecord.objects.exists()


def test_unknown_and_missing_fields_are_refused_as_the_csv_header_is(accounts, manager_client):
    row = {"account": "ACME-0", "day": "2026-06-01", "metric": "logins", "value": 1}
    response = manager_client.post("/api/v1/usage/", [row], format="json")
    reasons = api_reasons(response)
    through_csv = csv_import(kind="usage", raw=as_csv([row]), source="f.csv").errors
    assert reasons == [(None, e.column, e.reason) for e in through_csv]
    assert reasons == [
        (None, "day", "unknown column; usage files take: account, date, metric, value"),
        (None, "date", "required column is missing"),
    ]


def test_posting_the_same_rows_twice_changes_nothing(accounts, manager_client):
    rows = [
        {"account": a.external_id, "date": "2026-06-30", "metric": m, "value": 3}
        for a in accounts
        for m in ("logins", "reports")
    ]
    first = manager_client.post("/api/v1/usage/", rows, format="json")
    assert first.json() == {"kind": "usage", "rows": 6, "created": 6, "updated": 0, "unchanged": 0}
    stored = list(UsageRecord.objects.order_by("pk").values_list())
    again = manager_client.post("/api/v1/usage/", rows, format="json")
    assert again.json() == {"kind": "usage", "rows": 6, "created": 0, "updated": 0, "unchanged": 6}
    assert list(UsageRecord.objects.order_by("pk").values_list()) == stored
    rows[0]["value"] = 4
    changed = manager_client.post("/api/v1/usage/", rows, format="json")
    assert changed.json() == {
        "kind": "usage",
        "rows": 6,
        "created": 0,
        "updated": 1,
        "unchanged": 5,
    }


def test_a_field_left_out_of_every_row_is_not_touched(accounts, manager_client):
    account = accounts[0]
    account.segment, account.licensed_seats = "enterprise", 80
    account.save()
    response = manager_client.post(
        "/api/v1/accounts/", {"external_id": "ACME-0", "name": "Acme Renamed"}, format="json"
    )
    assert response.json()["updated"] == 1
    account.refresh_from_db()
    assert (account.name, account.segment, account.licensed_seats) == (
        "Acme Renamed",
        "enterprise",
        80,
    )


def test_a_field_left_out_of_some_rows_is_blank_on_those(accounts, manager_client):
    rows = [
        {
            "account": "ACME-0",
            "invoice_number": "I-1",
            "issued_on": "2026-06-01",
            "due_on": "2026-06-30",
            "paid_on": "2026-06-20",
            "amount": "10.00",
        },
        {
            "account": "ACME-0",
            "invoice_number": "I-2",
            "issued_on": "2026-06-01",
            "due_on": "2026-06-30",
            "amount": "20.00",
        },
    ]
    assert manager_client.post("/api/v1/invoices/", rows, format="json").status_code == 200
    assert dict(Invoice.objects.values_list("invoice_number", "paid_on")) == {
        "I-1": date(2026, 6, 20),
        "I-2": None,
    }


def test_every_kind_round_trips_what_it_reads(accounts, manager_client):
    """What a list returns can be posted back unchanged (ids and read-only fields aside)."""
    payloads = {
        "tickets": {
            "account": "ACME-1",
            "ticket_id": "T-9",
            "subject": "Export broken",
            "priority": "high",
            "opened_at": "2026-06-20T09:00:00Z",
            "first_response_at": "2026-06-20T10:30:00Z",
            "resolved_at": None,
            "csat": None,
        },
        "nps": {
            "account": "ACME-1",
            "respondent": "Pat@Customer.example",
            "responded_on": "2026-06-15",
            "score": 6,
            "comment": "slow exports",
        },
        "sentiment": {
            "account": "ACME-1",
            "recorded_on": "2026-06-29",
            "sentiment": "yellow",
            "note": "new champion",
            "author": None,
        },
    }
    for kind, row in payloads.items():
        assert manager_client.post(f"/api/v1/{kind}/", row, format="json").status_code == 200
        read = manager_client.get(f"/api/v1/{kind}/").json()["results"][0]
        read.pop("id")
        again = manager_client.post(f"/api/v1/{kind}/", read, format="json")
        assert again.json()["unchanged"] == 1, kind
    assert Ticket.objects.get().priority == "high"
    assert SurveyResponse.objects.get().respondent == "pat@customer.example"  # as the CSV does
    assert SentimentEntry.objects.get().sentiment == "yellow"


def test_more_than_ten_thousand_rows_are_refused(accounts, manager_client):
    row = {"account": "ACME-0", "date": "2026-06-30", "metric": "logins", "value": 1}
    response = manager_client.post("/api/v1/usage/", [row] * (MAX_ROWS + 1), format="json")
    assert response.status_code == 400
    assert api_reasons(response) == [(None, "(request)", "has 10,001 rows; send at most 10,000")]


def test_ten_thousand_rows_in_one_request_are_fine(accounts, manager_client):
    rows = [
        {"account": f"ACME-{n % 3}", "date": "2026-06-30", "metric": f"m{n}", "value": n}
        for n in range(MAX_ROWS)
    ]
    response = manager_client.post("/api/v1/usage/", rows, format="json")
    assert response.json()["created"] == MAX_ROWS
    assert UsageRecord.objects.count() == MAX_ROWS


def test_text_the_database_cannot_hold_is_refused_not_a_crash(accounts, manager_client):
    # JSON can carry a NUL or a lone surrogate; neither can be stored as text.
    body = (
        '[{"account": "ACME-0", "date": "2026-06-30", "metric": "log\\u0000ins", "value": 1},'
        ' {"account": "ACME-0", "date": "2026-06-30", "metric": "\\ud800", "value": 1}]'
    )
    response = manager_client.post("/api/v1/usage/", body, content_type="application/json")
    assert api_reasons(response) == [
        (0, "metric", "contains a NUL character, which text cannot hold"),
        (1, "metric", "is not valid Unicode text"),
    ]


@pytest.mark.parametrize("body", ['"just text"', "42", "null", "{broken", '{"a": NaN}'], ids=str)
def test_a_body_that_is_not_rows_is_a_400(body, manager_client):
    response = manager_client.post("/api/v1/usage/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_body_that_is_not_json_is_a_415(manager_client):
    response = manager_client.post("/api/v1/usage/", "account,date\n", content_type="text/csv")
    assert response.status_code == 415


@pytest.fixture
def rescored(monkeypatch):
    """The rescoring each request asked for (`recompute_on_commit`: after the commit)."""
    calls = []
    monkeypatch.setattr("api.ingest.recompute_on_commit", lambda ids, day: calls.append((ids, day)))
    return calls


def test_touched_accounts_are_rescored_today(accounts, manager_client, rescored):
    rows = [
        {"account": "ACME-2", "date": "2026-06-30", "metric": "logins", "value": 1},
        {"account": "ACME-0", "date": "2026-06-30", "metric": "logins", "value": 1},
    ]
    manager_client.post("/api/v1/usage/", rows, format="json")
    assert rescored == [(sorted([accounts[0].pk, accounts[2].pk]), timezone.localdate())]


def test_new_accounts_are_rescored_too(manager_client, rescored):
    response = manager_client.post(
        "/api/v1/accounts/", [{"external_id": "NEW-1", "name": "New"}], format="json"
    )
    assert response.json()["created"] == 1
    assert rescored == [([Account.objects.get(external_id="NEW-1").pk], timezone.localdate())]


def test_a_refused_request_rescores_nothing(accounts, manager_client, rescored):
    manager_client.post("/api/v1/usage/", [{"account": "ACME-0"}], format="json")
    assert rescored == []


def test_the_rescoring_waits_for_the_commit(
    accounts, manager_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        row = {"account": "ACME-0", "date": "2026-06-30", "metric": "logins", "value": 1}
        manager_client.post("/api/v1/usage/", row, format="json")
    # queued for the commit, not sent from inside the transaction
    assert len(work_callbacks(callbacks)) == 1


def test_an_ingest_token_writes_any_account_and_reads_only_its_result(callers, book):
    ingest = callers["ingest"]
    rows = [
        {"account": "ACC-OWN", "date": "2026-06-01", "metric": "logins", "value": 1},
        {"account": "ACC-OTHER", "date": "2026-06-01", "metric": "logins", "value": 2},
    ]
    response = ingest.post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "usage",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert ingest.get("/api/v1/usage/").status_code == 403


# ---------------------------------------------------------------- hardening (issue 15)


@pytest.mark.parametrize(
    ("endpoint", "row", "field", "reason"),
    [
        (
            "tickets",
            {
                "account": "ACME-0",
                "ticket_id": "T-9",
                "opened_at": "2026-06-20T09:00:00Z",
                "resolved_at": "9999-12-31T23:30:00-15:00",
            },
            "resolved_at",
            "'9999-12-31T23:30:00-15:00' is outside 1900-01-01 – 2199-12-31 (in UTC)",
        ),
        (
            "emails",
            {"account": "ACME-0", "message_id": "m-9", "sent_at": "9999-12-31T23:59:59Z"},
            "sent_at",
            "'9999-12-31T23:59:59Z' is outside 1900-01-01 – 2199-12-31 (in UTC)",
        ),
        (
            "usage",
            {"account": "ACME-0", "date": "0001-01-01", "metric": "logins", "value": 1},
            "date",
            "'0001-01-01' is outside 1900-01-01 – 2199-12-31",
        ),
    ],
)
def test_dates_outside_the_window_are_a_400_and_the_lists_still_read(
    accounts, manager_client, endpoint, row, field, reason
):
    response = manager_client.post(f"/api/v1/{endpoint}/", row, format="json")
    assert response.status_code == 400
    assert api_reasons(response) == [(0, field, reason)]
    assert manager_client.get(f"/api/v1/{endpoint}/").status_code == 200


@pytest.mark.parametrize("depth", [950, 100_000])
def test_deeply_nested_json_is_a_400(manager_client, depth):
    body = "[" * depth + "]" * depth
    response = manager_client.post("/api/v1/sentiment/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "JSON parse error - the body is nested too deeply."


def test_a_row_with_many_unknown_fields_gives_a_short_error(accounts, manager_client):
    row = {"account": "ACME-0", "date": "2026-06-30", "metric": "logins", "value": 1}
    row.update((f"f{n}", 1) for n in range(100_000))  # about 1 MB, under the body limit
    response = manager_client.post("/api/v1/usage/", row, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"].endswith(", f19 … and 99,980 more")
    assert len(response.content) < 1000
