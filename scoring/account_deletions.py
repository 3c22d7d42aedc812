"""Account deletions and snapshot writes kept apart, now that the snapshots' foreign keys have
no database constraint (see `HealthSnapshot`).

A recompute reads the active accounts, then writes their snapshots; an account deleted in
between would keep the snapshots written after its deletion. So on PostgreSQL a deletion of
accounts takes an exclusive advisory lock for its transaction and moves a sequence; a write
of snapshots takes the lock shared inside its transaction, which waits for a deletion under
way to commit and holds later ones off until the write commits (their cascade then finds its
rows). If the sequence moved since the accounts were read, the write leaves out the accounts
that are gone. A scorecard's deletion does the same (PROTECT spares only one that has
scored already).
"""

from django.db import connection, connections, transaction

SEQUENCE = "scoring_account_deletions"
LOCK = 0x6873_6E61  # the advisory lock's key ("hsna")


def _postgres(alias: str = "default") -> bool:
    return connections[alias].vendor == "postgresql"


def deletions_mark() -> tuple | None:
    """Where the deletions' sequence stands: taken before the accounts are read, under the
    lock, so that a deletion under way (which moved the sequence already) has committed
    first and the accounts read next do not hold it."""
    if not _postgres():
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK])
        cursor.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")  # noqa: S608  # nosec B608 - a constant
        return cursor.fetchone()


def accounts_deleted_since(mark: tuple | None) -> bool:
    """Inside a write's transaction: take the lock shared, then say whether an account was
    deleted since `mark`. Elsewhere than on PostgreSQL there is nothing to tell by: yes (the
    look that follows is cheap on the small books SQLite holds)."""
    if not _postgres() or mark is None:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK])
        cursor.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")  # noqa: S608  # nosec B608 - a constant
        return cursor.fetchone() != tuple(mark)


def account_deleting(sender, instance, using, **kwargs) -> None:
    """pre_delete of an Account or a Scorecard (the snapshots' other key): wait for the
    snapshot writes under way, hold off new ones until this deletion commits, and say one
    went."""
    if not _postgres(using):
        return
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        cursor.execute("SELECT nextval(%s)", [SEQUENCE])
