"""Raw signal values for many accounts at once, as of a day.

Each measure runs one or two aggregate queries for every account in scope — never a query
per account — and only counts facts dated on or before the day, so history can be rebuilt
without peeking at the future. A value of None means "no data" (left out of the score); a
usage volume over every metric gives each account a {metric: value} of its own (metrics are
scored one by one: a gauge is never added to a count).

A window that began before the account did is taken over the days the account existed:
`starts` holds each account's first subscription day, and volumes become rates per day.
Whether the book has a source at all is asked of `facts_in_window`, once per day for the
whole book, so that every chunk of a recompute decides alike.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from accounts.models import Account
from scoring.maths import Method, relative_change
from scoring.models import SignalDefinition, Source
from signals.models import (
    EmailMessage,
    Goal,
    GoalStatus,
    Invoice,
    Referral,
    SentimentEntry,
    SubscriptionLine,
    Ticket,
    UsageRecord,
)
from signals.revenue import mrr_by_account
from surveys.models import SurveyResponse

Scope = dict[str, Any]  # filter on account_id, e.g. {"account_id__in": [...]} or a pk range
Value = float | dict[str, float] | None
Values = dict[int, Value]
Starts = dict[int, date]  # each account's first subscription day

SENTIMENT_POINTS = {"green": 100.0, "yellow": 50.0, "red": 0.0}


def end_of(day: date) -> datetime:
    """The first instant after `day` in the site's time zone: facts before it count for `day`."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def account_scope(scope: Scope) -> Scope:
    """The same scope as a filter on Account itself."""
    return {key.replace("account_id", "pk", 1): value for key, value in scope.items()}


def _window(day: date, days: int, *, shift: int = 0) -> tuple[date, date]:
    """The `days`-long window ending on `day` (inclusive), moved back by `shift` windows."""
    last = day - timedelta(days=days * shift)
    return last - timedelta(days=days - 1), last


def age_days(day: date, start: date | None) -> int | None:
    """Days since the account's first subscription day (0 on that day); None if unknown."""
    return None if start is None else (day - start).days


def days_in_window(day: date, window_days: int, start: date | None) -> int:
    """How many days of the window ending on `day` the account existed (at least 1)."""
    age = age_days(day, start)
    return window_days if age is None else max(1, min(window_days, age + 1))


def per_metric(signal: SignalDefinition) -> bool:
    """A usage volume over every metric is scored metric by metric."""
    return signal.source == Source.USAGE_VOLUME and not signal.metric


def _usage(signal: SignalDefinition, first: date, last: date, scope: Scope) -> dict:
    """{account: value}, or {account: {metric: value}} for a per-metric signal."""
    rows = UsageRecord.objects.filter(date__gte=first, date__lte=last, **scope)
    if signal.metric:
        rows = rows.filter(metric=signal.metric)
    if signal.source == Source.USAGE_VOLUME:
        aggregate = Sum("value")
    elif signal.source == Source.USAGE_FREQUENCY:
        aggregate = Count("date", distinct=True, filter=Q(value__gt=0))
    else:  # USAGE_BREADTH
        aggregate = Count("metric", distinct=True, filter=Q(value__gt=0))
    if per_metric(signal):
        by_metric: dict[int, dict[str, float]] = defaultdict(dict)
        grouped = rows.values("account_id", "metric").annotate(v=aggregate)
        for account_id, metric, v in grouped.values_list("account_id", "metric", "v"):
            by_metric[account_id][metric] = float(v or 0)
        return by_metric
    grouped = rows.values("account_id").annotate(v=aggregate).values_list("account_id", "v")
    return {account_id: float(v or 0) for account_id, v in grouped}


def _per_day(value, days: int, scale: float):
    if isinstance(value, dict):
        return {metric: v / days * scale for metric, v in value.items()}
    return value / days * scale


def usage_aggregate(signal, day, account_ids, scope, starts) -> Values:
    """Volume per day, days active or breadth over the window; no rows means nothing used (0).

    Over a window that began before the account did, a volume is divided by the days the
    account existed, and days active are scaled up to the window, so a 10-day-old account is
    not ranked as if it had been idle for 20 days. Scored by trend, the raw value is the %
    change against the window before; an account younger than both windows has no baseline.
    """
    window = signal.window_days
    current = _usage(signal, *_window(day, window), scope)
    previous = (
        _usage(signal, *_window(day, window, shift=1), scope)
        if signal.method == Method.TREND
        else {}
    )
    return usage_values(signal, day, account_ids, starts, current, previous)


def usage_values(signal, day, account_ids, starts, current: dict, previous: dict) -> Values:
    """`usage_aggregate` from the window's aggregates (`current`, and `previous` for a trend),
    as `_usage` gives them: {account: value} or {account: {metric: value}}, for the accounts
    with rows in the window."""
    window = signal.window_days
    empty: Any = {} if per_metric(signal) else 0.0
    if signal.method == Method.TREND:
        result: Values = {}
        for a in account_ids:
            age = age_days(day, starts.get(a))
            if age is not None and age + 1 < 2 * window:
                result[a] = None
            elif per_metric(signal):
                # None where a change cannot be measured (from nothing to something); a metric
                # idle in both windows is missing here and scores as no change (0 %).
                now, before = current.get(a, {}), previous.get(a, {})
                result[a] = {
                    m: relative_change(now.get(m, 0.0), before.get(m, 0.0)) for m in now | before
                }
            else:
                result[a] = relative_change(current.get(a, 0.0), previous.get(a, 0.0))
        return result
    result = {}
    for a in account_ids:
        days = days_in_window(day, window, starts.get(a))
        if signal.source == Source.USAGE_VOLUME:
            result[a] = _per_day(current.get(a, empty), days, 1.0)
        elif signal.source == Source.USAGE_FREQUENCY:
            result[a] = _per_day(current.get(a, empty), days, window)
        else:  # breadth is not a volume: nothing to scale
            result[a] = current.get(a, empty)
    return result


def licence_utilisation(signal, day, account_ids, scope, starts) -> Values:
    """Latest value of the active-users metric in the window ÷ licensed seats, in %."""
    first, last = _window(day, signal.window_days)
    latest = UsageRecord.objects.filter(
        account=OuterRef("pk"),
        metric=signal.metric or "active_users",
        date__gte=first,
        date__lte=last,
    ).order_by("-date")
    rows = (
        Account.objects.filter(licensed_seats__gt=0, **account_scope(scope))
        .annotate(active=Subquery(latest.values("value")[:1]))
        .values_list("pk", "active", "licensed_seats")
    )
    found = {pk: active / seats * 100 for pk, active, seats in rows if active is not None}
    return {a: found.get(a) for a in account_ids}


def seats_of(scope: Scope) -> dict[int, int]:
    """Licensed seats of the accounts in scope that have any."""
    rows = Account.objects.filter(licensed_seats__gt=0, **account_scope(scope))
    return dict(rows.values_list("pk", "licensed_seats"))


def days_since_activity(signal, day, account_ids, scope, starts) -> Values:
    """Days since the last day with any usage, capped at the window (no use in it = the cap),
    and for an account younger than that, at its age."""
    first, last = _window(day, signal.window_days)
    rows = UsageRecord.objects.filter(date__gte=first, date__lte=last, value__gt=0, **scope)
    if signal.metric:
        rows = rows.filter(metric=signal.metric)
    latest = dict(rows.values("account_id").annotate(d=Max("date")).values_list("account_id", "d"))
    return idle_values(signal, day, account_ids, starts, latest)


def idle_values(signal, day, account_ids, starts, latest: dict[int, date]) -> Values:
    """`days_since_activity` from each account's last day of use in the window."""
    return {
        a: float((day - latest[a]).days)
        if a in latest
        else float(_idle_cap(signal, day, starts.get(a)))
        for a in account_ids
    }


def _idle_cap(signal: SignalDefinition, day: date, start: date | None) -> int:
    age = age_days(day, start)
    return signal.window_days if age is None else min(signal.window_days, age)


def revenue_trend(signal, day, account_ids, scope, starts) -> Values:
    """% change of MRR on the day against MRR at the start of the window — or, when there was
    none then (an account younger than the window, or on a free trial), against the first
    paying MRR inside the window. No baseline = no data."""
    now = mrr_by_account(day, scope=scope)
    window_start = day - timedelta(days=signal.window_days)
    before = mrr_by_account(window_start, scope=scope)
    # The earliest paying lines that began inside the window: their MRR is the baseline.
    lines = (
        SubscriptionLine.objects.filter(
            start_date__gt=window_start, start_date__lte=day, mrr__gt=0, **scope
        )
        .order_by("account_id", "start_date")
        .values_list("account_id", "start_date", "mrr")
    )
    return revenue_values(account_ids, now, before, lines)


def revenue_values(account_ids, now: dict, before: dict, lines) -> Values:
    """`revenue_trend` from MRR on the day and at the window's start, and the paying lines
    that began inside the window, (account, start, mrr) in order of account and start."""
    first_paid: dict[int, tuple[date, Decimal]] = {}
    for account_id, start, mrr in lines:
        first = first_paid.get(account_id)
        if first is None:
            first_paid[account_id] = (start, mrr)
        elif first[0] == start:
            first_paid[account_id] = (start, first[1] + mrr)
    result: Values = {}
    for a in account_ids:
        baseline = before.get(a) or (first_paid[a][1] if a in first_paid else 0)
        result[a] = relative_change(float(now.get(a, 0)), float(baseline))
    return result


def account_age(signal, day, account_ids, scope, starts) -> Values:
    """Days since the first subscription day: new customers churn most."""
    return {
        a: None if (age := age_days(day, starts.get(a))) is None else float(age)
        for a in account_ids
    }


def invoice_overdue(signal, day, account_ids, scope, starts) -> Values:
    """Days the oldest invoice unpaid on the day is past due; 0 when all are paid or not yet due,
    no data for an account never invoiced."""
    unpaid_and_due = (Q(paid_on__isnull=True) | Q(paid_on__gt=day)) & Q(due_on__lt=day)
    rows = (
        Invoice.objects.filter(issued_on__lte=day, **scope)
        .values("account_id")
        .annotate(oldest_due=Min("due_on", filter=unpaid_and_due))
        .values_list("account_id", "oldest_due")
    )
    found = {a: float((day - due).days) if due else 0.0 for a, due in rows}
    return {a: found.get(a) for a in account_ids}


def open_tickets(signal, day, account_ids, scope, starts) -> Values:
    """Total days open of the high and critical tickets still open at the end of the day."""
    cutoff = end_of(day)
    rows = Ticket.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=cutoff),
        opened_at__lt=cutoff,
        priority__in=("high", "critical"),
        **scope,
    ).values_list("account_id", "opened_at")
    # Summed in a fixed order, so that the same tickets always give the same float.
    rows = rows.order_by("account_id", "opened_at", "pk")
    totals: dict[int, float] = defaultdict(float)
    for account_id, opened_at in rows:
        totals[account_id] += (cutoff - opened_at).total_seconds() / 86400
    return {a: totals.get(a, 0.0) for a in account_ids}


def nps(signal, day, account_ids, scope, starts) -> Values:
    """Mean of each contact's latest NPS answer in the window."""
    first, last = _window(day, signal.window_days)
    rows = (
        SurveyResponse.objects.filter(
            survey_type="nps", responded_on__gte=first, responded_on__lte=last, **scope
        )
        .order_by("responded_on", "pk")
        .values_list("account_id", "respondent", "score")
    )
    latest: dict[int, dict[str, int]] = defaultdict(dict)
    for account_id, respondent, score in rows:
        latest[account_id][respondent] = score  # later answers overwrite earlier ones
    return {
        a: sum(latest[a].values()) / len(latest[a]) if a in latest else None for a in account_ids
    }


def csat(signal, day, account_ids, scope, starts) -> Values:
    """Mean CSAT (1–5) of tickets resolved and CSAT surveys answered in the window."""
    first, last = _window(day, signal.window_days)
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    tickets = (
        Ticket.objects.filter(
            csat__isnull=False,
            resolved_at__gte=end_of(first - timedelta(days=1)),
            resolved_at__lt=end_of(last),
            **scope,
        )
        .values("account_id")
        .annotate(total=Sum("csat"), n=Count("pk"))
    )
    surveys = (
        SurveyResponse.objects.filter(
            survey_type="csat", responded_on__gte=first, responded_on__lte=last, **scope
        )
        .values("account_id")
        .annotate(total=Sum("score"), n=Count("pk"))
    )
    for row in [*tickets, *surveys]:
        sums[row["account_id"]][0] += row["total"]
        sums[row["account_id"]][1] += row["n"]
    return {a: sums[a][0] / sums[a][1] if a in sums else None for a in account_ids}


def email_open_rate(signal, day, account_ids, scope, starts) -> Values:
    """Share of e-mails sent in the window that were opened by the end of the day, in %."""
    first, last = _window(day, signal.window_days)
    cutoff = end_of(last)
    rows = (
        EmailMessage.objects.filter(
            sent_at__gte=end_of(first - timedelta(days=1)), sent_at__lt=cutoff, **scope
        )
        .values("account_id")
        .annotate(sent=Count("pk"), opened=Count("pk", filter=Q(opened_at__lt=cutoff)))
        .values_list("account_id", "sent", "opened")
    )
    found = {a: opened / sent * 100 for a, sent, opened in rows if sent}
    return {a: found.get(a) for a in account_ids}


def sentiment(signal, day, account_ids, scope, starts) -> Values:
    """The CSM's latest sentiment in the window: green 100, yellow 50, red 0."""
    first, last = _window(day, signal.window_days)
    rows = (
        SentimentEntry.objects.filter(recorded_on__gte=first, recorded_on__lte=last, **scope)
        .order_by("recorded_on")
        .values_list("account_id", "sentiment")
    )
    latest = dict(rows)  # later entries overwrite earlier ones
    return {a: SENTIMENT_POINTS[latest[a]] if a in latest else None for a in account_ids}


def _goals_counting(day: date, window_days: int, scope: Scope):
    """The goals that count on `day`: set by then (or with no set day), and still open or due
    within the window — a goal met or missed long ago no longer says how the account is doing."""
    return Goal.objects.filter(
        Q(set_on__isnull=True) | Q(set_on__lte=day),
        due_on__gt=day - timedelta(days=window_days),
        **scope,
    )


Goals = list[tuple[date | None, date, str]]  # one account's (set_on, due_on, status)


def goal_share(goals: Goals, day: date, window_days: int) -> float | None:
    """% of the goals counting on `day` that are on track or met; an open goal past its due
    day counts as missed. None when no goal counts."""
    oldest_due = day - timedelta(days=window_days)
    counting = [
        (due, status)
        for set_on, due, status in goals
        if (set_on is None or set_on <= day) and due > oldest_due
    ]
    if not counting:
        return None
    good = sum(
        1
        for due, status in counting
        if status == GoalStatus.MET or (status == GoalStatus.ON_TRACK and due >= day)
    )
    return good / len(counting) * 100


def goals_by_account(rows) -> dict[int, Goals]:
    """(account_id, set_on, due_on, status) rows grouped by account."""
    found: dict[int, Goals] = defaultdict(list)
    for account_id, set_on, due_on, status in rows:
        found[account_id].append((set_on, due_on, status))
    return found


def goals_on_track(signal, day, account_ids, scope, starts) -> Values:
    """Share of the account's goals on track or met on the day, in %. No goal: no data."""
    rows = _goals_counting(day, signal.window_days, scope).values_list(
        "account_id", "set_on", "due_on", "status"
    )
    found = goals_by_account(rows)
    return {a: goal_share(found.get(a, []), day, signal.window_days) for a in account_ids}


def advocacy(signal, day, account_ids, scope, starts) -> Values:
    """Referrals the account gave in the window, whatever became of them; none is 0."""
    first, last = _window(day, signal.window_days)
    rows = (
        Referral.objects.filter(referred_on__gte=first, referred_on__lte=last, **scope)
        .values("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
    )
    found = dict(rows)
    return {a: float(found.get(a, 0)) for a in account_ids}


MEASURES: dict[str, Callable[..., Values]] = {
    Source.USAGE_VOLUME: usage_aggregate,
    Source.USAGE_FREQUENCY: usage_aggregate,
    Source.USAGE_BREADTH: usage_aggregate,
    Source.LICENCE_UTILISATION: licence_utilisation,
    Source.DAYS_SINCE_ACTIVITY: days_since_activity,
    Source.REVENUE_TREND: revenue_trend,
    Source.ACCOUNT_AGE: account_age,
    Source.INVOICE_OVERDUE: invoice_overdue,
    Source.OPEN_TICKETS: open_tickets,
    Source.NPS: nps,
    Source.CSAT: csat,
    Source.EMAIL_OPEN_RATE: email_open_rate,
    Source.SENTIMENT: sentiment,
    Source.GOALS_ON_TRACK: goals_on_track,
    Source.ADVOCACY: advocacy,
}


def measure(
    signal: SignalDefinition, day: date, account_ids: list[int], scope: Scope, starts: Starts
) -> Values:
    """Raw values of `signal` on `day` for `account_ids` (all inside `scope`)."""
    return MEASURES[signal.source](signal, day, account_ids, scope, starts)


def facts_in_window(signal: SignalDefinition, day: date) -> list | None:
    """Querysets of the facts of the signal's source dated in its window (ending on `day`) —
    or, for facts that stay open (an unpaid invoice, an unresolved ticket), still open then."""
    first, last = _window(day, signal.window_days)
    start, cutoff = end_of(first - timedelta(days=1)), end_of(last)
    source = Source(signal.source)
    if source in USAGE_SOURCES:
        rows = UsageRecord.objects.filter(date__gte=first, date__lte=last)
        if signal.metric or source == Source.LICENCE_UTILISATION:
            rows = rows.filter(metric=signal.metric or "active_users")
        if source == Source.LICENCE_UTILISATION:
            # Utilisation needs seats too: without any, the book cannot measure it.
            rows = rows.filter(account__licensed_seats__gt=0)
        return [rows]
    if source == Source.INVOICE_OVERDUE:
        still_open = Q(paid_on__isnull=True) | Q(paid_on__gt=day)
        return [Invoice.objects.filter(Q(issued_on__gte=first) | still_open, issued_on__lte=day)]
    if source == Source.OPEN_TICKETS:
        still_open = Q(resolved_at__isnull=True) | Q(resolved_at__gte=cutoff)
        return [Ticket.objects.filter(Q(opened_at__gte=start) | still_open, opened_at__lt=cutoff)]
    if source in (Source.NPS, Source.CSAT):
        answers = SurveyResponse.objects.filter(
            survey_type=source.value, responded_on__gte=first, responded_on__lte=last
        )
        if source == Source.NPS:
            return [answers]
        rated = Ticket.objects.filter(
            csat__isnull=False, resolved_at__gte=start, resolved_at__lt=cutoff
        )
        return [answers, rated]
    if source == Source.EMAIL_OPEN_RATE:
        return [EmailMessage.objects.filter(sent_at__gte=start, sent_at__lt=cutoff)]
    if source == Source.SENTIMENT:
        return [SentimentEntry.objects.filter(recorded_on__gte=first, recorded_on__lte=last)]
    if source == Source.GOALS_ON_TRACK:
        return [_goals_counting(day, signal.window_days, {})]
    if source == Source.ADVOCACY:
        return [Referral.objects.filter(referred_on__gte=first, referred_on__lte=last)]
    return None  # revenue and age come from the subscription lines every active account has


USAGE_SOURCES = frozenset(
    {
        Source.USAGE_VOLUME,
        Source.USAGE_FREQUENCY,
        Source.USAGE_BREADTH,
        Source.LICENCE_UTILISATION,
        Source.DAYS_SINCE_ACTIVITY,
    }
)


def needs_days(signal: SignalDefinition) -> int:
    """The account age a component needs before a missing value counts against the account:
    its window, or both windows of a trend."""
    return 2 * signal.window_days if signal.method == Method.TREND else signal.window_days
