"""Work queued while the broker is down is kept in the database and sent once it is back."""

import pytest
from kombu.exceptions import OperationalError as BrokerError

from healthscore.celery import app
from jobs.models import PendingJob
from jobs.queueing import enqueue, outbox_flush, send_or_keep
from scoring.models import HealthSnapshot
from scoring.tasks import recompute_accounts
from tests.scoring.test_recompute import DAY, book
from workspace.tasks import nightly_recompute


@pytest.fixture
def broker_down(monkeypatch):
    """The broker is outside the project: stand in for one that refuses connections (the
    real outage, with a real Redis stopped, is in tests/faults)."""

    def refuse(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    monkeypatch.setattr(app, "send_task", refuse)
    yield
    app.conf.task_always_eager = eager


def test_a_task_that_cannot_be_sent_is_kept_not_lost(default_scorecard, broker_down):
    [account] = book(1)
    assert send_or_keep(recompute_accounts, [[account.pk], str(DAY)]) is False
    job = PendingJob.objects.get()
    assert job.task == "scoring.tasks.recompute_accounts"
    assert job.args == [[account.pk], str(DAY)]
    assert outbox_flush() == 0  # still down: kept
    assert PendingJob.objects.count() == 1


def test_kept_work_runs_once_the_broker_is_back(default_scorecard):
    [account] = book(1)
    PendingJob.objects.create(
        task="scoring.tasks.recompute_accounts", args=[[account.pk], str(DAY)]
    )
    assert outbox_flush() == 1  # in-process here: the task runs as it is sent
    assert not PendingJob.objects.exists()
    assert HealthSnapshot.objects.filter(account=account, date=DAY).exists()
    assert outbox_flush() == 0  # sent once


def test_enqueue_waits_for_the_commit(default_scorecard, django_capture_on_commit_callbacks):
    [account] = book(1)
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue(recompute_accounts, [account.pk], str(DAY))
        assert not HealthSnapshot.objects.exists()
    for callback in callbacks:
        callback()
    assert HealthSnapshot.objects.filter(account=account).exists()


def test_any_error_from_the_broker_side_keeps_the_task(default_scorecard, monkeypatch):
    # Not only kombu's errors: the result store's reconnect gave up with a RuntimeError.
    def result_store_down(*args, **kwargs):
        raise RuntimeError("Retry limit exceeded while trying to reconnect to the result store")

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    monkeypatch.setattr(app, "send_task", result_store_down)
    try:
        assert send_or_keep(nightly_recompute, [str(DAY)]) is False
    finally:
        app.conf.task_always_eager = eager
    assert PendingJob.objects.get().error.startswith("Retry limit exceeded")
