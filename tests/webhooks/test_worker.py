"""End to end on real services: a colour change committed here is posted by a real Celery
worker on Redis to the receiver, signed. Skipped on a laptop without them; required in CI."""

import json
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import AccountFactory
from tests.scoring.test_worker import worker  # noqa: F401 - the real worker fixture
from tests.webhooks.test_delivery import readme_verify
from webhooks.models import Delivery, DeliveryStatus
from workspace.account_page import override_set
from workspace.current_health import current_health_refresh


def wait_delivered(count: int, process, timeout: float = 60) -> list[Delivery]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection.close()  # see the worker's commits
        done = list(Delivery.objects.filter(status=DeliveryStatus.DELIVERED))
        if len(done) >= count:
            return done
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.3)
    raise AssertionError(f"not delivered within {timeout} s")


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_posts_a_colour_change(worker, endpoint, receiver):  # noqa: F811
    account = AccountFactory(name="Acme Corp")
    current_health_refresh(account_ids=[account.pk])  # the book's row: grey, no score yet
    today = timezone.localdate()
    override_set(
        account=account,
        author=None,
        day=today,
        colour="red",
        reason="Champion left",
        expires_on=today + timedelta(days=3),
    )
    (delivery,) = wait_delivered(1, worker)
    assert delivery.attempts == 1 and delivery.response_code == 200
    (request,) = receiver.wait_for(1)
    assert readme_verify()(endpoint.secret, request.headers, request.body)
    body = json.loads(request.body)
    assert body["account"]["name"] == "Acme Corp"
    assert (body["details"]["previous_colour"], body["details"]["colour"]) == ("grey", "red")
