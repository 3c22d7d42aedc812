"""The current-health row the book reads follows every change of a figure it shows: the
recompute, an import, an override set, cleared and expired, a task opened, completed and
snoozed, a reassignment, and the days moving on past a line's start or end.

"Today" is frozen at 30 June 2026 noon UTC, the day the accounts are scored.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Account
from scoring.models import CurrentHealth
from scoring.recompute import health_recompute
from tests.factories import InvoiceFactory, SubscriptionLineFactory, UserFactory
from tests.scoring.test_recompute import DAY, healthy_account
from tests.workspace.test_book import listed_names, listed_rows
from workspace.account_page import account_reassign, override_clear, override_set
from workspace.current_health import current_health_refresh
from workspace.followups import task_complete, task_snooze, tasks_open
from workspace.models import Task, TaskStatus
from workspace.tasks import nightly_recompute


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False):
        yield DAY


def row(account) -> CurrentHealth:
    return CurrentHealth.objects.get(account=account)


@pytest.fixture
def scored(default_scorecard):
    """Two scored accounts of one CSM; the first is green."""
    owner = UserFactory(username="casey")
    account = healthy_account(owner, usage=50)
    healthy_account(owner, usage=10)  # someone to be better than
    health_recompute(as_of=DAY)
    return account


def test_the_recompute_writes_the_score_colour_coverage_and_mrr(scored):
    current = row(scored)
    assert current.colour == current.computed_colour == "green"
    assert current.score is not None and current.score >= 70
    assert (current.coverage, current.mrr) == (1.0, Decimal("1000.00"))
    assert current.scored_on == DAY and current.override_colour == ""
    assert current.owner.username == "casey" and current.name == scored.name


def test_a_recompute_that_turns_the_account_red_turns_its_row_red(scored):
    InvoiceFactory(
        account=scored, issued_on=DAY - timedelta(days=90), due_on=DAY - timedelta(days=60)
    )
    health_recompute(as_of=DAY, accounts=[scored.pk])
    assert row(scored).colour == "red"


def test_trends_compare_with_the_snapshots_7_and_30_days_before(scored):
    for back in (7, 30):
        health_recompute(as_of=DAY - timedelta(days=back))
    current = row(scored)
    assert current.scored_on == DAY  # a recompute of past days never winds the row back
    assert current.trend7 is not None and current.trend30 is not None


def test_an_import_rescores_and_refreshes_the_rows_it_touched(
    scored, tmp_path, django_capture_on_commit_callbacks
):
    csv_file = tmp_path / "subscriptions.csv"
    csv_file.write_text(
        "account,subscription_id,product,mrr,start_date,end_date,is_trial\n"
        f"{scored.external_id},sub_addon,Add-on,500,2026-03-01,2026-07-20,false\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_csv", "subscriptions", str(csv_file), stdout=None)
    current = row(scored)
    assert current.renewal_on == date(2026, 7, 20)
    assert current.mrr == Decimal("1500.00")


def test_an_override_set_colours_the_row_and_says_so_until_cleared(scored):
    override_set(
        account=scored,
        author=None,
        day=DAY,
        colour="red",
        reason="Champion left",
        expires_on=DAY + timedelta(days=3),
    )
    current = row(scored)
    assert (current.colour, current.computed_colour) == ("red", "green")
    assert (current.override_colour, current.override_reason) == ("red", "Champion left")
    assert current.colour_rank == 0
    health_recompute(as_of=DAY, accounts=[scored.pk])  # a rescore keeps the override in force
    assert row(scored).colour == "red"
    override_clear(account=scored, day=DAY)
    assert (row(scored).colour, row(scored).override_colour) == ("green", "")


def test_an_override_stops_counting_at_the_nightly_run_after_it_expired(scored, client):
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
        current = row(scored)
        client.force_login(scored.owner)
        book = listed_rows(client.get("/accounts/"))
    assert (current.colour, current.override_colour, current.override_expires_on) == (
        "green",
        "",
        None,
    )
    assert "overridden" not in book[scored.name]


def test_tasks_opened_completed_and_snoozed_change_the_open_count(scored):
    InvoiceFactory(
        account=scored, issued_on=DAY - timedelta(days=90), due_on=DAY - timedelta(days=60)
    )
    health_recompute(as_of=DAY, accounts=[scored.pk])  # turned red: a task opens
    assert tasks_open(day=DAY) >= 1
    opened = Task.objects.filter(account=scored).count()
    assert row(scored).open_tasks == opened
    task = Task.objects.filter(account=scored).first()
    task_snooze(task=task, until=DAY + timedelta(days=5))
    assert row(scored).open_tasks == opened  # snoozed is still to do
    task_complete(task=task, outcome="Called the sponsor", day=DAY)
    assert row(scored).open_tasks == opened - 1
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE


def test_reassignment_moves_the_row_to_the_new_owners_book(scored, client):
    riley = UserFactory(username="riley")
    account_reassign(account=scored, owner=riley)
    current = row(scored)
    assert (current.owner, current.owner_username) == (riley, "riley")
    client.force_login(riley)
    assert listed_names(client.get("/accounts/")) == [scored.name]
    client.force_login(UserFactory(username="casey2"))
    assert listed_names(client.get("/accounts/")) == []


def test_the_days_move_past_a_lines_start_and_end_without_a_refresh(default_scorecard, client):
    owner = UserFactory(username="casey")
    starts = Account.objects.create(external_id="S", name="Starts tomorrow", owner=owner)
    SubscriptionLineFactory(account=starts, start_date=DAY + timedelta(days=1), end_date=None)
    renewed = Account.objects.create(external_id="E", name="Renewed for a day", owner=owner)
    SubscriptionLineFactory(account=renewed, start_date=date(2026, 1, 1), end_date=DAY)
    # A renewal line that starts the day the first one ends keeps the run going.
    SubscriptionLineFactory(
        account=renewed, start_date=DAY, end_date=DAY + timedelta(days=1), subscription_id="renewal"
    )
    current_health_refresh()
    client.force_login(owner)
    assert listed_names(client.get("/accounts/")) == ["Renewed for a day"]
    with time_machine.travel(datetime(2026, 7, 1, 12, tzinfo=UTC), tick=False):
        assert listed_names(client.get("/accounts/")) == ["Starts tomorrow"]


def test_a_churn_recorded_by_hand_ends_the_run(default_scorecard, client):
    owner = UserFactory(username="casey")
    account = Account.objects.create(
        external_id="C", name="Churns", owner=owner, churned_on=DAY + timedelta(days=2)
    )
    SubscriptionLineFactory(account=account, start_date=date(2026, 1, 1), end_date=None)
    current_health_refresh()
    assert (row(account).active_from, row(account).active_until) == (
        date(2026, 1, 1),
        DAY + timedelta(days=2),
    )
    client.force_login(owner)
    assert listed_names(client.get("/accounts/")) == ["Churns"]
    with time_machine.travel(datetime(2026, 7, 2, 12, tzinfo=UTC), tick=False):
        assert listed_names(client.get("/accounts/")) == []


def test_a_refresh_twice_changes_nothing(scored):
    current_health_refresh()
    before = list(CurrentHealth.objects.order_by("pk").values())
    current_health_refresh()
    assert list(CurrentHealth.objects.order_by("pk").values()) == before
