"""The outbox's own task."""

from celery import shared_task

from jobs.queueing import outbox_flush


@shared_task(acks_late=True)
def flush_outbox() -> int:
    """Send the tasks kept in the database while the broker was down (every minute, by beat,
    and when a worker starts). A job is sent once: it is deleted as it is sent."""
    return outbox_flush()
