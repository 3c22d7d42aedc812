"""Asking the workers to redo scores: after a change commits, or over a range of past days.

Everything that changes what a score reads — an import, an API write, a check-in's sentiment,
a survey answer, a published scorecard — calls `recompute_on_commit`; the admin's backfill
form calls `backfill_request`. Both hand a task of `scoring.tasks` to the outbox
(`jobs.queueing`), which sends it once the change is committed, or keeps it while the broker
is down.
"""

from datetime import date

from django.core.cache import cache
from django.db import transaction

from audit.trail import audit_record
from jobs.queueing import enqueue, send_or_keep
from scoring.current_health import current_scores_refresh
from scoring.models import BackfillJob
from scoring.tasks import backfill, book_recompute, recompute_accounts

# Past this many accounts, one book-wide recompute (in chunks) beats a list of ids.
MANY_ACCOUNTS = 1000
BOOK_RECOMPUTE_EVERY = 60  # seconds


def recompute_on_commit(account_ids: list[int], day: date) -> None:
    """Rescore accounts once the change that affects them is committed.

    A few accounts' current-health rows are refreshed at once, in the change's transaction: an
    account an import brings in, or a line that starts or ends, shows in the book straight away
    (with its last score until the worker rescores it), even while the broker is down. Past
    MANY_ACCOUNTS the book-wide recompute refreshes them (a minute later at most)."""
    if len(account_ids) > MANY_ACCOUNTS:
        # A burst of big imports asks for one book-wide recompute a minute, not one each.
        key = f"healthscore:book-recompute:{day}"

        def send_unless_one_is_due() -> None:
            # Decided at commit time, so the recompute always starts after this data is in.
            if cache.add(key, 1, BOOK_RECOMPUTE_EVERY):
                send_or_keep(book_recompute, [day.isoformat()], 60)

        transaction.on_commit(send_unless_one_is_due)
    else:
        current_scores_refresh(account_ids=account_ids)
        enqueue(recompute_accounts, account_ids, day.isoformat())


def backfill_request(*, start: date, end: date, actor) -> BackfillJob:
    """Queue a backfill of [start, end] under the live scorecards; a worker runs it."""
    job = BackfillJob.objects.create(start=start, end=end, requested_by=actor)
    audit_record(actor=actor, action="backfill requested", obj=job, changes={})
    enqueue(backfill, job.pk)
    return job
