"""What a CSM does on an account — check-ins, sentiment, colour overrides, reassignment — and
the read of everything the account page shows."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, F, Q, Sum

from accounts.models import Account
from audit.trail import audit_record
from scoring.explanations import ExplainedSnapshot, latest_two, latest_two_explained
from scoring.maths import COUNTED, Bands, State
from scoring.measures import days_in_window
from scoring.models import Scorecard
from scoring.rescoring import recompute_on_commit
from signals.models import SentimentEntry, UsageRecord
from signals.revenue import customer_since, run_start
from workspace.account_sql import account_rows
from workspace.book import active_override
from workspace.current_health import current_health_refresh
from workspace.models import CheckIn, ColourOverride, Task, TaskStatus

LINES_SHOWN = 20  # the latest subscription lines on the page
# Lines read for the page: fewer than this are all the account has, so they hold its run of
# lines (its age); an account with more has its run read apart.
LINES_READ = 100


@transaction.atomic
def checkin_log(
    *, account: Account, author, day: date, channel: str, note: str, tags=()
) -> CheckIn:
    check_in = CheckIn.objects.create(
        account=account, author=author, date=day, channel=channel, note=note
    )
    if tags:
        check_in.tags.set(tags)
    return check_in


@transaction.atomic
def sentiment_record(*, account: Account, author, day: date, sentiment: str, note: str):
    entry, _ = SentimentEntry.objects.update_or_create(
        account=account,
        recorded_on=day,
        defaults={"sentiment": sentiment, "note": note, "author": author},
    )
    recompute_on_commit([account.pk], day)
    return entry


@transaction.atomic
def override_set(
    *, account: Account, author, day: date, colour: str, reason: str, expires_on: date
):
    """A new override replaces any one in force (which is cleared, not deleted: kept for audit)."""
    active_override(day).filter(account=account).update(cleared_on=day)
    override = ColourOverride.objects.create(
        account=account,
        colour=colour,
        reason=reason,
        expires_on=expires_on,
        created_by=author,
        created_on=day,
    )
    audit_record(
        actor=author,
        action="colour overridden",
        obj=account,
        changes={
            "colour": [None, colour],
            "reason": [None, reason],
            "expires_on": [None, expires_on],
        },
    )
    current_health_refresh(account_ids=[account.pk], today=day)
    return override


def override_clear(*, account: Account, day: date, actor=None) -> int:
    cleared = active_override(day).filter(account=account).update(cleared_on=day)
    if cleared:
        audit_record(actor=actor, action="override removed", obj=account, changes={})
        current_health_refresh(account_ids=[account.pk], today=day)
    return cleared


@transaction.atomic
def account_reassign(*, account: Account, owner, actor=None) -> Account:
    """Give the account to another CSM, with its open tasks."""
    audit_record(
        actor=actor, action="reassigned", obj=account, changes={"owner": [account.owner, owner]}
    )
    account.owner = owner
    account.save(update_fields=["owner", "updated_at"])
    Task.objects.filter(account=account).exclude(status=TaskStatus.DONE).update(assignee=owner)
    current_health_refresh(account_ids=[account.pk])
    return account


@dataclass
class Overview:
    snapshot: ExplainedSnapshot | None
    history: list[tuple[date, float | None, int]]
    bands: Bands
    scorecard: Scorecard | None
    override: ColourOverride | None
    usage: list[dict]
    subscriptions: list
    invoices: list
    tickets: list
    answers: list
    sentiments: list
    check_ins: list
    tasks: list

    @property
    def components(self) -> list[dict]:
        """The snapshot's components from the sources the book has (see `not_measured`)."""
        if self.snapshot is None:
            return []
        return [c for c in self.snapshot.components if c.get("state") != State.NOT_MEASURED]

    @property
    def not_measured(self) -> list[str]:
        """Labels of the components whose source no account of the book has data of yet."""
        if self.snapshot is None:
            return []
        return [
            c["label"] for c in self.snapshot.components if c.get("state") == State.NOT_MEASURED
        ]

    @property
    def open_tasks(self) -> list:
        return [t for t in self.tasks if t.is_open]

    @property
    def done_tasks(self) -> list:
        return [t for t in self.tasks if not t.is_open]

    @property
    def grey(self) -> "Grey | None":
        if self.snapshot is None or self.snapshot.score is not None:
            return None
        return grey_reasons(
            self.snapshot.components,
            coverage=self.snapshot.coverage,
            min_coverage=self.snapshot.scorecard.min_coverage,
        )


@dataclass
class Grey:
    """Why an account has no score, and which missing data would give it one."""

    coverage: float
    min_coverage: float
    missing: list[dict]  # label and share of the counted weight, the heaviest first
    new: list[str]
    would_score: list[str]  # the fewest missing sources that would reach the minimum
    would_reach: float


def grey_reasons(components: list[dict], *, coverage: float, min_coverage: float) -> Grey:
    """From a snapshot's components: those that count against the coverage but have no data."""
    counted = [c for c in components if c.get("state") in COUNTED]
    total = sum(c["weight"] for c in counted) or 1.0
    missing = sorted(
        (
            {"label": c["label"], "share": c["weight"] / total}
            for c in counted
            if c.get("state") == State.NO_DATA
        ),
        key=lambda m: (-m["share"], m["label"]),
    )
    would, reach = [], coverage
    for m in missing:
        if reach >= min_coverage:
            break
        would.append(m["label"])
        reach += m["share"]
    return Grey(
        coverage=coverage,
        min_coverage=min_coverage,
        missing=missing,
        new=[c["label"] for c in components if c.get("state") == State.NEW],
        would_score=would if reach >= min_coverage else [],
        would_reach=reach,
    )


# The page's reads of the account's own rows, compiled once (`workspace.account_sql`).
def _lines(account):
    return account.subscription_lines.order_by("-start_date")[:LINES_READ]


def _invoices(account):
    return account.invoices.order_by("-issued_on")[:12]


def _tickets(account):
    return account.tickets.order_by("-opened_at")[:10]


def _answers(account):
    return account.survey_responses.order_by("-responded_on")[:10]


def _latest(account, today):
    return latest_two(account.snapshots.filter(date__lte=today))


def _history(account, since, until):
    return (
        account.snapshots.filter(date__gt=since, date__lte=until)
        .order_by("date")
        .values_list("date", "score", "scorecard_version")
    )


def _usage(account, since, until):
    return (
        UsageRecord.objects.filter(account=account, date__gt=since, date__lte=until)
        .values("metric")
        .annotate(total=Sum("value"), days_used=Count("date", distinct=True, filter=Q(value__gt=0)))
        .order_by("metric")
    )


def _override(account, today):
    return active_override(today).filter(account=account).select_related("created_by")[:1]


def _sentiments(account):
    return account.sentiment_entries.select_related("author").order_by("-recorded_on")[:5]


def _check_ins(account):
    return account.check_ins.select_related("author")[:20]


def _tasks(account):
    return account.tasks.select_related("assignee").order_by(
        F("closed_on").desc(nulls_first=True), "due_on"
    )[:20]


def account_overview(account: Account, *, today: date) -> Overview:
    """Everything the account page shows, one query per section."""
    history = account_rows(_history, account, today - timedelta(days=180), today)
    # With its explanation, rendered from its numbers and the version that made it.
    snapshot = latest_two_explained(account_rows(_latest, account, today))
    scorecard = snapshot.scorecard if snapshot else None
    bands = scorecard.bands if scorecard else Bands()
    lines = account_rows(_lines, account)
    # Per metric, as the score sees it: a day's average over the days the account existed in
    # the last 30 (a gauge such as active users is never summed over days or with a count).
    if len(lines) < LINES_READ:
        begun = [(line.start_date, line.end_date) for line in lines if line.start_date <= today]
        since = run_start(begun) if begun else None
    else:
        since = customer_since(today, scope={"account_id": account.pk}).get(account.pk)
    days = days_in_window(today, 30, since)
    usage = [
        {**row, "per_day": row["total"] / days}
        for row in account_rows(_usage, account, today - timedelta(days=30), today)
    ]
    return Overview(
        snapshot=snapshot,
        history=history,
        bands=bands,
        scorecard=scorecard,
        override=next(iter(account_rows(_override, account, today)), None),
        usage=usage,
        subscriptions=lines[:LINES_SHOWN],
        invoices=account_rows(_invoices, account),
        tickets=account_rows(_tickets, account),
        answers=account_rows(_answers, account),
        sentiments=account_rows(_sentiments, account),
        check_ins=account_rows(_check_ins, account),
        tasks=account_rows(_tasks, account),
    )
