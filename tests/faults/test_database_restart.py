"""The database restarted during a backfill: the backfill resumes, or fails loudly and a rerun
completes it; either way every day ends with its snapshots exactly once."""

from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Count

from scoring import backfills, rescoring
from scoring.models import BackfillJob, HealthSnapshot, JobStatus
from scoring.tasks import backfill
from tests.faults.conftest import wait_until
from tests.scoring.test_recompute import DAY, book

DAYS = 30
FIRST = DAY - timedelta(days=DAYS - 1)


def terminate_other_sessions() -> int:
    """End the server side of every other session on the test database (this test's own
    connection excepted): the worker's connections are cut and their next query fails.

    This is what a PostgreSQL restart looks like to the worker, without disturbing the other
    databases (and their users) on the same server.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def terminate_session(pid: int) -> None:
    """End one session of the test database, from a connection outside Django's."""
    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True


def assert_each_day_scored_once(accounts) -> None:
    per_day = dict(
        HealthSnapshot.objects.filter(date__range=(FIRST, DAY))
        .values_list("date")
        .annotate(n=Count("pk"))
    )
    assert per_day == {FIRST + timedelta(days=n): len(accounts) for n in range(DAYS)}
    assert set(HealthSnapshot.objects.values_list("account_id", flat=True)) == {
        a.pk for a in accounts
    }
    assert not (
        HealthSnapshot.objects.values("account_id", "date").annotate(n=Count("pk")).filter(n__gt=1)
    ).exists()


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backfill_cut_off_from_the_database_resumes_or_fails_loudly_and_reruns(
    start_worker, default_scorecard
):
    accounts = book(6)
    # Each day takes a little while, so the connections can be cut mid-way.
    worker = start_worker("a", slow="scoring.backfills.health_recompute=0.25")
    with transaction.atomic():
        job = rescoring.backfill_request(start=FIRST, end=DAY, actor=None)

    wait_until(
        lambda: BackfillJob.objects.get(pk=job.pk).days_done >= 5,
        timeout=60,
        what="the backfill to be under way",
        workers=(worker,),
    )
    assert terminate_other_sessions() >= 1
    job.refresh_from_db()
    assert job.days_done < DAYS, "the backfill finished before the connections were cut"

    job = wait_until(
        lambda: BackfillJob.objects.filter(
            pk=job.pk, status__in=[JobStatus.DONE, JobStatus.FAILED]
        ).first(),
        timeout=60,
        what="the backfill to finish or fail",
        workers=(worker,),
    )
    if job.status == JobStatus.FAILED:  # failed loudly: a rerun completes it
        assert "OperationalError" in job.error
        backfill.delay(job.pk)
        job = wait_until(
            lambda: BackfillJob.objects.filter(pk=job.pk, status=JobStatus.DONE).first(),
            timeout=60,
            what="the rerun to complete the backfill",
            workers=(worker,),
        )
    else:  # resumed: the worker met the cut, retried, and went on from the first day not done
        assert "OperationalError" in worker.log()
    assert job.days_done == DAYS
    assert job.error == ""
    assert_each_day_scored_once(accounts)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backfill_out_of_retries_is_marked_failed_and_a_rerun_completes_it(
    default_scorecard, monkeypatch, settings
):
    settings.HEALTHSCORE_BACKFILL_BLOCK_DAYS = 1  # a block a day: the cut falls on day 4
    accounts = book(3)
    job = BackfillJob.objects.create(start=FIRST, end=DAY)
    real = backfills.health_backfill
    days_seen = []

    def backfill_with_the_database_cut_on_day_4(days, **kwargs):
        days_seen.extend(days)
        if len(days_seen) == 4:
            terminate_session(connection.connection.info.backend_pid)
        return real(days, **kwargs)

    monkeypatch.setattr(backfills, "health_backfill", backfill_with_the_database_cut_on_day_4)
    with pytest.raises(OperationalError):
        # As the last allowed retry: no more retries, so the job must say it failed.
        backfill.apply(args=[job.pk], retries=backfill.max_retries, throw=True)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("OperationalError")
    assert job.days_done == 3

    monkeypatch.undo()
    backfill.apply(args=[job.pk], throw=True)  # the rerun resumes on day 4
    job.refresh_from_db()
    assert (job.status, job.days_done, job.error) == (JobStatus.DONE, DAYS, "")
    assert_each_day_scored_once(accounts)
