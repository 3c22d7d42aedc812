"""An account deleted while a recompute writes snapshots, against real PostgreSQL: the
snapshots have no foreign-key constraint, so the deletion waits for the write under way to
commit, and its cascade then takes the rows that write made (scoring.account_deletions)."""

import threading
import time

import pytest
from django.db import connection, transaction

from scoring.account_deletions import accounts_deleted_since, deletions_mark
from scoring.models import HealthSnapshot
from tests.factories import AccountFactory, stored_snapshot


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deletion_waits_for_the_snapshot_write_under_way(default_scorecard):
    account = AccountFactory()
    mark = deletions_mark()
    deleted_at: list[float] = []

    def delete() -> None:
        try:
            account.delete()
            deleted_at.append(time.monotonic())
        finally:
            connection.close()  # this thread's own connection

    with transaction.atomic():
        assert accounts_deleted_since(mark) is False  # the lock is now held, shared
        deleter = threading.Thread(target=delete)
        deleter.start()
        deleter.join(timeout=1.0)
        assert deleter.is_alive(), "the deletion did not wait for the write"
        stored_snapshot(account, 80.0)  # written after the account was read
        committed_at = time.monotonic()
    deleter.join(timeout=30)
    assert deleted_at and deleted_at[0] >= committed_at
    assert not HealthSnapshot.objects.filter(account_id=account.pk).exists()
    with transaction.atomic():
        assert accounts_deleted_since(mark) is True  # the next write looks for the gone
