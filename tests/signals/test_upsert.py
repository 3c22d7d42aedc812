"""bulk_upsert's binary COPY (PostgreSQL): values of other Python types than a column's own go
through the field as a save() would; text needs no escaping; a deadlock is told apart."""

from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from django.db import OperationalError

from accounts.models import Account
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
