"""End to end on real services: a Celery worker on Redis runs the nightly recompute and the
snapshots appear in PostgreSQL. Skipped on a laptop without them; required in CI."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from healthscore.celery import app
from scoring.models import HealthSnapshot
from tests.scoring.test_recompute import DAY, book

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(default_scorecard):
    """A real `celery worker` process on the test database, stopped after the test."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": "worker-test",
        "HEALTHSCORE_RECOMPUTE_CHUNK": "4",
    }
    app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "healthscore",
            "worker",
            "--concurrency=2",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_the_nightly_recompute_in_chunks(worker):
    from workspace.tasks import nightly_recompute

    accounts = book(10)  # committed: the worker sees them
    nightly_recompute.apply_async(args=[DAY.isoformat()])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        count = HealthSnapshot.objects.filter(date=DAY).count()
        if count == len(accounts):
            break
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.5)
        connection.close()  # see the worker's commits
    assert HealthSnapshot.objects.filter(date=DAY).count() == len(accounts)
    assert set(HealthSnapshot.objects.values_list("account_id", flat=True)) == {
        a.pk for a in accounts
    }
