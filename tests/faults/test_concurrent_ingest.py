"""Many clients posting overlapping rows at once, against real PostgreSQL: every request
succeeds (no deadlock reaches a client), and each row is there once with a value one of them
sent."""

import random
import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.tokens import TokenKind, token_issue
from signals.models import UsageRecord
from signals.upsert import retry_on_conflict
from tests.factories import AccountFactory, UsageRecordFactory

CLIENTS = 12
SECONDS = 8
DAYS = 15
METRICS = ("logins", "reports_created")


def rows_of(accounts: list[str], rng: random.Random) -> list[dict]:
    """Every client writes the same keys with values of its own, in an order of its own: the
    order in which two transactions would lock the rows differs, as in a deadlock."""
    rows = [
        {
            "account": account,
            "date": str(date(2026, 6, 1) + timedelta(days=day)),
            "metric": metric,
            "value": rng.randint(0, 1000),
        }
        for account in accounts
        for day in range(DAYS)
        for metric in METRICS
    ]
    rng.shuffle(rows)
    return rows


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_ingest_never_deadlocks_a_client(broker):
    accounts = [AccountFactory(external_id=f"ACME-{n}", owner=None).external_id for n in range(5)]
    keys = [token_issue(name=f"sync {n}", kind=TokenKind.INGEST)[1] for n in range(CLIENTS)]
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client_loop(number: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys[number]}")
        rng = random.Random(number)
        try:
            while time.monotonic() < deadline:
                response = client.post("/api/v1/usage/", rows_of(accounts, rng), format="json")
                with lock:
                    answers.append((response.status_code, response.content.decode()))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)

    failed = [(status, body[:300]) for status, body in answers if status != 200]
    assert len(answers) >= CLIENTS * 2, "too few requests to have overlapped"
    assert not failed, f"{len(failed)} of {len(answers)} requests failed: {failed[:3]}"
    assert UsageRecord.objects.count() == len(accounts) * DAYS * len(METRICS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_that_deadlocks_is_run_again_and_both_writes_land():
    """Two writers lock two rows in opposite orders (what sorting prevents within one table,
    but not between a CSV chunk and the next, or between tables): PostgreSQL aborts one, and
    retry_on_conflict runs it again once the other has committed."""
    first, second = UsageRecordFactory(value=1).pk, UsageRecordFactory(value=2).pk
    both_hold_one = threading.Barrier(2, timeout=30)
    attempts = {"ab": 0, "ba": 0}
    errors = []

    def writer(name: str, order: tuple[int, int]) -> None:
        def write() -> None:
            attempts[name] += 1
            with transaction.atomic():
                UsageRecord.objects.filter(pk=order[0]).update(value=10)
                if attempts[name] == 1:
                    both_hold_one.wait()  # each holds its first row: now take the other's
                UsageRecord.objects.filter(pk=order[1]).update(value=20)

        try:
            retry_on_conflict(write, what=name)
        except Exception as exc:  # reported below, with the thread's name
            errors.append((name, exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=writer, args=("ab", (first, second))),
        threading.Thread(target=writer, args=("ba", (second, first))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(attempts.values()) == [1, 2]  # PostgreSQL aborted one; it ran again
