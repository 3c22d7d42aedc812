"""Check-in tasks: the rules that open them after the nightly recompute, one open task per
account and reason, snooze, cooldown. The task list page: test_task_list.py."""

from datetime import UTC, date, datetime, timedelta

import pytest

from scoring.recompute import health_recompute
from tests.factories import InvoiceFactory, SurveyResponseFactory, TicketFactory, UserFactory
from tests.scoring.test_recompute import healthy_account
from tests.workspace.test_book import (
    TODAY,
    customer,
    open_task,
    snap,
    today,  # noqa: F401 - autouse fixture: today is 30 June 2026
)
from workspace.followups import task_complete, task_snooze, tasks_open
from workspace.models import Task, TaskReason, TaskStatus

YESTERDAY = TODAY - timedelta(days=1)


def tasks(**filters) -> list[tuple[str, str, str]]:
    """(account name, reason, detail as read) of the tasks, by account name and reason."""
    return [
        (t.account.name, t.reason, t.describe())
        for t in Task.objects.filter(**filters)
        .select_related("account")
        .order_by("account__name", "reason")
    ]


def at(hours_ago: float) -> datetime:
    return datetime(2026, 6, 30, 12, tzinfo=UTC) - timedelta(hours=hours_ago)


@pytest.fixture
def owner(db):
    return UserFactory(username="casey")


# --- each rule fires, and says why ------------------------------------------------------------


def test_turned_red_fires_for_an_account_that_was_not_red(owner, default_scorecard):
    slipped = customer(owner, name="Slipped")
    snap(slipped, 70, day=YESTERDAY)
    snap(slipped, 30)
    still_red = customer(owner, name="Still red")
    snap(still_red, 20, day=YESTERDAY)
    snap(still_red, 25)
    yellow = customer(owner, name="Yellow")
    snap(yellow, 70, day=YESTERDAY)
    snap(yellow, 60)
    assert tasks_open(day=TODAY) == 1
    assert tasks() == [("Slipped", "turned_red", "Health turned red on 30 June 2026")]


def test_turned_red_compares_with_the_latest_earlier_snapshot_day(owner, default_scorecard):
    # The nightly run was skipped on the 29th: the 28th is the day before.
    account = customer(owner, name="Gap")
    snap(account, 80, day=TODAY - timedelta(days=2))
    snap(account, 10)
    tasks_open(day=TODAY)
    assert tasks() == [("Gap", "turned_red", "Health turned red on 30 June 2026")]


@pytest.mark.parametrize(
    ("before", "now", "fires"),
    [(80, 65, True), (80, 66, False), (50, 20, True), (60, 90, False)],
)
def test_score_drop_fires_on_a_fall_of_15_points_in_30_days(
    owner, default_scorecard, before, now, fires
):
    account = customer(owner, name="Dropping")
    snap(account, before, day=TODAY - timedelta(days=30))
    snap(account, now)
    tasks_open(day=TODAY)
    expected = ("Dropping", "score_drop", f"Score fell from {before} to {now} in 30 days")
    assert (expected in tasks()) is fires


def test_detractor_answer_in_the_last_7_days_fires(owner, db):
    angry = customer(owner, name="Angry")
    SurveyResponseFactory(
        account=angry,
        respondent="cfo@angry.example",
        score=6,
        responded_on=TODAY - timedelta(days=6),
    )
    old = customer(owner, name="Old news")
    SurveyResponseFactory(account=old, score=2, responded_on=TODAY - timedelta(days=7))
    passive = customer(owner, name="Passive")
    SurveyResponseFactory(account=passive, score=7, responded_on=TODAY)
    csat = customer(owner, name="Low CSAT")
    SurveyResponseFactory(account=csat, survey_type="csat", score=1, responded_on=TODAY)
    tasks_open(day=TODAY)
    assert tasks() == [("Angry", "detractor", "cfo@angry.example answered NPS 6")]


def test_two_detractors_on_one_account_open_one_task(owner, db):
    account = customer(owner, name="Angry")
    SurveyResponseFactory(account=account, score=0, responded_on=TODAY)
    SurveyResponseFactory(account=account, score=3, responded_on=TODAY - timedelta(days=1))
    assert tasks_open(day=TODAY) == 1
    assert Task.objects.get().reason == TaskReason.DETRACTOR


def test_critical_ticket_open_more_than_a_week_fires(owner, db):
    stuck = customer(owner, name="Stuck")
    TicketFactory(account=stuck, ticket_id="T-9", priority="critical", opened_at=at(8 * 24))
    recent = customer(owner, name="Recent")
    TicketFactory(account=recent, priority="critical", opened_at=at(5 * 24))
    high = customer(owner, name="Only high")
    TicketFactory(account=high, priority="high", opened_at=at(20 * 24))
    solved = customer(owner, name="Solved")
    TicketFactory(account=solved, priority="critical", opened_at=at(20 * 24), resolved_at=at(24))
    tasks_open(day=TODAY)
    assert tasks() == [("Stuck", "critical_ticket", "Critical ticket T-9 open since 22 June 2026")]


def test_renewal_within_60_days_fires_only_when_not_green(owner, default_scorecard):
    at_risk = customer(owner, name="At risk", renews_in=45)
    snap(at_risk, 55)
    snap(at_risk, 55, day=YESTERDAY)
    healthy = customer(owner, name="Healthy", renews_in=45)
    snap(healthy, 85)
    later = customer(owner, name="Later", renews_in=75)
    snap(later, 55)
    no_data = customer(owner, name="No data", renews_in=10)
    snap(no_data, None, coverage=0.2)
    tasks_open(day=TODAY)
    assert tasks() == [
        ("At risk", "renewal_risk", "Renews on 14 August 2026 and is yellow"),
        ("No data", "renewal_risk", "Renews on 10 July 2026 and is grey (no data)"),
    ]


def test_one_account_gets_one_task_per_reason_that_fires(owner, default_scorecard):
    account = customer(owner, name="Everything", renews_in=30)
    snap(account, 90, day=TODAY - timedelta(days=30))
    snap(account, 80, day=YESTERDAY)
    snap(account, 10)
    SurveyResponseFactory(account=account, score=0, responded_on=TODAY)
    TicketFactory(account=account, priority="critical", opened_at=at(10 * 24))
    assert tasks_open(day=TODAY) == 5
    assert {reason for _, reason, _ in tasks()} == set(TaskReason.values)


# --- who and when -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "days"),
    [
        (TaskReason.TURNED_RED, 3),
        (TaskReason.CRITICAL_TICKET, 2),
        (TaskReason.DETRACTOR, 5),
        (TaskReason.SCORE_DROP, 7),
        (TaskReason.RENEWAL_RISK, 7),
    ],
)
def test_task_is_due_by_reason_and_assigned_to_the_owner(owner, default_scorecard, reason, days):
    account = customer(owner, name="Everything", renews_in=30)
    snap(account, 90, day=TODAY - timedelta(days=30))
    snap(account, 10)
    SurveyResponseFactory(account=account, score=0, responded_on=TODAY)
    TicketFactory(account=account, priority="critical", opened_at=at(10 * 24))
    tasks_open(day=TODAY)
    task = Task.objects.get(reason=reason)
    assert task.assignee == owner
    assert task.opened_on == TODAY
    assert task.due_on == TODAY + timedelta(days=days)
    assert task.status == TaskStatus.OPEN


def test_account_without_owner_gets_an_unassigned_task(db):
    account = customer(None, name="Orphan")
    SurveyResponseFactory(account=account, score=0, responded_on=TODAY)
    tasks_open(day=TODAY)
    assert Task.objects.get().assignee is None


# --- never twice ------------------------------------------------------------------------------


def test_second_run_opens_nothing_new(owner, default_scorecard):
    account = customer(owner, name="Everything", renews_in=30)
    snap(account, 90, day=TODAY - timedelta(days=30))
    snap(account, 10)
    TicketFactory(account=account, priority="critical", opened_at=at(10 * 24))
    first = tasks_open(day=TODAY)
    before = tasks()
    assert first == 4
    assert tasks_open(day=TODAY) == 0
    assert tasks() == before
    # Nor the next day, while the tasks are still open.
    tasks_open(day=TODAY + timedelta(days=1))
    assert Task.objects.count() == 4


def test_database_refuses_a_second_open_task_for_the_same_reason(owner, db):
    from django.db import IntegrityError, transaction

    account = customer(owner)
    open_task(account, TaskReason.DETRACTOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        open_task(account, TaskReason.DETRACTOR, status="snoozed", snoozed_until=TODAY)
    open_task(account, TaskReason.DETRACTOR, status="done", closed_on=TODAY)  # done ones may pile


# --- cooldown ---------------------------------------------------------------------------------


@pytest.fixture
def stuck(owner, db):
    """An account whose critical ticket stays open, so the rule fires every day."""
    account = customer(owner, name="Stuck")
    TicketFactory(account=account, priority="critical", opened_at=at(10 * 24))
    return account


def test_closed_reason_does_not_reopen_for_14_days_then_does(stuck):
    tasks_open(day=TODAY)
    task_complete(task=Task.objects.get(), outcome="Escalated to engineering", day=TODAY)
    for later in (1, 7, 13):
        assert tasks_open(day=TODAY + timedelta(days=later)) == 0
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 0
    assert tasks_open(day=TODAY + timedelta(days=14)) == 1
    reopened = Task.objects.get(status=TaskStatus.OPEN)
    assert reopened.opened_on == TODAY + timedelta(days=14)
    assert Task.objects.count() == 2


def test_cooldown_comes_from_the_setting(stuck, settings):
    settings.HEALTHSCORE_TASK_COOLDOWN_DAYS = 3
    tasks_open(day=TODAY)
    task_complete(task=Task.objects.get(), outcome="done", day=TODAY)
    assert tasks_open(day=TODAY + timedelta(days=2)) == 0
    assert tasks_open(day=TODAY + timedelta(days=3)) == 1


def test_cooldown_of_one_reason_does_not_block_another(stuck):
    tasks_open(day=TODAY)
    task_complete(task=Task.objects.get(), outcome="done", day=TODAY)
    SurveyResponseFactory(account=stuck, score=1, responded_on=TODAY + timedelta(days=1))
    assert tasks_open(day=TODAY + timedelta(days=1)) == 1
    assert Task.objects.get(status=TaskStatus.OPEN).reason == TaskReason.DETRACTOR


# --- snooze -----------------------------------------------------------------------------------


def test_snoozed_task_stays_snoozed_until_due_then_reopens(stuck):
    tasks_open(day=TODAY)
    task = task_snooze(task=Task.objects.get(), until=TODAY + timedelta(days=5))
    assert tasks_open(day=TODAY + timedelta(days=4)) == 0
    task.refresh_from_db()
    assert (task.status, task.snoozed_until) == (TaskStatus.SNOOZED, TODAY + timedelta(days=5))
    assert tasks_open(day=TODAY + timedelta(days=5)) == 0  # woken, not duplicated
    task.refresh_from_db()
    assert (task.status, task.snoozed_until) == (TaskStatus.OPEN, None)
    assert Task.objects.count() == 1


def test_snoozed_task_reopens_even_when_the_rule_no_longer_fires(owner, db):
    account = customer(owner)
    task = open_task(account, TaskReason.DETRACTOR)
    task_snooze(task=task, until=TODAY + timedelta(days=2))
    tasks_open(day=TODAY + timedelta(days=2))
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


# --- after the nightly recompute --------------------------------------------------------------


def test_nightly_run_opens_a_task_for_an_account_that_turned_red(default_scorecard):
    from workspace.tasks import nightly_recompute

    account = healthy_account(usage=100)
    healthy_account(usage=10)
    health_recompute(as_of=YESTERDAY)
    InvoiceFactory(account=account, issued_on=date(2026, 4, 1), due_on=TODAY - timedelta(days=60))
    nightly_recompute(TODAY.isoformat())  # eager in tests: the chord runs the rules at once
    task = Task.objects.get(account=account)
    assert (task.reason, task.assignee) == (TaskReason.TURNED_RED, account.owner)


def test_a_rule_stores_facts_and_each_reader_reads_them_in_their_language(owner, default_scorecard):
    """No sentence is stored: the same task reads in French with a French date."""
    from django.utils import translation

    account = customer(owner, name="Slipped")
    snap(account, 80, day=YESTERDAY)
    snap(account, 20)
    tasks_open(day=TODAY)
    task = Task.objects.get(account=account, reason="turned_red")
    assert (task.detail, task.facts) == ("", {"day": "2026-06-30"})
    with translation.override("fr"):
        assert "30 juin 2026" in task.describe()
