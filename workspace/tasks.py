"""Celery tasks of the workspace: the nightly run, the check-in task rules, the survey run.

The nightly run is here, not in scoring, because it ends by opening the day's check-in tasks:
the flow goes from the workspace down into scoring, never back up.
"""

from datetime import datetime

from celery import chord, shared_task
from django.utils import timezone

from scoring.rescoring import recompute_on_commit
from scoring.tasks import RETRY, TRANSIENT, book_chunks, task_day
from signals.import_jobs import import_job_run
from workspace.current_health import current_health_refresh
from workspace.followups import tasks_open
from workspace.survey_triggers import surveys_send_due


@shared_task(**RETRY)
def nightly_recompute(day: str | None = None) -> dict:
    """Recompute today's snapshot of every active account, in chunks shared by the workers.

    First it refreshes the book-wide percentile populations (so every chunk ranks against the
    same figures), then fans out one `recompute_chunk` per range of account ids, and when all
    are done opens the day's check-in tasks (`open_followups`). It starts by refreshing every
    current-health row as of today (the book's view of overrides, renewals and lines). If it fails
    before fanning out it retries; a chunk that fails retries on its own. Running it twice
    rewrites identical snapshots.
    """
    as_of = task_day(day)
    # Every row as of today first: overrides that expired yesterday stop counting, renewals
    # and runs of lines move on (the chunks then refresh the scores they write).
    current_health_refresh()
    chunks = book_chunks(as_of)
    if chunks:
        # The task rules compare today's snapshots with earlier ones: run them once every
        # chunk is done.
        chord(chunks)(open_followups.si(as_of.isoformat()))
    return {"day": as_of.isoformat(), "chunks": len(chunks)}


@shared_task(**RETRY)
def open_followups(day: str | None = None) -> int:
    """Open check-in tasks for the day's rules (turned red, score drop, detractor, critical
    ticket, renewal risk), refreshing the open-task counts of the book. Retries on database
    errors; a second run opens nothing new."""
    return tasks_open(day=task_day(day))


@shared_task(**{**RETRY, "autoretry_for": (*TRANSIENT, OSError)})
def send_due_surveys(now: str | None = None) -> dict:
    """Send the surveys that are due (exit, post-ticket CSAT, onboarding, periodic NPS); run
    hourly by beat. Returns how many of each went out.

    Each contact is claimed, recorded and e-mailed in one transaction, so on a database or
    mail-server error (OSError covers SMTP) the contact in hand is rolled back and the task
    retries with backoff; what was sent stays sent. A second run sends nothing twice.
    """
    return surveys_send_due(now=datetime.fromisoformat(now) if now else None)


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str:
    """Run a background CSV import (`signals.import_jobs`); rescore the accounts it wrote."""

    def rescore(result) -> None:
        recompute_on_commit(sorted(result.account_ids), timezone.localdate())

    return import_job_run(job_id, on_written=rescore).state
