"""Celery tasks of the webhooks: fan a batch of deliveries out, make one attempt of one
delivery (retrying on the backoff schedule), and notice churns every hour."""

from celery import group, shared_task
from django.db import transaction

from jobs.queueing import enqueue, send_or_keep
from scoring.tasks import RETRY
from webhooks.delivery import delivery_attempt, retry_delay
from webhooks.models import Delivery, DeliveryStatus
from webhooks.recording import churns_record

EVENTS_PER_MESSAGE = 500


def deliveries_queue(event_ids: list[str]) -> None:
    """Queue the deliveries of these events once the transaction commits: one message per
    EVENTS_PER_MESSAGE events (never one per account in the recompute), kept in the outbox
    (`jobs`) while the broker is down."""
    for i in range(0, len(event_ids), EVENTS_PER_MESSAGE):
        enqueue(deliver_batch, event_ids[i : i + EVENTS_PER_MESSAGE])


@shared_task(acks_late=True)
def deliver_batch(event_ids: list[str]) -> int:
    """Send the first attempt of each delivery of these events as a task of its own, so that a
    slow or dead endpoint holds up only its own deliveries. A second run sends nothing twice
    (each attempt is claimed)."""
    pending = list(
        Delivery.objects.filter(
            event_id__in=event_ids, status=DeliveryStatus.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )
    if pending:
        group(deliver_webhook.s(pk, 1) for pk in pending).apply_async()
    return len(pending)


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int, attempt: int = 1) -> str | None:
    """POST one delivery (attempt number `attempt`). On a timeout, a refused connection, a 5xx,
    408 or 429 it queues the next attempt to run after 1 min, 5 min, 30 min, 2 h and 6 h, then
    marks the delivery failed; any other 4xx fails it at once. A message delivered twice posts
    once: the attempt is claimed in the database first.

    The next attempt is a new message with its own attempt number rather than `self.retry`, so
    that a duplicate of an old message can never post again, and so that it goes through the
    outbox: with the broker down it waits in `PendingJob` instead of being lost."""
    delivery = delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if delivery is None:
        return None
    if delivery.status == DeliveryStatus.PENDING:
        send_or_keep(deliver_webhook, [delivery_id, attempt + 1], countdown=retry_delay(attempt))
    return delivery.status


@shared_task(**RETRY)
def announce_churns() -> int:
    """Record an event for each churn of the last days not announced yet, and queue its
    deliveries (hourly, by beat). Retries on database errors; a second run records nothing."""
    with transaction.atomic():
        deliveries = churns_record()
        deliveries_queue(deliveries)
    return len(deliveries)
