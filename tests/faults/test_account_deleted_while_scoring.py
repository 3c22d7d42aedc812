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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_mark_taken_during_a_deletion_waits_for_it_to_commit(default_scorecard):
    """A deletion moves the sequence before it commits: a mark taken meanwhile must wait, so
    that the accounts read after it no longer hold the deleted one."""
    account = AccountFactory()
    deleting, release = threading.Event(), threading.Event()

    def delete() -> None:
        try:
            with transaction.atomic():
                account.delete()
                deleting.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    deleter = threading.Thread(target=delete)
    deleter.start()
    assert deleting.wait(timeout=30)
    marks: list[tuple] = []
    marker = threading.Thread(target=lambda: (marks.append(deletions_mark()), connection.close()))
    marker.start()
    marker.join(timeout=1.0)
    assert marker.is_alive(), "the mark was taken while the deletion was under way"
    release.set()
    deleter.join(timeout=30)
    marker.join(timeout=30)
    assert not type(account).objects.filter(pk=account.pk).exists()
    with transaction.atomic():
        assert accounts_deleted_since(marks[0]) is False  # the deletion came before the mark
