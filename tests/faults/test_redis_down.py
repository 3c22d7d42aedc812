"""Redis down: pages still serve, work queued meanwhile is kept in the database, and it runs once
Redis is back and a worker starts."""

import pytest
from django.utils import timezone

from jobs.models import PendingJob
from scoring.current_health import current_scores_refresh
from scoring.explanations import explained
from scoring.models import HealthSnapshot
from signals.models import SentimentEntry
from tests.faults.conftest import wait_until
from tests.scoring.test_recompute import healthy_account


@pytest.fixture
def app_on_own_redis(settings, broker):
    """The app under test uses the test's own Redis as broker, cache and /healthz target."""
    settings.REDIS_URL = broker.url
    settings.CACHES = {
        "default": {
            "BACKEND": "healthscore.cache.ResilientRedisCache",
            "LOCATION": broker.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return broker


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pages_serve_without_redis_and_kept_work_runs_when_it_is_back(
    app_on_own_redis, start_worker, client, csm, default_scorecard
):
    redis_server = app_on_own_redis
    account = healthy_account(owner=csm)
    current_scores_refresh(account_ids=[account.pk])  # as the import that brings it in does
    csm.set_password("correct horse battery")
    csm.save()
    today = timezone.localdate()

    redis_server.stop()

    # Login, with its brake on password guessing (counted in the database).
    assert client.get("/login/").status_code == 200
    wrong = client.post("/login/", {"username": csm.username, "password": "wrong"})
    assert wrong.status_code == 200
    assert b"Please enter a correct username and password" in wrong.content
    right = client.post("/login/", {"username": csm.username, "password": "correct horse battery"})
    assert right.status_code == 302
    # The book and the account page.
    book = client.get("/accounts/")
    assert book.status_code == 200
    assert account.name.encode() in book.content
    assert client.get(f"/accounts/{account.pk}/").status_code == 200
    # /healthz says what is wrong instead of pretending.
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["database"] == "ok"
    assert health.json()["redis"].startswith("error")

    # Recording sentiment queues a rescoring of the account: kept, not lost, not a 500.
    recorded = client.post(
        f"/accounts/{account.pk}/sentiment/", {"sentiment": "red", "note": "Champion left"}
    )
    assert recorded.status_code == 302
    assert SentimentEntry.objects.filter(account=account, recorded_on=today).exists()
    kept = PendingJob.objects.get()
    assert kept.task == "scoring.tasks.recompute_accounts"
    assert kept.args == [[account.pk], today.isoformat()]
    assert not HealthSnapshot.objects.filter(account=account, date=today).exists()

    # Redis is back; a worker starts and sends the kept work as it becomes ready, then runs it.
    redis_server.start()
    worker = start_worker("a")
    snapshot = wait_until(
        lambda: HealthSnapshot.objects.filter(account=account, date=today).first(),
        timeout=60,
        what="the kept rescoring to run",
        workers=(worker,),
    )
    assert not PendingJob.objects.exists()
    assert {"key": "sentiment", "raw": 0.0} in [
        {"key": c["key"], "raw": c["raw"]} for c in explained(snapshot).components
    ]
    assert client.get("/healthz").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_brake_on_password_guessing_holds_with_redis_down(dead_broker, client, csm, settings):
    """It counted in the cache and failed open: 8 wrong passwords, none refused."""
    for attempt in range(settings.LOGIN_MAX_FAILURES):
        wrong = client.post(
            "/login/", {"username": csm.username, "password": f"wrong{attempt}"},
            REMOTE_ADDR="10.0.0.1",
        )  # fmt: skip
        assert wrong.status_code == (429 if attempt == settings.LOGIN_MAX_FAILURES - 1 else 200)
    right = {"username": csm.username, "password": "correct horse battery"}
    refused = client.post("/login/", right, REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    admin = client.post("/admin/login/", right, REMOTE_ADDR="10.0.0.1")
    assert admin.status_code == 429
    # The same user, from another address, is not locked out.
    assert client.post("/login/", right, REMOTE_ADDR="10.0.0.2").status_code == 302
