"""The workspace's side of the book's current-health rows: the override in force and the open
tasks, and the one refresh every action that changes a figure of the book calls.

`current_health_refresh` first rewrites the scoring side (`scoring.current_health`), then the
override and task columns and the colour they make up, in two statements whatever the number
of accounts. Called explicitly — never from a model signal — by override set and cleared, task
opened, completed and snoozed, reassignment, and for the whole book by the nightly run (which
is when an override that expired yesterday stops counting). A refresh that wrote a row changes
the rows' version, so the book's cached summary strip is read afresh. The recompute refreshes
the scoring side on its own, so a rescoring after an import or a sentiment needs nothing here.
"""

from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from scoring.current_health import (
    COLOUR_RANK_SQL,
    current_health_changed,
    current_scores_refresh,
    rows_written,
    scope_sql,
)
from scoring.events import colour_watch
from scoring.models import CurrentHealth
from workspace.models import ColourOverride, Task, TaskStatus


@transaction.atomic
def current_health_refresh(
    *, account_ids: Iterable[int] | None = None, today: date | None = None
) -> None:
    """Rewrite the current-health rows of `account_ids` (every account when None) as of
    `today`. Idempotent. A colour that moves is announced once (`scoring.events`), whichever
    side moved it."""
    today = today or timezone.localdate()
    ids = None if account_ids is None else sorted(set(account_ids))
    with colour_watch(account_ids=ids):
        _refresh(ids, today)


def _refresh(ids: list[int] | None, today: date) -> None:
    current_scores_refresh(account_ids=ids, today=today)
    table = CurrentHealth._meta.db_table
    override, task = ColourOverride._meta.db_table, Task._meta.db_table
    colour = "COALESCE(NULLIF(w.override_colour, ''), c.computed_colour)"
    written = 0
    with connection.cursor() as cursor:
        for where, params in scope_sql("c.account_id", ids, None):
            # Set-based (one pass over overrides and tasks, not a probe per row), and only the
            # rows whose figures changed are written: a nightly run rewrites few rows.
            cursor.execute(
                f"""
                WITH o AS (
                    SELECT account_id, colour, reason, expires_on FROM (
                        SELECT account_id, colour, reason, expires_on, ROW_NUMBER() OVER (
                            PARTITION BY account_id ORDER BY created_on DESC, id DESC) AS n
                        FROM {override}
                        WHERE cleared_on IS NULL AND created_on <= %s AND expires_on >= %s
                            AND {where.replace("c.account_id", "account_id")}
                    ) latest WHERE n = 1
                ), t AS (
                    SELECT account_id, COUNT(*) AS n FROM {task}
                    WHERE status <> %s AND {where.replace("c.account_id", "account_id")}
                    GROUP BY account_id
                ), w AS (
                    SELECT c.account_id, COALESCE(o.colour, '') AS override_colour,
                        COALESCE(o.reason, '') AS override_reason,
                        o.expires_on AS override_expires_on, COALESCE(t.n, 0) AS open_tasks
                    FROM {table} c
                    LEFT JOIN o ON o.account_id = c.account_id
                    LEFT JOIN t ON t.account_id = c.account_id
                    WHERE {where}
                )
                UPDATE {table} AS c SET
                    override_colour = w.override_colour,
                    override_reason = w.override_reason,
                    override_expires_on = w.override_expires_on,
                    open_tasks = w.open_tasks,
                    colour = {colour},
                    colour_rank = {COLOUR_RANK_SQL.format(c=colour)}
                FROM w
                WHERE c.account_id = w.account_id AND (
                    c.override_colour <> w.override_colour
                    OR c.override_reason <> w.override_reason
                    OR c.override_expires_on IS DISTINCT FROM w.override_expires_on
                    OR c.open_tasks <> w.open_tasks
                    OR c.colour <> {colour}
                )
                """,  # noqa: S608  # nosec B608 - table names from the models
                [today, today, *params, TaskStatus.DONE.value, *params, *params],
            )
            written += rows_written(cursor)
    if written:
        current_health_changed()
