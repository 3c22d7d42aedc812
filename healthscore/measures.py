"""Raw signal values for many accounts at once, as of a day.

Each measure runs one or two aggregate queries for every account in scope — never a query
per account — and only counts facts dated on or before the day, so history can be rebuilt
without peeking at the future. A value of None means "no data" (left out of the score).
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from accounts.models import Account
from healthscore.models import SignalDefinition, Source
from healthscore.scoring import Method, relative_change
from signals.models import EmailMessage, Invoice, SentimentEntry, Ticket, UsageRecord
from signals.revenue import mrr_by_account
from surveys.models import SurveyResponse

Scope = dict[str, Any]  # filter on account_id, e.g. {"account_id__in": [...]} or a pk range
Values = dict[int, float | None]

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


def _usage(signal: SignalDefinition, first: date, last: date, scope: Scope) -> dict[int, float]:
    rows = UsageRecord.objects.filter(date__gte=first, date__lte=last, **scope)
    if signal.metric:
        rows = rows.filter(metric=signal.metric)
    if signal.source == Source.USAGE_VOLUME:
        aggregate = Sum("value")
    elif signal.source == Source.USAGE_FREQUENCY:
        aggregate = Count("date", distinct=True, filter=Q(value__gt=0))
    else:  # USAGE_BREADTH
        aggregate = Count("metric", distinct=True, filter=Q(value__gt=0))
    grouped = rows.values("account_id").annotate(v=aggregate).values_list("account_id", "v")
    return {account_id: float(v or 0) for account_id, v in grouped}


def usage_aggregate(signal, day, account_ids, scope) -> Values:
    """Volume, days active or breadth over the window; an account with no rows used nothing (0).
    Scored by trend, the raw value is the % change against the window before."""
    current = _usage(signal, *_window(day, signal.window_days), scope)
    if signal.method != Method.TREND:
        return {a: current.get(a, 0.0) for a in account_ids}
    previous = _usage(signal, *_window(day, signal.window_days, shift=1), scope)
    return {a: relative_change(current.get(a, 0.0), previous.get(a, 0.0)) for a in account_ids}


def licence_utilisation(signal, day, account_ids, scope) -> Values:
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


def days_since_activity(signal, day, account_ids, scope) -> Values:
    """Days since the last day with any usage, capped at the window (no use in it = the cap)."""
    first, last = _window(day, signal.window_days)
    rows = UsageRecord.objects.filter(date__gte=first, date__lte=last, value__gt=0, **scope)
    if signal.metric:
        rows = rows.filter(metric=signal.metric)
    latest = dict(rows.values("account_id").annotate(d=Max("date")).values_list("account_id", "d"))
    return {
        a: float((day - latest[a]).days) if a in latest else float(signal.window_days)
        for a in account_ids
    }


def revenue_trend(signal, day, account_ids, scope) -> Values:
    """% change of MRR on the day against MRR at the start of the window; no baseline = no data."""
    now = mrr_by_account(day, scope=scope)
    before = mrr_by_account(day - timedelta(days=signal.window_days), scope=scope)
    return {a: relative_change(float(now.get(a, 0)), float(before.get(a, 0))) for a in account_ids}


def invoice_overdue(signal, day, account_ids, scope) -> Values:
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


def open_tickets(signal, day, account_ids, scope) -> Values:
    """Total days open of the high and critical tickets still open at the end of the day."""
    cutoff = end_of(day)
    rows = Ticket.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=cutoff),
        opened_at__lt=cutoff,
        priority__in=("high", "critical"),
        **scope,
    ).values_list("account_id", "opened_at")
    totals: dict[int, float] = defaultdict(float)
    for account_id, opened_at in rows:
        totals[account_id] += (cutoff - opened_at).total_seconds() / 86400
    return {a: totals.get(a, 0.0) for a in account_ids}


def nps(signal, day, account_ids, scope) -> Values:
    """Mean of each contact's latest NPS answer in the window."""
    first, last = _window(day, signal.window_days)
    rows = (
        SurveyResponse.objects.filter(
            survey_type="nps", responded_on__gte=first, responded_on__lte=last, **scope
        )
        .order_by("responded_on")
        .values_list("account_id", "respondent", "score")
    )
    latest: dict[int, dict[str, int]] = defaultdict(dict)
    for account_id, respondent, score in rows:
        latest[account_id][respondent] = score  # later answers overwrite earlier ones
    return {
        a: sum(latest[a].values()) / len(latest[a]) if a in latest else None for a in account_ids
    }


def csat(signal, day, account_ids, scope) -> Values:
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


def email_open_rate(signal, day, account_ids, scope) -> Values:
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


def sentiment(signal, day, account_ids, scope) -> Values:
    """The CSM's latest sentiment in the window: green 100, yellow 50, red 0."""
    first, last = _window(day, signal.window_days)
    rows = (
        SentimentEntry.objects.filter(recorded_on__gte=first, recorded_on__lte=last, **scope)
        .order_by("recorded_on")
        .values_list("account_id", "sentiment")
    )
    latest = dict(rows)  # later entries overwrite earlier ones
    return {a: SENTIMENT_POINTS[latest[a]] if a in latest else None for a in account_ids}


MEASURES: dict[str, Callable[..., Values]] = {
    Source.USAGE_VOLUME: usage_aggregate,
    Source.USAGE_FREQUENCY: usage_aggregate,
    Source.USAGE_BREADTH: usage_aggregate,
    Source.LICENCE_UTILISATION: licence_utilisation,
    Source.DAYS_SINCE_ACTIVITY: days_since_activity,
    Source.REVENUE_TREND: revenue_trend,
    Source.INVOICE_OVERDUE: invoice_overdue,
    Source.OPEN_TICKETS: open_tickets,
    Source.NPS: nps,
    Source.CSAT: csat,
    Source.EMAIL_OPEN_RATE: email_open_rate,
    Source.SENTIMENT: sentiment,
}


def measure(signal: SignalDefinition, day: date, account_ids: list[int], scope: Scope) -> Values:
    """Raw values of `signal` on `day` for `account_ids` (all inside `scope`)."""
    return MEASURES[signal.source](signal, day, account_ids, scope)
