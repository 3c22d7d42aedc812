"""Raw signal values for a range of days at once: the backfill's set-based pass.

`measure_days` reads each source's facts once for the whole range (its first window's start
to its last day) and slides the window over them in memory, instead of one set of aggregate
queries per day. Each range measure ends in the same function as its one-day twin in
`scoring.measures` (`usage_values`, `idle_values`, ...), or redoes its arithmetic on arrays,
so both give the same values; tests/scoring/test_backfill.py holds them to it. A source
without a range measure here is measured day by day. Usage and e-mail, the sources with the
most facts, are measured on arrays (`scoring.measures_arrays`), and so is revenue, on the
subscription lines' (`scoring.subscription_arrays`), and so are invoices, tickets, answers,
sentiment, goals and referrals (`scoring.measures_dated`); these give each day's values as a
`ValueArray` rather than a dict.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

import numpy as np

from scoring.measures import (
    Scope,
    Starts,
    Values,
    _window,
    idle_values,
    measure,
    seats_of,
)
from scoring.measures_arrays import email_range, usage_range
from scoring.measures_dated import (
    advocacy_range,
    csat_range,
    goals_range,
    invoice_range,
    nps_range,
    sentiment_range,
    tickets_range,
)
from scoring.models import SignalDefinition, Source
from scoring.subscription_arrays import NEVER, Lines, lines_read
from scoring.value_arrays import ValueArray
from signals.models import UsageRecord

ByDay = dict[date, Values]
RangeMeasure = Callable[
    [SignalDefinition, Sequence[date], Mapping[date, list[int]], Scope, Mapping[date, Starts]],
    ByDay,
]


def measure_days(
    signal: SignalDefinition,
    days: Sequence[date],
    account_ids: Mapping[date, list[int]],
    scope: Scope,
    starts: Mapping[date, Starts],
) -> ByDay:
    """Raw values of `signal` on each of `days` (ascending) for that day's `account_ids` (all
    inside `scope`), with each day's first subscription days in `starts`: what `measure` gives
    day by day, read in one pass where the source has a range measure."""
    ranged = RANGE_MEASURES.get(signal.source)
    if ranged is None or len(days) < 2:
        return {d: measure(signal, d, account_ids[d], scope, starts[d]) for d in days}
    return ranged(signal, days, account_ids, scope, starts)


# ---------------------------------------------------------------- usage: licences, idle days


def _latest_in_window(dates: list[date], day: date, window: int) -> int | None:
    """Index of the latest of the sorted `dates` inside the window ending on `day`."""
    first, last = _window(day, window)
    i = bisect_right(dates, last) - 1
    return i if i >= 0 and dates[i] >= first else None


def licence_range(signal, days, account_ids, scope, starts) -> ByDay:
    metric = signal.metric or "active_users"
    first = _window(days[0], signal.window_days)[0]
    seats = seats_of(scope)
    rows = (
        UsageRecord.objects.filter(
            metric=metric,
            date__gte=first,
            date__lte=days[-1],
            account__licensed_seats__gt=0,
            **scope,
        )
        .order_by("account_id", "date")
        .values_list("account_id", "date", "value")
    )
    history: dict[int, tuple[list[date], list[float]]] = defaultdict(lambda: ([], []))
    for account_id, day, value in rows.iterator(chunk_size=20_000):
        history[account_id][0].append(day)
        history[account_id][1].append(value)
    result: ByDay = {}
    for d in days:
        found = {}
        for a, (dates, values) in history.items():
            i = _latest_in_window(dates, d, signal.window_days)
            if i is not None:
                found[a] = values[i] / seats[a] * 100
        result[d] = {a: found.get(a) for a in account_ids[d]}
    return result


def idle_range(signal, days, account_ids, scope, starts) -> ByDay:
    first = _window(days[0], signal.window_days)[0]
    rows = UsageRecord.objects.filter(date__gte=first, date__lte=days[-1], value__gt=0, **scope)
    if signal.metric:
        rows = rows.filter(metric=signal.metric)
    used = defaultdict(set)
    for account_id, day in rows.values_list("account_id", "date").iterator(chunk_size=20_000):
        used[account_id].add(day)
    ordered = {a: sorted(ds) for a, ds in used.items()}
    result: ByDay = {}
    for d in days:
        latest = {}
        for a, ds in ordered.items():
            i = _latest_in_window(ds, d, signal.window_days)
            if i is not None:
                latest[a] = ds[i]
        result[d] = idle_values(signal, d, account_ids[d], starts[d], latest)
    return result


# ---------------------------------------------------------------- revenue and age


def revenue_range(signal, days, account_ids, scope, starts) -> dict[date, ValueArray]:
    """`revenue_trend` of each day on arrays: each account's MRR in cents on the day and at
    the window's start, and its first paying MRR started inside the window, taken as
    `revenue_values` takes them (a baseline of 0 falls back on the first paying MRR)."""
    window = signal.window_days
    lines = lines_read(days[-1], scope, ended_after=days[0] - timedelta(days=window))
    result = {}
    for d in days:
        n = lines.day(d)
        before = lines.mrr_on(n - window)[0]
        baseline = np.where(before != 0, before, _first_paid(lines, n - window, n))
        accounts = np.asarray(account_ids[d], dtype=np.int64)
        now = lines.aligned(lines.mrr_on(n)[0], accounts)
        change = _relative_changes(now, lines.aligned(baseline, accounts))
        result[d] = ValueArray(ids=account_ids[d], array=change)
    return result


def _first_paid(lines: Lines, after: int, last: int) -> np.ndarray:
    """Each account's MRR in cents of the paying lines that began first in (after, last]."""
    paying = np.flatnonzero((lines.cents > 0) & (lines.start > after) & (lines.start <= last))
    owner, start = lines.owner[paying], lines.start[paying]
    earliest = np.full(len(lines.ids), NEVER, dtype=np.int64)
    np.minimum.at(earliest, owner, start)
    first = start == earliest[owner]
    paid = np.zeros(len(lines.ids), dtype=np.int64)
    np.add.at(paid, owner[first], lines.cents[paying[first]])
    return paid


def _relative_changes(now: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """`relative_change(float(now), float(baseline))` of MRRs in whole cents, NaN for None:
    `float` of a Decimal of cents is cents / 100 correctly rounded, which numpy's division
    gives too, and the rest is the same float arithmetic in the same order."""
    current, previous = now / 100.0, baseline / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        change = (current - previous) / np.abs(previous) * 100.0
    return np.where(previous == 0, np.where(current == 0, 0.0, np.nan), change)


def age_range(signal, days, account_ids, scope, starts) -> ByDay:
    return {d: measure(signal, d, account_ids[d], scope, starts[d]) for d in days}


RANGE_MEASURES: dict[str, RangeMeasure] = {
    Source.USAGE_VOLUME: usage_range,
    Source.USAGE_FREQUENCY: usage_range,
    Source.USAGE_BREADTH: usage_range,
    Source.LICENCE_UTILISATION: licence_range,
    Source.DAYS_SINCE_ACTIVITY: idle_range,
    Source.REVENUE_TREND: revenue_range,
    Source.ACCOUNT_AGE: age_range,
    Source.INVOICE_OVERDUE: invoice_range,
    Source.OPEN_TICKETS: tickets_range,
    Source.NPS: nps_range,
    Source.CSAT: csat_range,
    Source.EMAIL_OPEN_RATE: email_range,
    Source.SENTIMENT: sentiment_range,
    Source.GOALS_ON_TRACK: goals_range,
    Source.ADVOCACY: advocacy_range,
}
