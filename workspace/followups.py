"""Check-in tasks: the rules that open them after the nightly recompute, and what a CSM does
with them (complete, snooze).

Each rule is one set-based query. A task is opened at most once per account and reason while
it is open or snoozed (a partial unique constraint), and a reason closed less than a cooldown
ago does not reopen, so running the rules twice opens nothing new.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Account
from scoring.measures import end_of
from scoring.models import HealthSnapshot
from signals.models import Ticket, TicketPriority
from signals.revenue import lines_covering
from surveys.models import SurveyResponse
from workspace.current_health import current_health_refresh
from workspace.events import task_opened
from workspace.models import Task, TaskReason, TaskStatus

# Days given to act, by reason: the urgent ones first.
DUE_IN = {
    TaskReason.TURNED_RED: 3,
    TaskReason.CRITICAL_TICKET: 2,
    TaskReason.DETRACTOR: 5,
    TaskReason.SCORE_DROP: 7,
    TaskReason.RENEWAL_RISK: 7,
}


@dataclass(frozen=True)
class Candidate:
    account_id: int
    reason: TaskReason
    facts: dict  # rendered on read: workspace.task_details


def _previous_day(day: date) -> date | None:
    return (
        HealthSnapshot.objects.filter(date__lt=day, date__gte=day - timedelta(days=31))
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )


def turned_red(day: date) -> list[Candidate]:
    before = _previous_day(day)
    red_before = set(
        HealthSnapshot.objects.filter(date=before, colour="red").values_list(
            "account_id", flat=True
        )
        if before
        else []
    )
    return [
        Candidate(a, TaskReason.TURNED_RED, {"day": day.isoformat()})
        for a in HealthSnapshot.objects.filter(date=day, colour="red").values_list(
            "account_id", flat=True
        )
        if a not in red_before
    ]


def score_drop(day: date, *, points: float = 15.0) -> list[Candidate]:
    earlier = dict(
        HealthSnapshot.objects.filter(
            date=day - timedelta(days=30), score__isnull=False
        ).values_list("account_id", "score")
    )
    found = []
    for account_id, score in HealthSnapshot.objects.filter(
        date=day, score__isnull=False, account_id__in=list(earlier)
    ).values_list("account_id", "score"):
        if earlier[account_id] - score >= points:
            found.append(
                Candidate(
                    account_id,
                    TaskReason.SCORE_DROP,
                    {"before": earlier[account_id], "now": score},
                )
            )
    return found


def detractor(day: date) -> list[Candidate]:
    rows = SurveyResponse.objects.filter(
        survey_type="nps",
        score__lte=6,
        responded_on__gt=day - timedelta(days=7),
        responded_on__lte=day,
    ).values_list("account_id", "score", "respondent")
    return [
        Candidate(a, TaskReason.DETRACTOR, {"respondent": who, "score": score})
        for a, score, who in rows
    ]


def critical_ticket(day: date) -> list[Candidate]:
    cutoff = end_of(day)
    rows = Ticket.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=cutoff),
        priority=TicketPriority.CRITICAL,
        opened_at__lt=cutoff - timedelta(days=7),
    ).values_list("account_id", "ticket_id", "opened_at")
    return [
        Candidate(
            a,
            TaskReason.CRITICAL_TICKET,
            {"ticket": ticket, "since": timezone.localdate(opened).isoformat()},
        )
        for a, ticket, opened in rows
    ]


def renewal_risk(day: date, *, within: int = 60) -> list[Candidate]:
    renewing = dict(
        lines_covering(day)
        .filter(end_date__lte=day + timedelta(days=within))
        .values_list("account_id", "end_date")
    )
    rows = (
        HealthSnapshot.objects.filter(date=day, account_id__in=list(renewing))
        .exclude(colour="green")
        .values_list("account_id", "colour")
    )
    return [
        Candidate(
            a,
            TaskReason.RENEWAL_RISK,
            {"renews_on": renewing[a].isoformat(), "colour": colour},
        )
        for a, colour in rows
    ]


RULES = (turned_red, score_drop, detractor, critical_ticket, renewal_risk)


def tasks_open(*, day: date, cooldown_days: int | None = None) -> int:
    """Wake snoozed tasks that are due again, then open a task for every rule that fires on
    `day`, skipping account-reason pairs that are open, snoozed, or closed within the
    cooldown. Returns how many tasks were opened."""
    cooldown = (
        cooldown_days if cooldown_days is not None else settings.HEALTHSCORE_TASK_COOLDOWN_DAYS
    )
    Task.objects.filter(status=TaskStatus.SNOOZED, snoozed_until__lte=day).update(
        status=TaskStatus.OPEN, snoozed_until=None
    )
    candidates: dict[tuple[int, str], Candidate] = {}
    for rule in RULES:
        for candidate in rule(day):
            candidates.setdefault((candidate.account_id, candidate.reason), candidate)
    if not candidates:
        return 0
    blocked = set(
        Task.objects.filter(
            Q(status__in=[TaskStatus.OPEN, TaskStatus.SNOOZED])
            | Q(closed_on__gt=day - timedelta(days=cooldown)),
            account_id__in={a for a, _ in candidates},
        ).values_list("account_id", "reason")
    )
    owners = dict(
        Account.objects.filter(pk__in={a for a, _ in candidates}).values_list("pk", "owner_id")
    )
    new = [
        Task(
            account_id=c.account_id,
            reason=c.reason,
            facts=c.facts,
            assignee_id=owners.get(c.account_id),
            opened_on=day,
            due_on=day + timedelta(days=DUE_IN[c.reason]),
        )
        for key, c in candidates.items()
        if key not in blocked
    ]
    # The partial unique constraint is the last word if two runs race (and then the count
    # below, not bulk_create's list, says how many were really opened).
    before = Task.objects.count()
    last_pk = Task.objects.aggregate(m=Max("pk"))["m"] or 0
    Task.objects.bulk_create(new, ignore_conflicts=True)
    opened = list(
        Task.objects.filter(pk__gt=last_pk, account_id__in={t.account_id for t in new})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if opened:
        task_opened.send(sender=Task, task_ids=opened)
    # As of today, whatever day the rules ran for: the rows are the book's present.
    current_health_refresh(account_ids={t.account_id for t in new})
    return Task.objects.count() - before


def task_complete(*, task: Task, outcome: str, day: date) -> Task:
    task.status = TaskStatus.DONE
    task.outcome = outcome
    task.closed_on = day
    task.snoozed_until = None
    task.save(update_fields=["status", "outcome", "closed_on", "snoozed_until"])
    current_health_refresh(account_ids=[task.account_id], today=day)
    return task


def task_snooze(*, task: Task, until: date) -> Task:
    task.status = TaskStatus.SNOOZED
    task.snoozed_until = until
    task.save(update_fields=["status", "snoozed_until"])
    # A snoozed task still counts as open; refreshed all the same, so the row never lags.
    current_health_refresh(account_ids=[task.account_id])
    return task


@transaction.atomic
def tasks_complete(*, tasks: QuerySet[Task], outcome: str, day: date) -> int:
    """Complete every open or snoozed task of `tasks` with one outcome; returns how many.
    Set-based: one update and one refresh of the accounts' rows, whatever the number."""
    rows = _lock_actionable(tasks)
    Task.objects.filter(pk__in=rows).update(
        status=TaskStatus.DONE, outcome=outcome, closed_on=day, snoozed_until=None
    )
    current_health_refresh(account_ids=rows.values(), today=day)
    return len(rows)


@transaction.atomic
def tasks_snooze(*, tasks: QuerySet[Task], until: date) -> int:
    """Snooze every open or snoozed task of `tasks` until `until`; returns how many."""
    rows = _lock_actionable(tasks)
    Task.objects.filter(pk__in=rows).update(status=TaskStatus.SNOOZED, snoozed_until=until)
    current_health_refresh(account_ids=rows.values())
    return len(rows)


def _lock_actionable(tasks: QuerySet[Task]) -> dict[int, int]:
    # Locked, so a task completed by someone else meanwhile is neither revived nor counted.
    return dict(
        tasks.exclude(status=TaskStatus.DONE)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "account_id")
    )
