"""Deliveries against a real HTTP receiver on 127.0.0.1: the signature verifies with the
README's own recipe, retries follow the backoff schedule, and an event goes to an endpoint
once."""

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from webhooks import delivery as delivery_module
from webhooks.delivery import BACKOFF, MAX_ATTEMPTS, delivery_attempt
from webhooks.models import Delivery, DeliveryStatus, Endpoint, Event, EventKind
from webhooks.recording import Happening, events_record, sample_event_record
from webhooks.tasks import deliver_webhook, deliveries_queue

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verify():
    """The `verify` function of the README's "Verifying a request" recipe, run as written."""
    section = README.read_text().split("**Verifying a request**", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify"]


def one_delivery(endpoint, kind=EventKind.COLOUR_CHANGED, key="k1") -> Delivery:
    (event_id,) = events_record(
        kind,
        [
            Happening(
                key=key,
                account_id=None,
                details={
                    "previous_colour": "green",
                    "colour": "red",
                    "score": 30.0,
                    "scored_on": "2026-06-30",
                },
            )
        ],
        endpoints=[endpoint],
    )
    return Delivery.objects.get(event_id=event_id)


def test_the_signature_verifies_with_the_readme_recipe(endpoint, receiver):
    delivery = one_delivery(endpoint)
    deliver_webhook.apply(args=[delivery.pk, 1], throw=True)
    (request,) = receiver.requests
    verify = readme_verify()
    assert verify("whsec-test-secret", request.headers, request.body)
    # The body is the event, with the documented fields.
    body = json.loads(request.body)
    assert list(body) == ["schema_version", "id", "type", "occurred_at", "account", "details"]
    assert body["schema_version"] == 1
    assert body["id"] == request.headers["X-Healthscore-Event-Id"] == str(delivery.event_id)
    assert body["type"] == request.headers["X-Healthscore-Event"] == "account.colour_changed"
    assert body["details"]["colour"] == "red"
    # Anything else fails: another secret, a changed body, a replay after the window.
    assert not verify("another-secret", request.headers, request.body)
    assert not verify("whsec-test-secret", request.headers, request.body.replace(b"red", b"rod"))
    sent = int(request.headers["X-Healthscore-Timestamp"])
    assert abs(sent - time.time()) < 60
    assert verify("whsec-test-secret", request.headers, request.body, now=sent + 299)
    assert not verify("whsec-test-secret", request.headers, request.body, now=sent + 301)
    assert not verify("whsec-test-secret", request.headers, request.body, now=sent - 301)


def test_a_500_is_retried_until_the_receiver_takes_it(endpoint, receiver):
    receiver.answers = [500, 503]
    delivery = one_delivery(endpoint)
    # Eager Celery runs each retry at once, in place of the countdown.
    deliver_webhook.apply(args=[delivery.pk, 1], throw=True)
    assert len(receiver.requests) == 3
    assert len({r.headers["X-Healthscore-Event-Id"] for r in receiver.requests}) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    assert delivery.response_code == 200
    assert delivery.response_snippet == "answer 200"


def test_retries_wait_longer_each_time_then_give_up(endpoint, receiver):
    receiver.answers = [500] * 10
    delivery = one_delivery(endpoint)
    start = datetime(2026, 6, 30, 2, tzinfo=UTC)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        now = start + timedelta(hours=attempt)
        result = delivery_attempt(delivery_id=delivery.pk, attempt=attempt, now=now)
        if result.next_attempt_at:
            waits.append((result.next_attempt_at - now).total_seconds())
    assert waits == [60, 300, 1800, 7200, 21600] == list(BACKOFF)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == 6
    assert delivery.response_code == 500
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert len(receiver.requests) == 6
    # Given up: no later attempt goes out.
    assert delivery_attempt(delivery_id=delivery.pk, attempt=7) is None
    assert len(receiver.requests) == 6


@pytest.mark.parametrize(
    ("code", "retried"), [(400, False), (404, False), (408, True), (429, True), (502, True)]
)
def test_a_4xx_is_not_retried_except_408_and_429(endpoint, receiver, code, retried):
    receiver.answers = [code]
    delivery = one_delivery(endpoint)
    result = delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert result.response_code == code
    assert (result.status == DeliveryStatus.PENDING) is retried
    assert (result.status == DeliveryStatus.FAILED) is not retried


def test_a_timeout_is_retried(endpoint, receiver, monkeypatch):
    monkeypatch.setattr(delivery_module, "TIMEOUT_SECONDS", 0.3)
    receiver.delay = 1.0
    delivery = one_delivery(endpoint)
    result = delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert result.status == DeliveryStatus.PENDING
    assert result.response_code is None
    assert "timed out" in result.last_error
    assert result.next_attempt_at is not None


def test_a_refused_connection_is_retried(db):
    endpoint = Endpoint.objects.create(name="Gone", url="http://127.0.0.1:9/hook", events=[])
    delivery = one_delivery(endpoint)
    result = delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert result.status == DeliveryStatus.PENDING
    assert "refused" in result.last_error.lower()


def test_a_redirect_is_not_followed(endpoint, receiver):
    receiver.answers = [302]
    delivery = one_delivery(endpoint)
    result = delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert result.response_code == 302
    assert result.status == DeliveryStatus.FAILED
    assert len(receiver.requests) == 1


def test_an_attempt_sent_twice_posts_once(endpoint, receiver):
    delivery = one_delivery(endpoint)
    deliver_webhook.apply(args=[delivery.pk, 1], throw=True)
    deliver_webhook.apply(args=[delivery.pk, 1], throw=True)  # the broker handed it out again
    deliver_webhook.apply(args=[delivery.pk, 2], throw=True)  # a stale retry of a done one
    assert len(receiver.requests) == 1


def test_one_delivery_per_event_and_endpoint(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    other = Endpoint.objects.create(name="Chat", url=receiver.url, events=["task.opened"])
    happening = Happening(key="task.opened:1", account_id=None, details={})
    with django_capture_on_commit_callbacks(execute=True):
        first = events_record(EventKind.TASK_OPENED, [happening])
        deliveries_queue(first)
    with django_capture_on_commit_callbacks(execute=True):
        again = events_record(EventKind.TASK_OPENED, [happening])  # the same task found again
        deliveries_queue(again)
    assert len(first) == 1 and again == []  # one event, for two endpoints
    assert Event.objects.count() == 1
    assert {d.endpoint_id for d in Delivery.objects.all()} == {endpoint.pk, other.pk}
    assert len(receiver.requests) == 2
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2


def test_inactive_and_unsubscribed_endpoints_get_nothing(endpoint, receiver):
    Endpoint.objects.create(name="Off", url=receiver.url, events=["task.opened"], active=False)
    Endpoint.objects.create(name="Churn only", url=receiver.url, events=["account.churned"])
    events = events_record(EventKind.TASK_OPENED, [Happening(key="t", account_id=None, details={})])
    assert [d.endpoint for d in Delivery.objects.filter(event_id__in=events)] == [endpoint]


def test_the_slack_body_is_one_readable_sentence(endpoint, receiver):
    endpoint.body_format = "slack"
    endpoint.save()
    delivery = one_delivery(endpoint)
    deliver_webhook.apply(args=[delivery.pk, 1], throw=True)
    (request,) = receiver.requests
    assert json.loads(request.body) == {
        "text": "an account turned red (was green). Score 30 on 30 Jun 2026."
    }
    assert readme_verify()("whsec-test-secret", request.headers, request.body)


def test_a_test_event_goes_to_its_endpoint_alone(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    Endpoint.objects.create(name="Other", url=receiver.url, events=["account.colour_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_queue([sample_event_record(endpoint)])
    (request,) = receiver.requests
    body = json.loads(request.body)
    assert body["type"] == "webhook.test"
    assert body["account"] is None
    assert body["details"] == {"endpoint": "CRM"}
