"""A dead or hung broker never ties up a web request: writes answer within a few seconds, the
data is committed and the rescoring is kept in the database (`PendingJob`), not lost."""

import os
import signal
import time

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tokens import TokenKind, token_issue
from jobs.models import PendingJob
from signals.models import SentimentEntry, UsageRecord
from tests.scoring.test_recompute import healthy_account

# The budget of a write with Redis away: publishing gives up within about 2 s (it took 19 s, and
# then answered 500, while Celery waited on the result store).
QUICK = 5.0


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def ingest_client() -> APIClient:
    client = APIClient()
    key = token_issue(name="sync", kind=TokenKind.INGEST)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writes_answer_quickly_and_keep_the_rescoring_when_the_broker_port_is_dead(
    dead_broker, client, csm, default_scorecard
):
    account = healthy_account(owner=csm)
    today = timezone.localdate()
    client.force_login(csm)

    recorded, seconds = timed(
        lambda: client.post(
            f"/accounts/{account.pk}/sentiment/", {"sentiment": "red", "note": "Champion left"}
        )
    )
    assert recorded.status_code == 302
    assert seconds < QUICK, f"recording sentiment took {seconds:.1f} s"
    assert SentimentEntry.objects.filter(account=account, recorded_on=today).exists()
    kept = PendingJob.objects.get()
    assert kept.task == "scoring.tasks.recompute_accounts"
    assert kept.args == [[account.pk], today.isoformat()]

    row = {"account": account.external_id, "date": str(today), "metric": "logins", "value": 7}
    posted, seconds = timed(lambda: ingest_client().post("/api/v1/usage/", [row], format="json"))
    assert posted.status_code == 200, posted.content
    assert seconds < QUICK, f"the ingest request took {seconds:.1f} s"
    assert UsageRecord.objects.filter(account=account, date=today, metric="logins").get().value == 7
    assert PendingJob.objects.count() == 2
    assert PendingJob.objects.last().args == [[account.pk], today.isoformat()]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hung_broker_is_given_up_on_within_seconds(broker, csm, default_scorecard):
    """Redis accepts connections but answers nothing (stopped with SIGSTOP, as a frozen VM or a
    half-open connection looks): the socket timeout, not the operating system's, decides."""
    account = healthy_account(owner=csm)
    today = timezone.localdate()
    row = {"account": account.external_id, "date": str(today), "metric": "logins", "value": 3}
    client = ingest_client()
    os.kill(broker.process.pid, signal.SIGSTOP)
    try:
        posted, seconds = timed(lambda: client.post("/api/v1/usage/", [row], format="json"))
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
    assert posted.status_code == 200, posted.content
    assert seconds < QUICK, f"the ingest request took {seconds:.1f} s"
    assert PendingJob.objects.get().args == [[account.pk], today.isoformat()]
