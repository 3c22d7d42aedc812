"""bulk_upsert's binary COPY (PostgreSQL): values of other Python types than a column's own go
through the field as a save() would; text needs no escaping; a deadlock is told apart."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import repeat

import psycopg
import pytest
from django.db import OperationalError, connection
from psycopg.copy import LibpqWriter

from accounts.models import Account
from scoring.models import HealthSnapshot
from signals import upsert
from signals.models import SubscriptionLine, Ticket
from signals.upsert import bulk_upsert, is_write_conflict
from tests.factories import AccountFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LINE_COLUMNS = [
    "account_id",
    "subscription_id",
    "product",
    "mrr",
    "start_date",
    "end_date",
    "is_trial",
]


def test_values_of_other_types_are_converted_by_their_field():
    account = AccountFactory()
    rows = [
        (account.pk, "S-1", "Pro", Decimal("10.50"), date(2026, 1, 1), None, False),
        # The id as text, money as a float, a day as text, a flag as a number:
        (str(account.pk), "S-2", 77, 12.25, date(2026, 1, 2), "2026-02-01", 1),
        (account.pk, "S-3", "Pro\tplus\\n\nnew", 7, date(2026, 1, 3), None, True),  # COPY escapes
    ]
    counts = bulk_upsert(
        SubscriptionLine, LINE_COLUMNS, rows, key=["subscription_id", "start_date"], update=["mrr"]
    )
    assert (counts.created, counts.updated) == (3, 0)
    got = SubscriptionLine.objects.order_by("subscription_id").values_list(
        "subscription_id", "product", "mrr", "start_date", "end_date", "is_trial"
    )
    assert list(got) == [
        ("S-1", "Pro", Decimal("10.50"), date(2026, 1, 1), None, False),
        ("S-2", "77", Decimal("12.25"), date(2026, 1, 2), date(2026, 2, 1), True),
        ("S-3", "Pro\tplus\\n\nnew", Decimal("7.00"), date(2026, 1, 3), None, True),
    ]
    # Again, one value changed: the staging path (COPY into the temporary table).
    rows[0] = (account.pk, "S-1", "Pro", Decimal("11"), date(2026, 1, 1), None, False)
    counts = bulk_upsert(
        SubscriptionLine, LINE_COLUMNS, rows, key=["subscription_id", "start_date"], update=["mrr"]
    )
    assert (counts.created, counts.updated) == (0, 1)
    assert SubscriptionLine.objects.get(subscription_id="S-1").mrr == Decimal("11.00")


def test_a_time_without_a_zone_is_utc_and_nulls_stay_null():
    account = AccountFactory()
    columns = ["account_id", "ticket_id", "opened_at", "resolved_at", "csat"]
    aware = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    rows = [
        (account.pk, "T-1", aware, None, None),
        (account.pk, "T-2", datetime(2026, 1, 1, 9, 30), aware, 5),  # no zone: UTC
    ]
    bulk_upsert(Ticket, columns, rows, key=["ticket_id"], update=["resolved_at"])
    first, second = Ticket.objects.order_by("ticket_id")
    assert (first.opened_at, first.resolved_at, first.csat) == (aware, None, None)
    assert (second.opened_at, second.resolved_at, second.csat) == (aware, aware, 5)


def test_new_accounts_get_their_model_defaults():
    counts = bulk_upsert(
        Account,
        ["external_id", "name"],
        [("U-1", "Upserted")],
        key=["external_id"],
        update=["name"],
    )
    assert counts.created == 1
    account = Account.objects.get(external_id="U-1")
    assert account.created_at is not None


def test_a_deadlock_is_a_write_conflict_and_other_errors_are_not():
    def wrapped(cause: Exception) -> OperationalError:
        error = OperationalError(str(cause))
        error.__cause__ = cause
        return error

    assert is_write_conflict(wrapped(psycopg.errors.DeadlockDetected()))
    assert is_write_conflict(wrapped(psycopg.errors.SerializationFailure()))
    assert not is_write_conflict(wrapped(psycopg.errors.QueryCanceled()))
    assert not is_write_conflict(OperationalError("no cause"))


# ---------------------------------------------------------------- the COPY data, byte for byte


def _reference_copy(table, into, columns):
    """The COPY as it was first written: every value through its column type's dumper by
    write_row, no value dumped ahead."""
    values = [upsert._copy_values(f, c)[0] for f, c in zip(table.given, columns, strict=True)]
    filled = [repeat(upsert._copy_values(f, [v])[0][0]) for f, v in table.filled]
    sql = f"COPY {into} ({table.column_list}) FROM STDIN (FORMAT BINARY)"
    types = table.copy_types
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.set_types(types)
        for row in zip(*values, *filled, strict=False):
            copy.write_row(row)


def _sent_and_stored(monkeypatch, model, names, rows, copy):
    """(bytes sent, rows stored) of a COPY of `rows` into the model's staging table, by the
    reference and by `copy` (their new rows' timestamps the same)."""
    u = upsert.Upsert(model, columns=names, key=names[:1], update=[])
    return [_sent(monkeypatch, u.table, rows, write) for write in (_reference_copy, copy)]


def _sent(monkeypatch, table, rows, copy):
    sent = bytearray()
    write = LibpqWriter.write

    def recording(self, data):
        sent.extend(data)
        write(self, data)

    upsert._create_stage(table)
    with monkeypatch.context() as patch:
        patch.setattr(LibpqWriter, "write", recording)
        copy(table, table.stage, upsert._transposed(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table.stage}")  # noqa: S608
        stored = cursor.fetchall()
        cursor.execute(f"DROP TABLE {table.stage}")
    return bytes(sent), stored


TEXTS = ["", "tab\there", "new\nline", "back\\slash", "Ünïcödé ✓ 日本", "x" * 50]
SNAPSHOT_COLUMNS = [
    "account_id",
    "date",
    "score",
    "colour",
    "coverage",
    "critical_override",
    "mrr",
    "scorecard_id",
    "scorecard_version",
    "parts",
]


def _snapshot_rows(mrr_values):
    return [
        (
            i,
            date(2026, 1, 1) + timedelta(days=i % 3),
            None if i % 5 == 0 else i / 7,
            ["green", "yellow", "red"][i % 3],  # few distinct: dumped once each
            i / 40,
            TEXTS[i % 2] if i < 60 else TEXTS[i % len(TEXTS)],
            mrr_values[i % len(mrr_values)],
            2**40 + i,
            i % 2,
            bytes([i % 256, 0]) if i % 4 else b"",  # NUL bytes, empty
        )
        for i in range(80)
    ]


@pytest.mark.parametrize(
    "mrr",
    [
        # Equal amounts of other exponents, and whole numbers, are written apart.
        [Decimal("1.0"), Decimal("1.00"), Decimal("0"), 0, 7, Decimal("-12.50")],
        [Decimal("1.0"), Decimal("1.00"), Decimal("99999.99"), Decimal("0.00")],
        [Decimal(i) / 7 for i in range(80)],  # mostly distinct: dumped one by one
    ],
)
def test_copy_sends_what_write_row_sends_value_by_value(monkeypatch, mrr):
    rows = _snapshot_rows(mrr)
    names = SNAPSHOT_COLUMNS
    old, new = _sent_and_stored(monkeypatch, HealthSnapshot, names, rows, upsert._copy)
    assert new[0] == old[0]
    assert new[1] == old[1]
    assert len(new[1]) == len(rows)


def test_copy_sends_the_same_bytes_for_other_column_types(monkeypatch):
    aware = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    lines = [
        (1, f"S-{i}", TEXTS[i % len(TEXTS)], Decimal("10.5"), date(2026, 1, 1), None, i % 2 == 0)
        for i in range(40)
    ]
    tickets = [
        (1, f"T-{i}", aware + timedelta(hours=i), None if i % 3 else aware, i % 6 or None)
        for i in range(40)
    ]
    accounts = [(f"U-{i}", TEXTS[i % len(TEXTS)] or "n") for i in range(40)]  # with defaults
    for model, names, rows in (
        (SubscriptionLine, LINE_COLUMNS, lines),
        (Ticket, ["account_id", "ticket_id", "opened_at", "resolved_at", "csat"], tickets),
        (Account, ["external_id", "name"], accounts),
    ):
        old, new = _sent_and_stored(monkeypatch, model, names, rows, upsert._copy)
        assert new == old, model


def test_rows_written_again_are_upserted_and_counted():
    account = AccountFactory()
    rows = [
        (account.pk, f"S-{i}", "Pro", Decimal(i), date(2026, 1, 1), None, False) for i in range(5)
    ]
    key = ["subscription_id", "start_date"]
    assert bulk_upsert(SubscriptionLine, LINE_COLUMNS, rows, key=key, update=["mrr"]).created == 5
    rows[2] = (*rows[2][:3], Decimal(99), *rows[2][4:])
    rows.append((account.pk, "S-9", "Pro", Decimal(9), date(2026, 1, 1), None, False))
    counts = bulk_upsert(SubscriptionLine, LINE_COLUMNS, rows, key=key, update=["mrr"])
    assert (counts.created, counts.updated) == (1, 1)
    assert SubscriptionLine.objects.get(subscription_id="S-2").mrr == Decimal(99)
    assert SubscriptionLine.objects.count() == 6
