"""Celery tasks of scoring: thin interfaces to `scoring.recompute` and `scoring.backfills`.

All recompute tasks are idempotent (they upsert one snapshot per account and day), so a retry,
a redelivery after a worker died (acks_late) or a second run changes nothing.
"""

import time
from datetime import date

from celery import group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from scoring.backfills import backfill_run
from scoring.history import history_prune
from scoring.maths import Method
from scoring.models import BackfillJob, JobStatus
from scoring.recompute import health_recompute, id_chunks, load_scorecards, population

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


def task_day(value: str | None) -> date:
    """A task's day argument (ISO text, as JSON carries it); today when none is given."""
    return date.fromisoformat(value) if value else timezone.localdate()


@shared_task(**RETRY)
def recompute_chunk(day: str, lo: int, hi: int) -> int:
    """Recompute the snapshots of accounts with lo <= id < hi for `day`.

    On a database error it retries with backoff; after the last retry the chunk stays as it was
    (old snapshots or none) and the failure is logged. A second run rewrites the same rows.
    """
    return health_recompute(as_of=task_day(day), id_range=(lo, hi)).accounts


@shared_task(**RETRY)
def recompute_accounts(account_ids: list[int], day: str | None = None) -> int:
    """Recompute some accounts after their data changed (enqueued on commit by the importers).

    Retries on database errors; a second run changes nothing.
    """
    # Fresh book-wide percentiles: the change that triggered this may have moved them.
    result = health_recompute(as_of=task_day(day), accounts=account_ids, refresh_populations=True)
    if result.sources_changed:
        # A source came into the book (or left it): it is now measured (or not) for everyone.
        book_recompute.delay(result.day.isoformat())
    return result.accounts


def book_chunks(as_of: date) -> list:
    """The recompute of every account active on `as_of` as one `recompute_chunk` signature per
    range of account ids. First it refreshes the book-wide percentile populations, so that
    every chunk ranks against the same figures."""
    for card in load_scorecards():
        for signal in card.signals.all():
            if signal.enabled and signal.method == Method.PERCENTILE:
                population(signal, as_of, card.version, refresh=True)
    chunks = id_chunks(as_of=as_of, size=settings.HEALTHSCORE_RECOMPUTE_CHUNK)
    return [recompute_chunk.s(as_of.isoformat(), lo, hi) for lo, hi in chunks]


@shared_task(**RETRY)
def book_recompute(day: str | None = None) -> dict:
    """Recompute the day's snapshot of every active account, in chunks shared by the workers
    (asked for by a change that touches many accounts, such as a big import).

    If it fails before fanning out it retries; a chunk that fails retries on its own. Running
    it twice rewrites identical snapshots. (The nightly run, `workspace.tasks.nightly_recompute`,
    does the same and then opens the day's check-in tasks.)
    """
    as_of = task_day(day)
    chunks = book_chunks(as_of)
    if chunks:
        group(chunks)()
    return {"day": as_of.isoformat(), "chunks": len(chunks)}


def _drop_broken_connection() -> None:
    """After a database error the connection may be dead (PostgreSQL restarted, the network
    cut it), and Django does not reconnect in the middle of a task: close it, so that the next
    query (marking the job failed, or the retry) opens a fresh one."""
    if not connection.is_usable():
        connection.close()


@shared_task(**RETRY)
def prune_history() -> int:
    """Delete the snapshots older than HEALTHSCORE_HISTORY_DAYS (a beat entry, daily).
    Idempotent: a second run finds nothing to delete."""
    return history_prune()


BACKFILL_SLICE_SECONDS = 20 * 60


@shared_task(bind=True, acks_late=True, max_retries=5, time_limit=40 * 60)
def backfill(self, job_id: int) -> int:
    """Run a backfill job day by day, saving progress after each day.

    It works for about 20 minutes, then queues itself to go on (the visibility timeout of the
    broker is an hour). On a database error it retries with backoff and resumes at the first
    day not done; when
    the retries run out, or on any other error, the job is marked failed with the error (and
    requesting the range again finishes it). A finished job is not run twice.
    """
    job = BackfillJob.objects.get(pk=job_id)
    if job.status == JobStatus.DONE:
        return 0
    try:
        # Stay well inside the broker's visibility timeout, then hand the rest to a new task:
        # a long backfill is a chain of short tasks, never one that could be delivered twice.
        job = backfill_run(job, deadline=time.monotonic() + BACKFILL_SLICE_SECONDS)
        if job.status != JobStatus.DONE:
            backfill.delay(job_id)
        return job.days_done
    except Exception as exc:
        if isinstance(exc, TRANSIENT):
            _drop_broken_connection()
        if isinstance(exc, TRANSIENT) and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc
        BackfillJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
