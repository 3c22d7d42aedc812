"""Backfills: the scores of past days redone under the live scorecards, a block of days at a
time (each signal measured for the whole block in one pass, `health_backfill`)."""

import time
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from scoring.models import BackfillJob, JobStatus
from scoring.recompute import health_backfill, load_scorecards


def day_blocks(first: date, last: date, *, size: int | None = None) -> list[list[date]]:
    """The days from `first` to `last` in runs of `size` (HEALTHSCORE_BACKFILL_BLOCK_DAYS):
    a longer run reads each window's facts fewer times, and holds more days in memory."""
    size = size or settings.HEALTHSCORE_BACKFILL_BLOCK_DAYS
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [days[i : i + size] for i in range(0, len(days), size)]


def backfill_run(job: BackfillJob, *, deadline: float | None = None) -> BackfillJob:
    """Recompute the days of the job from where it stopped, saving progress after each day,
    so a worker lost mid-way leaves a job that the next run resumes. Past `deadline` (a
    time.monotonic() value) it stops after the current block and leaves the job running."""
    BackfillJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, error="")

    def done(_result) -> None:
        job.days_done += 1
        BackfillJob.objects.filter(pk=job.pk).update(days_done=job.days_done)

    start = job.start + timedelta(days=job.days_done)
    for block in day_blocks(start, job.end) if start <= job.end else []:
        if deadline is not None and time.monotonic() > deadline:
            return job
        # Reloaded each block, so a version published mid-way scores the blocks after it.
        health_backfill(block, scorecards=load_scorecards(), on_day=done)
    job.status, job.finished_at = JobStatus.DONE, timezone.now()
    BackfillJob.objects.filter(pk=job.pk).update(status=job.status, finished_at=job.finished_at)
    return job
