"""Celery tasks of the signals app: thin wrappers over the services."""

import logging

from celery import shared_task
from django.db import OperationalError

from signals.tracking import tracked_events_count

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def count_tracked_events(events: list[list]) -> dict[str, int]:
    """Add a batch of tracking events to the daily usage (one transaction: a retry after a
    failure counts nothing twice)."""
    counts = tracked_events_count(events)
    if counts["unknown_account"]:
        logger.warning("tracking: %(unknown_account)s event(s) named no known account", counts)
    return counts
