"""The webhooks in the admin: registering an endpoint, *Send a test event* (button and action),
the delivery log (bounded queries, what each attempt got) and *Retry now*."""

import json

import pytest

from audit.models import AuditEntry
from webhooks.models import Delivery, DeliveryStatus, Endpoint, EventKind
from webhooks.recording import Happening, events_record


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_registers_an_endpoint_with_its_events(admin, admin_user, receiver):
    page = admin.get("/admin/webhooks/endpoint/add/")
    assert page.status_code == 200
    secret = page.context["adminform"].form["secret"].value()
    assert len(secret) >= 40  # a random secret is filled in
    response = admin.post(
        "/admin/webhooks/endpoint/add/",
        {
            "name": "Team chat",
            "url": receiver.url,
            "active": "on",
            "events": ["account.colour_changed", "account.churned"],
            "body_format": "slack",
            "secret": secret,
        },
    )
    assert response.status_code == 302, response.content
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["account.colour_changed", "account.churned"]
    assert (endpoint.secret, endpoint.body_format) == (secret, "slack")
    listing = admin.get("/admin/webhooks/endpoint/").content.decode()
    assert "Colour changed, Account churned" in listing
    # The audit trail has who registered it and how, never the secret.
    entry = AuditEntry.objects.get(object_type="endpoint")
    assert (entry.action, entry.actor, entry.object_repr) == ("created", admin_user, "Team chat")
    assert entry.changes["url"] == [None, receiver.url]
    assert secret not in json.dumps(entry.changes)


def test_an_unknown_event_is_refused_with_the_field_named(admin, receiver):
    response = admin.post(
        "/admin/webhooks/endpoint/add/",
        {
            "name": "X",
            "url": receiver.url,
            "events": ["webhook.test"],
            "body_format": "json",
            "secret": "s",
        },
    )
    assert response.status_code == 200
    assert "events" in response.context["adminform"].form.errors
    assert Endpoint.objects.count() == 0


def test_the_send_test_button_posts_a_signed_test_event(
    admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    page = admin.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/").content.decode()
    assert "Send a test event" in page
    assert admin.get(f"/admin/webhooks/endpoint/{endpoint.pk}/send-test/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/webhooks/endpoint/{endpoint.pk}/send-test/", follow=True)
    assert "A test event was queued for “CRM”" in response.content.decode()
    (request,) = receiver.requests
    assert json.loads(request.body)["type"] == "webhook.test"
    assert request.headers["X-Healthscore-Signature"].startswith("sha256=")


def test_the_send_test_action_sends_to_each_selected_endpoint(
    admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    other = Endpoint.objects.create(name="Chat", url=receiver.url, events=[], body_format="slack")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/webhooks/endpoint/",
            {"action": "send_test", "_selected_action": [endpoint.pk, other.pk]},
            follow=True,
        )
    assert "for each of 2 endpoints" in response.content.decode()
    bodies = sorted(json.loads(r.body).get("text", "json") for r in receiver.requests)
    assert bodies == sorted(
        ["json", "Test message from Healthscore: the endpoint “Chat” receives events."]
    )


def test_a_csm_cannot_reach_the_webhooks_admin(client, csm, endpoint):
    client.force_login(csm)
    assert client.get("/admin/webhooks/endpoint/").status_code == 302
    assert client.post(f"/admin/webhooks/endpoint/{endpoint.pk}/send-test/").status_code == 302


def failed_deliveries(endpoint, n):
    events = events_record(
        EventKind.COLOUR_CHANGED,
        [
            Happening(
                key=f"k{i}", account_id=None, details={"previous_colour": "green", "colour": "red"}
            )
            for i in range(n)
        ],
        endpoints=[endpoint],
    )
    Delivery.objects.filter(event_id__in=events).update(
        status=DeliveryStatus.FAILED, attempts=6, response_code=503, last_error="HTTP 503"
    )
    return list(Delivery.objects.filter(event_id__in=events))


@pytest.mark.parametrize("n", [3, 30])
def test_the_delivery_log_takes_a_fixed_number_of_queries(
    admin, endpoint, n, django_assert_max_num_queries
):
    failed_deliveries(endpoint, n)
    # session, user, count for the paginator, total count, the page's rows with their event,
    # endpoint and account (one join), the filter's endpoints, the date hierarchy's years
    with django_assert_max_num_queries(9):
        page = admin.get("/admin/webhooks/delivery/")
    assert page.status_code == 200
    assert page.content.decode().count(">503<") == n


def test_a_delivery_shows_what_the_receiver_answered(admin, endpoint, receiver):
    receiver.answers = [422]
    (delivery,) = failed_deliveries(endpoint, 1)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0)
    from webhooks.tasks import deliver_webhook

    deliver_webhook.apply(args=[delivery.pk, 1], throw=True)
    page = admin.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert "Failed" in page and "422" in page and "answer 422" in page
    assert "HTTP 422 Unprocessable" in page
    assert "&quot;previous_colour&quot;: &quot;green&quot;" in page  # the body sent


def test_retry_now_sends_a_failed_delivery_again(
    admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    (delivery,) = failed_deliveries(endpoint, 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/webhooks/delivery/",
            {"action": "retry_now", "_selected_action": [delivery.pk]},
            follow=True,
        )
    assert "1 delivery queued again." in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 7, 200)
    assert len(receiver.requests) == 1
