"""Background imports through the page, run by a real `celery worker` on the test database and
a Redis of the test's own (skipped without them; required in CI): the progress while it runs,
the result page when it is done, and a cancel that leaves nothing behind."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from signals.models import ImportJob, UsageRecord
from tests.factories import AccountFactory
from tests.faults.conftest import wait_until

ROWS = 3000
# Each run sleeps this long after it has started (state "running") and before it reads the file,
# so the test sees the job running instead of racing the worker.
SLOW = "signals.import_jobs.count_lines=3"


@pytest.fixture
def app_on_own_redis(settings, broker, tmp_path):
    """The web side uses the test's Redis as broker and cache (the progress lives there) and
    shares the import directory with the worker."""
    settings.REDIS_URL = broker.url
    settings.CACHES = {
        "default": {"BACKEND": "healthscore.cache.ResilientRedisCache", "LOCATION": broker.url}
    }
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


def usage_file() -> bytes:
    rows = "".join(f"ACME-001,2026-11-01,metric{n:05},{n}\n" for n in range(ROWS))
    return ("account,date,metric,value\n" + rows).encode()


def upload_in_background(client):
    response = client.post(
        "/import/",
        {"kind": "usage", "background": "on",
         "file": SimpleUploadedFile("usage.csv", usage_file(), "text/csv")},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:300]
    return response["Location"]


def state(job_id):
    return ImportJob.objects.values_list("state", flat=True).get(pk=job_id)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_background_import_shows_progress_then_its_result(
    app_on_own_redis,
    start_worker,
    client,
    manager,
):
    AccountFactory(external_id="ACME-001", owner=None)
    worker = start_worker("imports", slow=SLOW, IMPORT_DIR=str(app_on_own_redis))
    client.force_login(manager)
    url = upload_in_background(client)
    job_id = int(url.strip("/").split("/")[-1])

    wait_until(lambda: state(job_id) == "running", timeout=90, what="the job to start",
               workers=(worker,))  # fmt: skip
    page = client.get(url).content.decode()
    assert '<b id="job-state">Running</b>' in page
    assert '<progress id="job-bar"' in page and "import_progress.js" in page
    progress = client.get(f"{url}progress/").json()
    assert progress["state"] == "running" and not progress["finished"]

    wait_until(lambda: state(job_id) == "done", timeout=90, what="the job to finish",
               workers=(worker,))  # fmt: skip
    progress = client.get(f"{url}progress/").json()
    assert (progress["rows_done"], progress["percent"], progress["finished"]) == (ROWS, 100, True)
    assert progress["rows_per_second"] > 0
    page = client.get(url).content.decode()
    assert f"usage.csv: {ROWS} of {ROWS} usage row(s) imported ({ROWS} new" in page
    assert UsageRecord.objects.count() == ROWS
    assert not list(app_on_own_redis.iterdir())  # the stored upload is gone


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_background_import_cancelled_while_running_writes_nothing(
    app_on_own_redis,
    start_worker,
    client,
    manager,
):
    AccountFactory(external_id="ACME-001", owner=None)
    worker = start_worker("imports", slow=SLOW, IMPORT_DIR=str(app_on_own_redis))
    client.force_login(manager)
    url = upload_in_background(client)
    job_id = int(url.strip("/").split("/")[-1])
    wait_until(lambda: state(job_id) == "running", timeout=90, what="the job to start",
               workers=(worker,))  # fmt: skip

    assert client.post(f"{url}cancel/").status_code == 302

    wait_until(lambda: state(job_id) == "cancelled", timeout=90, what="the job to stop",
               workers=(worker,))  # fmt: skip
    assert not UsageRecord.objects.exists()
    assert "Cancelled: nothing imported" in client.get(url).content.decode()
