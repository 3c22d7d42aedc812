"""The Celery tasks, run in-process: they call the same services as the commands."""

from datetime import timedelta

from scoring.models import HealthSnapshot
from scoring.tasks import recompute_accounts
from tests.factories import InvoiceFactory
from tests.scoring.test_recompute import DAY, book, healthy_account
from workspace.models import Task
from workspace.tasks import nightly_recompute


def test_nightly_recompute_scores_every_active_account_in_chunks(default_scorecard, settings):
    settings.HEALTHSCORE_RECOMPUTE_CHUNK = 3
    accounts = book(7)
    result = nightly_recompute.delay(DAY.isoformat()).get()
    assert result == {"day": DAY.isoformat(), "chunks": 3}
    assert sorted(HealthSnapshot.objects.filter(date=DAY).values_list("account_id", flat=True)) == [
        a.pk for a in accounts
    ]


def test_nightly_recompute_then_opens_tasks_for_accounts_that_turned_red(default_scorecard):
    account = healthy_account(usage=50)
    healthy_account(usage=5)
    nightly_recompute.delay((DAY - timedelta(days=1)).isoformat())
    assert not Task.objects.exists()
    InvoiceFactory(
        account=account, issued_on=DAY - timedelta(days=90), due_on=DAY - timedelta(days=60)
    )
    nightly_recompute.delay(DAY.isoformat())
    task = Task.objects.get(account=account, reason="turned_red")
    assert task.assignee == account.owner
    nightly_recompute.delay(DAY.isoformat())  # a second run opens nothing new
    assert Task.objects.count() == 1


def test_recompute_accounts_rescores_only_the_named_accounts(default_scorecard):
    a, b = book(2)
    assert recompute_accounts.delay([a.pk], DAY.isoformat()).get() == 1
    assert list(HealthSnapshot.objects.values_list("account_id", flat=True)) == [a.pk]


def test_an_import_rescores_the_accounts_it_touched_once_committed(
    default_scorecard, tmp_path, django_capture_on_commit_callbacks
):
    import time_machine
    from django.core.management import call_command

    a, b = book(2)
    csv_file = tmp_path / "usage.csv"
    csv_file.write_text(f"account,date,metric,value\n{a.external_id},{DAY},logins,500\n")
    with time_machine.travel(DAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("import_csv", "usage", str(csv_file), stdout=None)
    assert list(HealthSnapshot.objects.filter(date=DAY).values_list("account_id", flat=True)) == [
        a.pk
    ]
