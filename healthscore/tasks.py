"""Celery tasks: thin interfaces to `healthscore.recompute`.

All recompute tasks are idempotent (they upsert one snapshot per account and day), so a retry,
a redelivery after a worker died (acks_late) or a second run changes nothing.
"""

import time
from datetime import date, datetime

from celery import chord, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from healthscore.followups import tasks_open
from healthscore.recompute import health_recompute, id_chunks, load_scorecards, population
from healthscore.scoring import Method
from healthscore.survey_triggers import surveys_send_due

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else timezone.localdate()


@shared_task(**RETRY)
def recompute_chunk(day: str, lo: int, hi: int) -> int:
    """Recompute the snapshots of accounts with lo <= id < hi for `day`.

    On a database error it retries with backoff; after the last retry the chunk stays as it was
    (old snapshots or none) and the failure is logged. A second run rewrites the same rows.
    """
    return health_recompute(as_of=_day(day), id_range=(lo, hi)).accounts


@shared_task(**RETRY)
def recompute_accounts(account_ids: list[int], day: str | None = None) -> int:
    """Recompute some accounts after their data changed (enqueued on commit by the importers).

    Retries on database errors; a second run changes nothing.
    """
    # Fresh book-wide percentiles: the change that triggered this may have moved them.
    result = health_recompute(as_of=_day(day), accounts=account_ids, refresh_populations=True)
    if result.sources_changed:
        # A source came into the book (or left it): it is now measured (or not) for everyone.
        nightly_recompute.delay(result.day.isoformat())
    return result.accounts


@shared_task(**RETRY)
def nightly_recompute(day: str | None = None) -> dict:
    """Recompute today's snapshot of every active account, in chunks shared by the workers.

    First it refreshes the book-wide percentile populations (so every chunk ranks against the
    same figures), then fans out one `recompute_chunk` per range of account ids, and when all
    are done opens the day's check-in tasks (`open_followups`). If it fails
    before fanning out it retries; a chunk that fails retries on its own. Running it twice
    rewrites identical snapshots.
    """
    as_of = _day(day)
    for card in load_scorecards():
        for signal in card.signals.all():
            if signal.enabled and signal.method == Method.PERCENTILE:
                population(signal, as_of, card.version, refresh=True)
    chunks = id_chunks(as_of=as_of, size=settings.HEALTHSCORE_RECOMPUTE_CHUNK)
    if chunks:
        # The task rules compare today's snapshots with earlier ones: run them once every
        # chunk is done.
        chord([recompute_chunk.s(as_of.isoformat(), lo, hi) for lo, hi in chunks])(
            open_followups.si(as_of.isoformat())
        )
    return {"day": as_of.isoformat(), "chunks": len(chunks)}


@shared_task(**RETRY)
def open_followups(day: str | None = None) -> int:
    """Open check-in tasks for the day's rules (turned red, score drop, detractor, critical
    ticket, renewal risk). Retries on database errors; a second run opens nothing new."""
    return tasks_open(day=_day(day))


@shared_task(**{**RETRY, "autoretry_for": (*TRANSIENT, OSError)})
def send_due_surveys(now: str | None = None) -> dict:
    """Send the surveys that are due (exit, post-ticket CSAT, onboarding, periodic NPS); run
    hourly by beat. Returns how many of each went out.

    Each contact is claimed, recorded and e-mailed in one transaction, so on a database or
    mail-server error (OSError covers SMTP) the contact in hand is rolled back and the task
    retries with backoff; what was sent stays sent. A second run sends nothing twice.
    """
    return surveys_send_due(now=datetime.fromisoformat(now) if now else None)


def _drop_broken_connection() -> None:
    """After a database error the connection may be dead (PostgreSQL restarted, the network
    cut it), and Django does not reconnect in the middle of a task: close it, so that the next
    query (marking the job failed, or the retry) opens a fresh one."""
    if not connection.is_usable():
        connection.close()


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
    from healthscore.models import BackfillJob, JobStatus
    from healthscore.versioning import backfill_run

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


@shared_task(acks_late=True)
def flush_outbox() -> int:
    """Send the tasks kept in the database while the broker was down (every minute, by beat,
    and when a worker starts). A job is sent once: it is deleted as it is sent."""
    from healthscore.queueing import outbox_flush

    return outbox_flush()
