"""Queue Celery work so that it is never lost when Redis is down.

`enqueue` sends a task after the current transaction commits; if the broker cannot be
reached, the task and its arguments are stored in the database instead (`PendingJob`), and
`outbox_flush` — run by every worker when it starts and by Celery beat every minute — sends
them once the broker is back. Pages keep working meanwhile: a send gives up within about 2 s
(the broker settings in healthscore/settings.py) and never waits on the result store.

Callers pass the task object itself (`enqueue(recompute_accounts, ids, day)`), so this module
imports no app above it; only a kept job stores the task's name, and the flush finds the task
again in the Celery app's registry.
"""

import logging

from celery import Task, current_app
from django.db import transaction

from jobs.models import PendingJob

logger = logging.getLogger(__name__)


def _send(task: Task, args: list, countdown: int | None = None) -> None:
    if current_app.conf.task_always_eager:  # no broker configured: run it here and now
        task.apply(args=args, throw=True)
    else:
        # ignore_result: nobody waits for these results, and without it Celery subscribes to
        # the task's result in the result store (Redis) before publishing, retrying for ~19 s
        # when Redis is down.
        current_app.send_task(task.name, args=args, countdown=countdown, ignore_result=True)


def _registered(name: str) -> Task:
    """The task a kept job names. A worker has every app's tasks registered; another process
    (a shell, a test) may not have imported them yet, so it runs the autodiscovery first."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def send_or_keep(task: Task, args: list, countdown: int | None = None) -> bool:
    """Send now (to run after `countdown` seconds); on any broker error keep it for later.
    True if sent."""
    try:
        _send(task, args, countdown)
    except Exception as exc:  # kombu, redis-py and Celery each raise errors of their own
        if current_app.conf.task_always_eager:
            raise  # no broker: the task ran here, and the error is its own
        logger.warning(
            "broker unavailable, keeping %s%s for later: %s", task.name, tuple(args), exc
        )
        PendingJob.objects.create(task=task.name, args=args, error=str(exc)[:300])
        return False
    return True


def enqueue(task: Task, *args, countdown: int | None = None) -> None:
    """Send `task` with `args` once the current transaction has committed."""
    transaction.on_commit(lambda: send_or_keep(task, list(args), countdown))


def outbox_flush(limit: int = 1000) -> int:
    """Send the kept jobs, oldest first; stop at the first that still cannot go. Each job is
    claimed by deleting it inside the transaction, so two flushers never send one twice."""
    sent = 0
    for job_id in PendingJob.objects.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            job = PendingJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None:
                continue
            try:
                _send(_registered(job.task), job.args)
            except Exception:  # as in send_or_keep
                return sent  # still down: the job stays (the transaction keeps the row)
            job.delete()
            sent += 1
    return sent
