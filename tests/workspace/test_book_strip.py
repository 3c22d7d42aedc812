"""The book's summary strip is kept in the cache under the current-health rows' version, and
follows every write to them: the recompute, an override set, cleared and expired, a task
opened and completed, a reassignment and an import. Each test loads the page first, so that
the strip it then checks would be the cached one if the change had not been seen.

"Today" is frozen at 30 June 2026 noon UTC (the `today` fixture), the day the accounts are
scored.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from scoring.current_health import current_health_version
from scoring.models import CurrentHealth
from scoring.recompute import health_recompute
from tests.factories import InvoiceFactory, UserFactory
from tests.scoring.test_recompute import DAY, healthy_account
from tests.workspace.test_book import today  # noqa: F401 - autouse: 30 June 2026 noon UTC
from workspace import book
from workspace.account_page import account_reassign, override_clear, override_set
from workspace.current_health import current_health_refresh
from workspace.followups import task_complete, tasks_open
from workspace.models import Task
from workspace.tasks import nightly_recompute

STRIP_ITEM = re.compile(
    r'<a class="summary-item summary-(?P<colour>red|yellow|green|grey)[^"]*"[^>]*>.*?'
    r"<b>(?P<n>[\d,]+)</b><span>MRR (?P<mrr>[^<]*)</span>",
    re.S,
)


def strip(client) -> dict[str, tuple[int, str]]:
    """The strip as the page shows it: colour -> (accounts, MRR as written)."""
    html = client.get("/accounts/").content.decode()
    return {
        m["colour"]: (int(m["n"].replace(",", "")), m["mrr"]) for m in STRIP_ITEM.finditer(html)
    }


@pytest.fixture
def scored(default_scorecard):
    """Two scored accounts of one CSM; the first is green (1,000 MRR)."""
    owner = UserFactory(username="casey")
    account = healthy_account(owner, usage=50)
    healthy_account(owner, usage=10)  # someone to be better than
    health_recompute(as_of=DAY)
    return account


@pytest.fixture
def casey(client, scored):
    """Casey's book of two scored accounts (one green, one not), its strip already cached."""
    client.force_login(scored.owner)
    strip(client)
    return client


def test_the_strip_and_the_day_are_read_once_per_version_of_the_rows(
    casey, scored, django_assert_num_queries
):
    # user, page, its bands: the session, the latest day and the strip come from the cache
    with django_assert_num_queries(3):
        casey.get("/accounts/")
    override_set(
        account=scored,
        author=None,
        day=DAY,
        colour="red",
        reason="Champion left",
        expires_on=DAY + timedelta(days=3),
    )
    # a write to the rows changed the version: the day, the strip and the not-yet count are
    # read again, once
    with django_assert_num_queries(6):
        casey.get("/accounts/")
    with django_assert_num_queries(3):
        casey.get("/accounts/")


def test_the_strip_follows_a_recompute(casey, scored):
    before = strip(casey)
    InvoiceFactory(
        account=scored, issued_on=DAY - timedelta(days=90), due_on=DAY - timedelta(days=60)
    )
    health_recompute(as_of=DAY, accounts=[scored.pk])
    after = strip(casey)
    assert after["red"][0] == before["red"][0] + 1
    assert after["green"][0] == before["green"][0] - 1


def test_the_strip_follows_an_override_set_and_cleared(casey, scored):
    before = strip(casey)
    assert before["green"] == (1, "$1,000")
    override_set(
        account=scored,
        author=None,
        day=DAY,
        colour="red",
        reason="Champion left",
        expires_on=DAY + timedelta(days=3),
    )
    overridden = strip(casey)
    assert overridden["green"] == (0, "$0")
    assert overridden["red"] == (before["red"][0] + 1, "$1,000")
    override_clear(account=scored, day=DAY)
    assert strip(casey) == before


def test_the_strip_follows_an_override_that_expired_at_the_nightly_run(casey, scored):
    before = strip(casey)
    override_set(
        account=scored,
        author=None,
        day=DAY,
        colour="yellow",
        reason="Budget review",
        expires_on=DAY + timedelta(days=3),
    )
    with time_machine.travel(datetime(2026, 7, 4, 1, tzinfo=UTC), tick=False):
        nightly_recompute.delay("2026-07-04")
        assert strip(casey)["green"] == before["green"]


def test_tasks_opened_and_completed_renew_the_strip(casey, scored, django_assert_num_queries):
    InvoiceFactory(
        account=scored, issued_on=DAY - timedelta(days=90), due_on=DAY - timedelta(days=60)
    )
    health_recompute(as_of=DAY, accounts=[scored.pk])
    red = strip(casey)["red"]
    assert tasks_open(day=DAY) >= 1  # it turned red: a task opens
    # the strip shows no task count, but its figures are read again all the same
    with django_assert_num_queries(6):
        casey.get("/accounts/")
    task_complete(task=Task.objects.filter(account=scored).first(), outcome="Called", day=DAY)
    with django_assert_num_queries(6):
        casey.get("/accounts/")
    assert strip(casey)["red"] == red


def test_the_strip_follows_a_reassignment(client, scored):
    riley = UserFactory(username="riley")
    client.force_login(riley)
    assert strip(client)["green"] == (0, "$0")
    client.force_login(scored.owner)
    assert strip(client)["green"] == (1, "$1,000")
    account_reassign(account=scored, owner=riley)
    assert strip(client)["green"] == (0, "$0")
    client.force_login(riley)
    assert strip(client)["green"] == (1, "$1,000")


def test_a_refresh_that_writes_nothing_keeps_the_version(casey, scored):
    kept = current_health_version()
    current_health_refresh(account_ids=[scored.pk])
    health_recompute(as_of=DAY, accounts=[scored.pk])
    assert current_health_version() == kept


def test_the_strip_follows_an_import(casey, scored, tmp_path, django_capture_on_commit_callbacks):
    assert strip(casey)["green"] == (1, "$1,000")
    csv_file = tmp_path / "subscriptions.csv"
    csv_file.write_text(
        "account,subscription_id,product,mrr,start_date,end_date,is_trial\n"
        f"{scored.external_id},sub_addon,Add-on,500,2026-03-01,2026-07-20,false\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_csv", "subscriptions", str(csv_file), stdout=None)
    assert strip(casey)["green"] == (1, "$1,500")


def test_a_write_changes_the_version_again_when_it_commits(
    scored, django_capture_on_commit_callbacks
):
    """A strip read between a write and its commit saw the rows before it: the version
    changes once more at the commit, so that what that read cached is never used."""
    with django_capture_on_commit_callbacks() as callbacks:
        Task.objects.create(account=scored, reason="turned_red", opened_on=DAY, due_on=DAY)
        current_health_refresh(account_ids=[scored.pk])  # one more open task
        written = current_health_version()
    assert callbacks
    for callback in callbacks:
        callback()
    assert current_health_version() not in (None, written)


def test_with_the_cache_down_the_strip_is_read_from_the_rows(casey, scored, monkeypatch):
    monkeypatch.setattr(book, "current_health_version", lambda: None)
    override_set(
        account=scored,
        author=None,
        day=DAY,
        colour="red",
        reason="Champion left",
        expires_on=DAY + timedelta(days=3),
    )
    assert strip(casey)["green"] == (0, "$0")


def test_a_book_of_no_rows_has_an_empty_strip(scored):
    day, summary = book.book_figures(CurrentHealth.objects.none(), today=DAY)
    assert day == DAY
    assert [(s["n"], s["mrr"]) for s in summary] == [(0, 0)] * 4
