"""Where the webhooks listen to the apps below (connected in `WebhooksConfig.ready`): each
receiver records inside the announcing transaction and queues its deliveries for after the
commit, so the recompute or the task rules never wait on an endpoint."""

from scoring.events import ColourChange
from webhooks.models import EventKind
from webhooks.recording import colour_changes_record, endpoints_subscribed, tasks_opened_record
from webhooks.tasks import deliveries_queue


def wants_colour_changes(sender, **kwargs) -> bool:
    # Without a subscribed endpoint the refresh need not read the colours at all.
    return bool(endpoints_subscribed(EventKind.COLOUR_CHANGED))


def on_colour_changed(sender, *, changes: list[ColourChange], **kwargs) -> None:
    deliveries_queue(colour_changes_record(changes))


def on_task_opened(sender, *, task_ids: list[int], **kwargs) -> None:
    deliveries_queue(tasks_opened_record(task_ids))
