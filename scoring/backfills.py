"""Backfills: the scores of past days redone under the live scorecards, one day at a time."""

import time
from datetime import timedelta

from django.utils import timezone

from scoring.models import BackfillJob, JobStatus
from scoring.recompute import health_recompute, load_scorecards


def backfill_run(job: BackfillJob, *, deadline: float | None = None) -> BackfillJob:
    """Recompute each day of the job from where it stopped, saving progress after each day,
    so a worker lost mid-way leaves a job that the next run resumes. Past `deadline` (a
    time.monotonic() value) it stops after the current day and leaves the job running."""
    BackfillJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, error="")
    day = job.start + timedelta(days=job.days_done)
    while day <= job.end:
        if deadline is not None and time.monotonic() > deadline:
            return job
        # Reloaded each day, so a version published mid-way scores the days after it.
        health_recompute(as_of=day, scorecards=load_scorecards())
        job.days_done += 1
        BackfillJob.objects.filter(pk=job.pk).update(days_done=job.days_done)
        day += timedelta(days=1)
    job.status, job.finished_at = JobStatus.DONE, timezone.now()
    BackfillJob.objects.filter(pk=job.pk).update(status=job.status, finished_at=job.finished_at)
    return job
