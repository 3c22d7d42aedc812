"""Recording events: what happened, as the documented JSON body, with one delivery per
subscribed endpoint (queued by the caller: `webhooks.receivers`, `webhooks.tasks`).

Set-based: two COPYs (the events, their deliveries) and two reads (endpoints, accounts)
whatever the number of events, inside the caller's transaction.
Churn is noticed here (`churns_record`, run hourly by `webhooks.tasks.announce_churns`).

An event is recorded only while an active endpoint subscribes to its kind, and goes to the
endpoints subscribed at that moment. Its `key` makes it happen once: the same task, or the
same churn, found again records nothing.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import Account
from scoring.events import ColourChange
from signals.revenue import churns_between
from signals.upsert import bulk_upsert
from webhooks.models import Delivery, Endpoint, Event, EventKind
from workspace.models import Task

SCHEMA_VERSION = 1
CHURN_LOOKBACK_DAYS = 7  # a churn older than this when first noticed is never announced
IDS_PER_QUERY = 900  # below SQLite's limit on parameters


@dataclass(frozen=True)
class Happening:
    key: str
    account_id: int | None
    details: dict


def _account_rows(ids: Iterable[int]) -> dict[int, dict]:
    ids = sorted(set(ids))
    rows: dict[int, dict] = {}
    for i in range(0, len(ids), IDS_PER_QUERY):
        for row in Account.objects.filter(pk__in=ids[i : i + IDS_PER_QUERY]).values(
            "id", "external_id", "name"
        ):
            rows[row["id"]] = row
    return rows


def endpoints_subscribed(kind: EventKind) -> list[Endpoint]:
    """The active endpoints that receive `kind` (a few: filtered here, not in SQL, as the
    event lists are JSON)."""
    return [e for e in Endpoint.objects.filter(active=True) if e.subscribes(kind)]


def event_body(
    *, event_id: uuid.UUID, kind: str, occurred_at: datetime, account: dict | None, details: dict
) -> dict:
    """The JSON body of schema version 1 (README, "Webhooks"): fields are only ever added."""
    return {
        "schema_version": SCHEMA_VERSION,
        "id": str(event_id),
        "type": kind,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
        "account": account,
        "details": details,
    }


def events_record(
    kind: EventKind,
    happenings: Sequence[Happening],
    *,
    endpoints: list[Endpoint] | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Record the happenings of one kind not recorded before (by key), each with a delivery to
    every active endpoint subscribed to the kind (or to `endpoints`). Returns the ids of the
    events recorded, for the caller to queue their deliveries."""
    if endpoints is None:
        endpoints = endpoints_subscribed(kind)
    if not endpoints or not happenings:
        return []
    now = now or timezone.now()
    accounts = _account_rows(h.account_id for h in happenings if h.account_id is not None)
    rows = []
    for h in happenings:
        event_id = uuid.uuid4()
        account = accounts.get(h.account_id) if h.account_id is not None else None
        body = event_body(
            event_id=event_id, kind=kind, occurred_at=now, account=account, details=h.details
        )
        rows.append((event_id, kind.value, h.key, account["id"] if account else None, now, body))
    # COPY, and a key seen before is skipped (ON CONFLICT DO NOTHING). When some were, the ids
    # that made it in are those of the events this call recorded: fresh uuids are nobody else's.
    counts = bulk_upsert(
        Event,
        ["id", "kind", "key", "account_id", "occurred_at", "payload"],
        rows,
        key=["key"],
        update=[],
    )
    recorded = [row[0] for row in rows]
    if counts.created < len(rows):
        written: set = set()
        for i in range(0, len(recorded), IDS_PER_QUERY):
            written.update(
                Event.objects.filter(pk__in=recorded[i : i + IDS_PER_QUERY]).values_list(
                    "pk", flat=True
                )
            )
        recorded = [event_id for event_id in recorded if event_id in written]
    bulk_upsert(
        Delivery,
        ["endpoint_id", "event_id"],
        [(endpoint.pk, event_id) for event_id in recorded for endpoint in endpoints],
        key=["endpoint_id", "event_id"],
        update=[],
    )
    return [str(event_id) for event_id in recorded]


# ---------------------------------------------------------------- what is recorded


def colour_changes_record(changes: list[ColourChange]) -> list[str]:
    """One event per account whose book colour moved (`scoring.events.colour_changed`)."""
    return events_record(
        EventKind.COLOUR_CHANGED,
        [
            Happening(
                # Each change is its own event: a colour that moves back and forth moves twice.
                key=f"{EventKind.COLOUR_CHANGED}:{c.account_id}:{uuid.uuid4()}",
                account_id=c.account_id,
                details={
                    "previous_colour": c.previous,
                    "colour": c.colour,
                    "score": c.score,
                    "scored_on": c.scored_on.isoformat() if c.scored_on else None,
                },
            )
            for c in changes
        ],
    )


def tasks_opened_record(task_ids: list[int]) -> list[str]:
    """One event per task opened (`workspace.events.task_opened`)."""
    tasks = Task.objects.filter(pk__in=task_ids).select_related("assignee").order_by("pk")
    return events_record(
        EventKind.TASK_OPENED,
        [
            Happening(
                key=f"{EventKind.TASK_OPENED}:{t.pk}",
                account_id=t.account_id,
                details={
                    "task_id": t.pk,
                    "reason": t.reason,
                    "reason_label": str(t.get_reason_display()),
                    "detail": t.describe(),
                    "opened_on": t.opened_on.isoformat(),
                    "due_on": t.due_on.isoformat(),
                    "assignee": t.assignee.username if t.assignee else None,
                },
            )
            for t in tasks
        ],
    )


def churns_record(*, day: date | None = None) -> list[str]:
    """One event per churn (README, "Churn"): an account whose churn date — the end of its last
    subscription line, or the date a person recorded — fell in the last CHURN_LOOKBACK_DAYS up
    to `day`. Keyed on the account and the date, so the hourly run announces each churn once."""
    day = day or timezone.localdate()
    churned = churns_between(day - timedelta(days=CHURN_LOOKBACK_DAYS), day)
    reasons = dict(Account.objects.filter(pk__in=list(churned)).values_list("pk", "churn_reason"))
    return events_record(
        EventKind.ACCOUNT_CHURNED,
        [
            Happening(
                key=f"{EventKind.ACCOUNT_CHURNED}:{account_id}:{on.isoformat()}",
                account_id=account_id,
                details={"churned_on": on.isoformat(), "churn_reason": reasons.get(account_id, "")},
            )
            for account_id, on in sorted(churned.items())
        ],
    )


def sample_event_record(endpoint: Endpoint) -> str:
    """A test event (`webhook.test`) for one endpoint, whatever it subscribes to, even if
    inactive."""
    (event_id,) = events_record(
        EventKind.TEST,
        [
            Happening(
                key=f"{EventKind.TEST}:{uuid.uuid4()}",
                account_id=None,
                details={"endpoint": endpoint.name},
            )
        ],
        endpoints=[endpoint],
    )
    return event_id
