"""The Celery tasks, run in-process: they call the same services as the commands."""

from datetime import timedelta

from healthscore.models import HealthSnapshot, Task
from healthscore.tasks import nightly_recompute, recompute_accounts
from tests.factories import InvoiceFactory
from tests.healthscore.test_recompute import DAY, book, healthy_account


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
    InvoiceFactory(account=account, issued_on=DAY - timedelta(days=90), due_on=DAY - timedelta(days=60))
    nightly_recompute.delay(DAY.isoformat())
    task = Task.objects.get(account=account, reason="turned_red")
    assert task.assignee == account.owner
    nightly_recompute.delay(DAY.isoformat())  # a second run opens nothing new
    assert Task.objects.count() == 1


def test_recompute_accounts_rescores_only_the_named_accounts(default_scorecard):
    a, b = book(2)
    assert recompute_accounts.delay([a.pk], DAY.isoformat()).get() == 1
    assert list(HealthSnapshot.objects.values_list("account_id", flat=True)) == [a.pk]
