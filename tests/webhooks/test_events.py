"""What becomes an event: a colour change in a real recompute (one event per changed account,
none on a re-run), an override, a task opened, a churn — recorded in the change's transaction
and queued in batches after the commit, never posted inline.

"Today" is frozen at 30 June 2026 noon UTC, the day the accounts are scored.
"""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring.models import CurrentHealth
from scoring.recompute import health_recompute
from tests.factories import (
    AccountFactory,
    InvoiceFactory,
    SubscriptionLineFactory,
    UserFactory,
    work_callbacks,
)
from tests.scoring.test_recompute import DAY, healthy_account
from tests.webhooks.test_delivery import readme_verify
from webhooks import tasks as webhook_tasks
from webhooks.models import Delivery, DeliveryStatus, Endpoint, Event, EventKind
from webhooks.recording import churns_record
from workspace.account_page import override_set
from workspace.current_health import current_health_refresh
from workspace.followups import tasks_open
from workspace.models import Task


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False):
        yield DAY


@pytest.fixture
def scored(default_scorecard):
    """Five green accounts of one CSM, scored today, and one weak one to rank against."""
    owner = UserFactory(username="casey")
    accounts = [healthy_account(owner, usage=50 + i) for i in range(5)]
    healthy_account(owner, usage=1)
    health_recompute(as_of=DAY)
    assert {CurrentHealth.objects.get(account=a).colour for a in accounts} == {"green"}
    return accounts


def overdue(account):
    InvoiceFactory(
        account=account, issued_on=DAY - timedelta(days=90), due_on=DAY - timedelta(days=60)
    )


def colour_events():
    return list(
        Event.objects.filter(kind=EventKind.COLOUR_CHANGED)
        .order_by("account_id")
        .values_list("account_id", "payload")
    )


def test_a_recompute_records_one_event_per_account_whose_colour_changed(
    scored, endpoint, receiver, django_capture_on_commit_callbacks
):
    turning = scored[:2]
    for account in turning:
        overdue(account)
    with django_capture_on_commit_callbacks() as callbacks:
        health_recompute(as_of=DAY)
        # Recorded in the recompute's transaction; nothing posted while it runs.
        assert receiver.requests == []
    events = colour_events()
    assert [a for a, _ in events] == [a.pk for a in turning]
    _, body = events[0]
    assert body["type"] == "account.colour_changed"
    assert body["account"] == {
        "id": turning[0].pk,
        "external_id": turning[0].external_id,
        "name": turning[0].name,
    }
    assert body["details"]["previous_colour"] == "green"
    assert body["details"]["colour"] == "red"
    assert body["details"]["scored_on"] == "2026-06-30"
    assert Delivery.objects.filter(endpoint=endpoint).count() == 2
    # One message for the batch, sent after the commit; the worker posts each delivery.
    assert len(work_callbacks(callbacks)) == 1
    for callback in callbacks:
        callback()
    assert len(receiver.requests) == 2
    verify = readme_verify()
    assert all(verify(endpoint.secret, r.headers, r.body) for r in receiver.requests)
    assert {json.loads(r.body)["account"]["id"] for r in receiver.requests} == {
        a.pk for a in turning
    }
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2


def test_a_recompute_run_again_records_and_sends_nothing_new(
    scored, endpoint, receiver, django_capture_on_commit_callbacks
):
    overdue(scored[0])
    with django_capture_on_commit_callbacks(execute=True):
        health_recompute(as_of=DAY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        health_recompute(as_of=DAY)
        health_recompute(as_of=DAY, accounts=[a.pk for a in scored])
    assert callbacks == []
    assert len(colour_events()) == 1
    assert len(receiver.requests) == 1


def test_deliveries_are_queued_in_batches_not_one_message_per_account(
    scored, endpoint, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(webhook_tasks, "EVENTS_PER_MESSAGE", 2)
    for account in scored:
        overdue(account)
    with django_capture_on_commit_callbacks() as callbacks:
        health_recompute(as_of=DAY)
    assert len(colour_events()) == 5
    assert len(work_callbacks(callbacks)) == 3  # 2 + 2 + 1


def test_recording_takes_the_same_queries_for_one_change_or_many(
    scored, endpoint, django_capture_on_commit_callbacks
):
    def queries_of_a_recompute_turning(accounts) -> int:
        for account in accounts:
            overdue(account)
        with CaptureQueriesContext(connection) as queries:
            health_recompute(as_of=DAY, accounts=[a.pk for a in scored])
        return len(queries)

    queries_of_a_recompute_turning(scored[:1])  # the first COPY looks up the column types
    one = queries_of_a_recompute_turning(scored[1:2])
    three = queries_of_a_recompute_turning(scored[2:])
    assert len(colour_events()) == 5
    assert one == three


def test_without_a_subscribed_endpoint_nothing_is_recorded(scored, receiver):
    Endpoint.objects.create(name="Tasks only", url=receiver.url, events=["task.opened"])
    Endpoint.objects.create(
        name="Off", url=receiver.url, events=["account.colour_changed"], active=False
    )
    overdue(scored[0])
    health_recompute(as_of=DAY)
    assert Event.objects.count() == 0


def test_without_a_subscribed_endpoint_the_refresh_reads_no_colours(scored, receiver):
    def queries_of_a_refresh() -> int:
        with CaptureQueriesContext(connection) as queries:
            current_health_refresh(account_ids=[a.pk for a in scored])
        return len(queries)

    without = queries_of_a_refresh()
    Endpoint.objects.create(name="CRM", url=receiver.url, events=["account.colour_changed"])
    # the endpoints are asked once either way; then the colours in scope, before and after
    assert queries_of_a_refresh() == without + 2


def test_an_override_records_one_colour_change(scored, endpoint):
    override_set(
        account=scored[0],
        author=None,
        day=DAY,
        colour="yellow",
        reason="Champion left",
        expires_on=DAY + timedelta(days=3),
    )
    ((account_id, body),) = colour_events()
    assert account_id == scored[0].pk
    assert (body["details"]["previous_colour"], body["details"]["colour"]) == ("green", "yellow")


def test_an_opened_task_is_an_event_and_opening_again_adds_none(scored, endpoint):
    overdue(scored[0])
    health_recompute(as_of=DAY)
    assert tasks_open(day=DAY) >= 1
    tasks = list(Task.objects.filter(account=scored[0]).order_by("pk"))
    events = list(Event.objects.filter(kind=EventKind.TASK_OPENED).order_by("key"))
    assert sorted(e.payload["details"]["task_id"] for e in events) == [t.pk for t in tasks]
    details = next(e for e in events if e.payload["details"]["reason"] == "turned_red")
    assert details.payload["details"] | {"task_id": None} == {
        "task_id": None,
        "reason": "turned_red",
        "reason_label": "Turned red",
        "detail": "Health turned red on 30 June 2026",
        "opened_on": "2026-06-30",
        "due_on": "2026-07-03",
        "assignee": "casey",
    }
    assert tasks_open(day=DAY) == 0
    assert Event.objects.filter(kind=EventKind.TASK_OPENED).count() == len(events)


def test_a_churn_is_announced_once(endpoint, receiver, django_capture_on_commit_callbacks):
    gone = AccountFactory(name="Gone Ltd", churn_reason="budget")
    SubscriptionLineFactory(
        account=gone,
        start_date=date(2025, 1, 1),
        end_date=DAY - timedelta(days=2),
        mrr=Decimal("100"),
    )
    long_gone = AccountFactory()
    SubscriptionLineFactory(
        account=long_gone, start_date=date(2025, 1, 1), end_date=DAY - timedelta(days=40)
    )
    renews = AccountFactory()  # a line ends, another goes on: not a churn
    SubscriptionLineFactory(account=renews, start_date=date(2025, 1, 1), end_date=DAY)
    SubscriptionLineFactory(account=renews, start_date=DAY, end_date=None)
    leaving = AccountFactory()  # ends next week: not yet
    SubscriptionLineFactory(
        account=leaving, start_date=date(2025, 1, 1), end_date=DAY + timedelta(days=7)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_tasks.announce_churns.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_tasks.announce_churns.delay().get() == 0  # the hourly run again
    ((request),) = receiver.requests
    body = json.loads(request.body)
    assert body["type"] == "account.churned"
    assert body["account"]["name"] == "Gone Ltd"
    assert body["details"] == {"churned_on": "2026-06-28", "churn_reason": "budget"}


def test_a_churn_recorded_by_a_person_is_announced_on_its_date(endpoint):
    account = AccountFactory(churned_on=DAY)
    SubscriptionLineFactory(account=account, start_date=date(2025, 1, 1), end_date=None)
    deliveries = Delivery.objects.filter(event_id__in=churns_record(day=DAY))
    assert [d.event.payload["details"]["churned_on"] for d in deliveries] == ["2026-06-30"]
