"""Celery tasks of the signals app: thin wrappers over the services."""

import json
import logging

from celery import shared_task
from django.db import OperationalError

from signals.tracking import tracked_events_count

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def count_tracked_events(events: str) -> dict[str, int]:
    """Add a batch of tracking events (compacted, as one JSON text: Celery's repr of a list of
    500 lists for its logs cost the web request 7 ms) to the daily usage, in one transaction,
    so a retry after a failure counts nothing twice."""
    counts = tracked_events_count(json.loads(events))
    if counts["unknown_account"]:
        logger.warning("tracking: %(unknown_account)s event(s) named no known account", counts)
    return counts
