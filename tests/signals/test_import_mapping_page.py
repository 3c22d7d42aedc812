"""The import page's column mapping and background jobs, through the test client (Celery runs
in-process here; tests/signals/test_import_worker.py runs them in a real worker)."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from signals.import_jobs import import_job_run
from signals.models import ColumnMapping, ImportJob, SubscriptionLine, UsageRecord
from tests.factories import AccountFactory

STRIPE = Path(__file__).resolve().parents[2] / "examples" / "presets" / "stripe_subscriptions.csv"


@pytest.fixture
def customers(db, settings, tmp_path):
    settings.IMPORT_DIR = tmp_path
    return [AccountFactory(external_id=f"cus_QaB1c2D3e4F5g{n}", owner=None) for n in (6, 7, 8)]


def start_mapping(client, content: bytes, kind="subscriptions", name="export.csv"):
    response = client.post(
        "/import/",
        {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv"), "action": "map"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def test_a_stripe_export_is_proposed_a_mapping_previewed_and_imported(
    client, manager, customers, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    url = start_mapping(client, STRIPE.read_bytes())
    assert re.fullmatch(r"/import/\d+/map/", url)
    page = client.get(url).content.decode()
    # Proposed from the names: Customer ID -> account, Plan -> product, Amount -> mrr ...
    assert '<option value="Customer ID" selected>' in page
    assert "stripe_subscriptions" in page  # the preset to start from
    # Start from the preset: its transforms (per month, trialing) apply in the preview.
    page = client.get(url, {"start_from": "stripe_subscriptions"}).content.decode()
    assert "The first 3 rows, as they would be imported" in page
    assert "<td>420.00</td>" in page  # 42.00 a month × 10 seats
    assert "<td>100.00</td>" in page  # 1200.00 a year
    form = {
        "start_from": "stripe_subscriptions", "delimiter": "", "date_format": "iso",
        "decimal": "auto", "field_account": "Customer ID", "field_subscription_id": "id",
        "field_product": "Plan", "field_mrr": "Amount", "field_start_date": "Start Date (UTC)",
        "field_end_date": "Ended At (UTC)", "field_is_trial": "Status",
        "save_as": "our stripe", "action": "import",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    result = client.get(response["Location"]).content.decode()
    assert "export.csv: 3 of 3 subscriptions row(s) imported (3 new" in result
    lines = dict(SubscriptionLine.objects.values_list("subscription_id", "mrr"))
    assert lines == {
        "sub_1PqA2bCdEfGh0001": Decimal("420.00"),
        "sub_1PqA2bCdEfGh0002": Decimal("99.00"),
        "sub_1PqA2bCdEfGh0003": Decimal("100.00"),
    }
    job.refresh_from_db()
    assert (job.state, job.written, job.created) == ("done", 3, 3)
    # Saved by name, with the preset's transforms, for the command line.
    saved = ColumnMapping.objects.get(name="our stripe")
    assert saved.spec["fields"]["mrr"]["transform"] == "per_month"


def test_cells_that_do_not_parse_are_marked_in_the_preview(client, manager, customers):
    client.force_login(manager)
    content = (
        b"Subscription,Customer,Plan,MRR,Start\n"
        b"s1,cus_QaB1c2D3e4F5g6,Core,12.50,01.11.2026\n"
        b"s2,cus_QaB1c2D3e4F5g6,Core,lots,2026-11-01\n"
    )
    url = start_mapping(client, content)
    form = {
        "delimiter": "", "date_format": "dmy_dot", "decimal": "auto", "action": "preview",
        "field_account": "Customer", "field_subscription_id": "Subscription",
        "field_product": "Plan", "field_mrr": "MRR", "field_start_date": "Start",
    }  # fmt: skip
    page = client.post(url, form).content.decode()
    assert "<td>1 November 2026</td>" in page  # 01.11.2026 read as DD.MM.YYYY
    assert "&#x27;lots&#x27; is not a number" in page
    assert "&#x27;2026-11-01&#x27; is not a date; use DD.MM.YYYY" in page
    assert page.count('class="cell-error"') == 2
    assert not SubscriptionLine.objects.exists()


def test_a_required_field_left_unmapped_is_said_before_importing(client, manager, customers):
    client.force_login(manager)
    url = start_mapping(client, b"Whatever,Else\n1,2\n")
    page = client.post(
        url, {"delimiter": "", "date_format": "iso", "decimal": "auto", "action": "import"}
    )
    assert page.status_code == 200  # not queued
    assert (
        "account, subscription_id, product, mrr, start_date: required field is not mapped"
        in page.content.decode()
    )
    assert ImportJob.objects.get().state == "mapping"


def test_an_all_or_nothing_job_with_a_bad_row_writes_nothing_and_lists_it(
    client, manager, customers, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    content = b"account,date,metric,value\n" + b"cus_QaB1c2D3e4F5g6,2026-11-01,logins,1\n" * 1
    content += b"cus_QaB1c2D3e4F5g6,2026-11-02,logins,-3\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/import/",
            {"kind": "usage", "background": "on",
             "file": SimpleUploadedFile("u.csv", content, "text/csv")},
        )  # fmt: skip
    job = ImportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.state == "failed"
    assert "u.csv:3: value: -3 is negative; it must be 0 or more" in page
    assert not UsageRecord.objects.exists()
    errors = client.get(f"/import/{job.pk}/errors.csv")
    assert errors["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    assert errors.content.decode().splitlines() == [
        "line,column,reason",
        "3,value,-3 is negative; it must be 0 or more",
    ]


def test_a_cancelled_job_writes_nothing(client, manager, customers, monkeypatch):
    """Cancelled while running: the worker sees the flag between chunks and rolls back."""
    client.force_login(manager)
    rows = "".join(f"cus_QaB1c2D3e4F5g6,2026-11-01,m{n},1\n" for n in range(3000))
    start_mapping(client, ("account,date,metric,value\n" + rows).encode(), "usage", "u.csv")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(state="queued")
    monkeypatch.setattr("signals.import_jobs.PROGRESS_EVERY", 0)
    # Asked before the first progress report: the worker stops there and rolls back.
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    done = import_job_run(job.pk)
    assert done.state == "cancelled"
    assert not UsageRecord.objects.exists()
    assert not Path(done.path).exists()
    page = client.get(f"/import/{job.pk}/").content.decode()
    assert "Cancelled: nothing imported" in page


def test_a_queued_job_cancelled_from_the_page_never_runs(client, manager, customers):
    client.force_login(manager)
    start_mapping(client, b"account,date,metric,value\n", "usage", "u.csv")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(state="queued")
    assert client.post(f"/import/{job.pk}/cancel/").status_code == 302
    assert import_job_run(job.pk).state == "cancelled"


def test_progress_is_json_for_the_bar(client, manager, customers):
    client.force_login(manager)
    start_mapping(client, b"account,date,metric,value\n", "usage", "u.csv")
    job = ImportJob.objects.get()
    progress = client.get(f"/import/{job.pk}/progress/").json()
    assert progress == {
        "state": "mapping", "finished": False, "rows_done": 0, "rows_total": 1, "percent": 0,
        "rows_per_second": 0, "seconds_left": None,
    }  # fmt: skip


def test_a_csm_cannot_see_jobs(client, csm, manager, customers):
    client.force_login(manager)
    start_mapping(client, b"account,date,metric,value\n", "usage", "u.csv")
    job = ImportJob.objects.get()
    client.force_login(csm)
    for path in ("", "map/", "progress/", "errors.csv"):
        assert client.get(f"/import/{job.pk}/{path}").status_code == 403


def test_a_job_that_breaks_is_failed_with_nothing_written(client, manager, customers, monkeypatch):
    client.force_login(manager)
    start_mapping(client, b"account,date,metric,value\n", "usage", "u.csv")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(state="queued")

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("signals.import_jobs.csv_import", broken)
    done = import_job_run(job.pk)
    assert (done.state, done.summary) == (
        "failed",
        "u.csv: the import stopped (the server log says why); nothing was imported.",
    )
    assert not Path(done.path).exists()


def test_a_running_job_whose_worker_died_is_run_again(client, manager, customers):
    client.force_login(manager)
    content = b"account,date,metric,value\ncus_QaB1c2D3e4F5g6,2026-11-01,logins,4\n"
    start_mapping(client, content, "usage", "u.csv")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(state="running")  # its worker was killed
    assert import_job_run(job.pk).state == "done"
    assert UsageRecord.objects.get().value == 4
    assert import_job_run(job.pk).state == "done"  # a late duplicate message does nothing
    assert UsageRecord.objects.count() == 1
