"""Keep the book's current-health rows (`CurrentHealth`) in step with the snapshots.

`current_scores_refresh` rewrites, for some accounts or all, everything scoring and the apps
below it know: the latest snapshot on or before the day, the trends against 7 and 30 days
before it, the renewal date, the run of subscription lines in force, the owner and the names
the book sorts by. It is one INSERT ... SELECT ... ON CONFLICT, whatever the number of
accounts. The override in force and the open tasks belong to the workspace, which writes them
(`workspace.current_health`); this keeps the colour they make up in step on both sides.

The SQL is written for PostgreSQL and SQLite alike (correlated subqueries instead of LATERAL,
window functions, a far date instead of 'infinity').

Every write to the rows also changes their version (`current_health_changed`), under which
reads over the whole book — the book's summary strip — are cached (`current_health_version`).
"""

import time
from collections.abc import Iterable, Iterator
from datetime import date

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, User
from scoring.events import colour_watch
from scoring.models import CurrentHealth, HealthSnapshot
from signals.models import SubscriptionLine

FAR = date(9999, 12, 31)  # stands for "no end" in the arithmetic of runs
IDS_PER_STATEMENT = 900  # below SQLite's limit on parameters

# The book's risk order: red first, grey (no data) without a rank so that it sorts last.
COLOUR_RANK_SQL = (
    "CASE {c} WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 WHEN 'green' THEN 2 ELSE NULL END"
)


VERSION_KEY = "current-health:version"


def current_health_version() -> int | None:
    """A number that changes with every write to the current-health rows, for the key of a
    read of them kept in the cache; None when the cache is down (read the rows instead). It
    starts from the clock, not 1, so that a version lost with Redis's memory never names
    figures cached under the one lost."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        if not cache.add(VERSION_KEY, version, timeout=None):  # another process was first
            version = cache.get(VERSION_KEY)
    return version


def current_health_changed() -> None:
    """Say that the current-health rows changed: at once, and again once the transaction has
    committed, since a read between the two may have cached the figures from before it."""
    current_health_version_bump()
    transaction.on_commit(current_health_version_bump)


def current_health_version_bump() -> None:
    """A new version, now (`current_health_changed` is what writes call)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version (never read, or evicted): a new one from the clock
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def rows_written(cursor) -> int:
    """How many rows the statement just run wrote. Python's sqlite3 counts none (-1) for one
    that starts with WITH, so SQLite's own count is asked for then."""
    if cursor.rowcount >= 0:
        return cursor.rowcount
    cursor.execute("SELECT changes()")
    return cursor.fetchone()[0]


def _days_before(column: str, days: int) -> str:
    if connection.vendor == "sqlite":
        return f"date({column}, '-{days} days')"
    return f"({column} - {days})"


def scope_sql(
    column: str, account_ids: Iterable[int] | None, id_range: tuple[int, int] | None
) -> Iterator[tuple[str, list]]:
    """WHERE fragments (with their parameters) covering the scope, a few hundred ids each."""
    if id_range is not None:
        yield f"{column} >= %s AND {column} < %s", list(id_range)
    elif account_ids is None:
        yield "TRUE", []
    else:
        ids = sorted(set(account_ids))
        for i in range(0, len(ids), IDS_PER_STATEMENT):
            chunk = ids[i : i + IDS_PER_STATEMENT]
            yield f"{column} IN ({', '.join(['%s'] * len(chunk))})", chunk


def current_scores_refresh(
    *,
    account_ids: Iterable[int] | None = None,
    id_range: tuple[int, int] | None = None,
    today: date | None = None,
) -> None:
    """Rewrite the scoring side of the current-health rows of `account_ids` (or accounts with
    lo <= id < hi in `id_range`, or every account), as of `today`. Idempotent; creates the
    rows of accounts that have none. A colour that moves is announced (`scoring.events`); if
    any row was written, the rows' version changes (`current_health_changed`)."""
    today = today or timezone.localdate()
    ids = None if account_ids is None else sorted(set(account_ids))
    account, line = Account._meta.db_table, SubscriptionLine._meta.db_table
    snapshot, user = HealthSnapshot._meta.db_table, User._meta.db_table
    table = CurrentHealth._meta.db_table
    scored = [
        "scored_on",
        "score",
        "computed_colour",
        "coverage",
        "mrr",
        "trend7",
        "trend30",
    ]
    own = [
        "name",
        "external_id",
        "segment",
        "owner_id",
        "owner_username",
        "active_from",
        "active_until",
        "renewal_on",
        *scored,
        "refreshed_on",
    ]
    colour = f"COALESCE(NULLIF({table}.override_colour, ''), excluded.computed_colour)"
    written = 0
    with colour_watch(account_ids=ids, id_range=id_range), connection.cursor() as cursor:
        for where, params in scope_sql("a.id", ids, id_range):
            lines_where = where.replace("a.id", "l.account_id")
            sql = f"""
            WITH l AS (
                SELECT l.account_id, l.start_date AS s, COALESCE(l.end_date, %s) AS e
                FROM {line} l WHERE {lines_where}
            ), m AS (
                SELECT account_id, s, e, MAX(e) OVER (
                    PARTITION BY account_id ORDER BY s, e
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) AS reach FROM l
            ), g AS (
                -- A line that starts after every earlier one has ended opens a new run.
                SELECT account_id, s, e, SUM(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0
                    END) OVER (PARTITION BY account_id ORDER BY s, e) AS run FROM m
            ), runs AS (
                SELECT account_id, MIN(s) AS s, MAX(e) AS e FROM g GROUP BY account_id, run
            ), current_run AS (
                -- The run in force on the day, or else the next one.
                SELECT account_id, s, e FROM (
                    SELECT account_id, s, e,
                        ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY s) AS n
                    FROM runs WHERE e > %s
                ) r WHERE n = 1
            ), latest AS (
                SELECT a.id AS account_id, (
                    SELECT h.date FROM {snapshot} h
                    WHERE h.account_id = a.id AND h.date <= %s ORDER BY h.date DESC LIMIT 1
                ) AS snapshot_date
                FROM {account} a WHERE {where}
            )
            INSERT INTO {table} ({", ".join(own)}, account_id,
                override_colour, override_reason, open_tasks, colour, colour_rank)
            SELECT a.name, a.external_id, a.segment, a.owner_id, u.username,
                r.s,
                NULLIF(CASE WHEN a.churned_on IS NOT NULL AND a.churned_on < r.e
                    THEN a.churned_on ELSE r.e END, %s),
                (SELECT MIN(l.end_date) FROM {line} l WHERE l.account_id = a.id
                    AND l.start_date <= %s AND l.end_date > %s),
                h.date, h.score, COALESCE(h.colour, 'grey'), h.coverage, h.mrr,
                h.score - h7.score, h.score - h30.score,
                %s, a.id, '', '', 0, COALESCE(h.colour, 'grey'),
                {COLOUR_RANK_SQL.format(c="COALESCE(h.colour, 'grey')")}
            FROM {account} a
            JOIN latest ON latest.account_id = a.id
            LEFT JOIN {user} u ON u.id = a.owner_id
            LEFT JOIN current_run r ON r.account_id = a.id
            LEFT JOIN {snapshot} h ON h.account_id = a.id AND h.date = latest.snapshot_date
            LEFT JOIN {snapshot} h7 ON h7.account_id = a.id
                AND h7.date = {_days_before("h.date", 7)}
            LEFT JOIN {snapshot} h30 ON h30.account_id = a.id
                AND h30.date = {_days_before("h.date", 30)}
            WHERE {where}
            ON CONFLICT (account_id) DO UPDATE SET
                {", ".join(f"{c} = excluded.{c}" for c in own)},
                colour = {colour},
                colour_rank = {COLOUR_RANK_SQL.format(c=colour)}
            -- Rows whose figures did not move are not written (a full refresh rewrites few).
            WHERE {
                " OR ".join(
                    f"{table}.{c} IS DISTINCT FROM excluded.{c}" for c in own if c != "refreshed_on"
                )
            }
            """  # noqa: S608  # nosec B608 - table names from the models, values as parameters
            cursor.execute(
                sql,
                [FAR, *params, today, today, *params, FAR, today, today, today, *params],
            )
            written += rows_written(cursor)
    if written:
        current_health_changed()
