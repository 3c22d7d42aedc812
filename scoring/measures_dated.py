"""Invoices, tickets, answers, sentiment, goals and referrals over a range of days, measured on
numpy arrays.

Each range measure reads its facts once for the range, as arrays of the account's position in
the sorted ids of every day's accounts and of day numbers (days from the first day); each day
is then a mask over the facts and a reduction per account, and its values a `ValueArray` for
that day's accounts (NaN where the one-day measure gives None). The values are those of the
one-day measures in `scoring.measures`, to the bit: days and counts are whole numbers, means
are a whole-number sum over a count (exact in float64, divided once as Python divides), and
ticket ages are added one by one in the order the one-day measure adds them.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.db.models import F, Q, Value, Window
from django.db.models.functions import Coalesce, DenseRank
from django.utils import timezone

from scoring.measures import SENTIMENT_POINTS, _window, end_of
from scoring.measures_arrays import (
    NEVER,
    DayAccounts,
    _days_from,
    _positions,
    by_copy,
    fact_columns,
)
from signals.models import Goal, GoalStatus, Invoice, Referral, SentimentEntry, Ticket
from surveys.models import SurveyResponse

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _columns(facts: list[tuple], n: int) -> list[np.ndarray]:
    """The `n` columns of `facts` (tuples of whole numbers) as arrays."""
    if not facts:
        return [np.zeros(0, dtype=np.int64) for _ in range(n)]
    return [np.array(c, dtype=np.int64) for c in zip(*facts, strict=True)]


def _day_numbers(days: Sequence[date]) -> list[int]:
    return [(d - days[0]).days for d in days]


def _located(ids: np.ndarray, accounts: np.ndarray, *columns: np.ndarray) -> list[np.ndarray]:
    """The positions in `ids` of the facts' `accounts`, and their `columns`, for the facts of
    accounts that are in `ids` (a fact of another account is measured for no one)."""
    if not len(ids):
        return [np.zeros(0, dtype=np.int64), *(c[:0] for c in columns)]
    at, known = _positions(ids, accounts)
    return [at[known], *(c[known] for c in columns)]


def _means(at: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """The mean score of each of `n` accounts (NaN: none) from whole-number scores at their
    positions `at`: sums and counts exact in float64, then one division, as Python's."""
    total = np.bincount(at, weights=scores, minlength=n)
    count = np.bincount(at, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _last_of(keys: np.ndarray) -> np.ndarray:
    """Indices of the last fact of each key, the facts being in order (later overwrites)."""
    _, first_from_end = np.unique(keys[::-1], return_index=True)
    return len(keys) - 1 - first_from_end


# ---------------------------------------------------------------- invoices


def _day_columns(rows, fields: Sequence[str], first: date, numbers=()) -> list[np.ndarray]:
    """The (account, date, ...) `fields` of `rows` with each date (None: NEVER) as days from
    `first`, then the whole-number fields `numbers`: packed by the server on PostgreSQL
    (`fact_columns`), through the ORM elsewhere."""
    if by_copy():
        numbered = {f"{f}_no": Coalesce(_days_from(f, first), Value(NEVER)) for f in fields[1:]}
        rows = rows.annotate(**numbered).order_by().values_list(fields[0], *numbered, *numbers)
        kinds = "q" + "i" * len(numbered) + "q" * len(numbers)
        return [c.astype(np.int64) for c in fact_columns(rows, kinds)]
    facts = [
        (row[0], *(NEVER if d is None else (d - first).days for d in row[1 : len(fields)]))
        + row[len(fields) :]
        for row in rows.values_list(*fields, *numbers)
    ]
    return _columns(facts, len(fields) + len(numbers))


def invoice_range(signal, days, account_ids, scope, starts) -> dict:
    """`invoice_overdue` for each day: none for an account with no invoice issued by then, else
    the days since the oldest due day among its invoices issued, unpaid on the day and due
    before it (0 if none)."""
    accounts = DayAccounts(days, account_ids)
    ids = accounts.ids
    rows = Invoice.objects.filter(issued_on__lte=days[-1], **scope)
    fields = ("account_id", "issued_on", "due_on", "paid_on")
    at, issued_on, due, paid = _located(ids, *_day_columns(rows, fields, days[0]))
    first_issued = np.full(len(ids), NEVER, dtype=np.int64)
    np.minimum.at(first_issued, at, issued_on)
    # Only an invoice overdue on some day of the range can be the oldest overdue one.
    ends = _day_numbers(days)
    maybe = (due < ends[-1]) & (paid > ends[0])
    at, issued_on, due, paid = at[maybe], issued_on[maybe], due[maybe], paid[maybe]
    values = np.empty((len(ids), len(days)))
    for i, t in enumerate(ends):
        overdue = (issued_on <= t) & (due < t) & (paid > t)
        oldest = np.full(len(ids), NEVER, dtype=np.int64)
        np.minimum.at(oldest, at[overdue], due[overdue])
        days_late = np.where(oldest < NEVER, t - oldest, 0).astype(np.float64)
        values[:, i] = np.where(first_issued <= t, days_late, np.nan)
    return accounts.arrays(values)


# ---------------------------------------------------------------- tickets


def _microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def tickets_range(signal, days, account_ids, scope, starts) -> dict:
    """`open_tickets` for each day: the days open at the day's end of the high and critical
    tickets still open then, added per account in order of opening (and pk), as the one-day
    measure adds them."""
    first_cutoff, last_cutoff = end_of(days[0]), end_of(days[-1])
    rows = (
        Ticket.objects.filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=first_cutoff),
            opened_at__lt=last_cutoff,
            priority__in=("high", "critical"),
            **scope,
        )
        .order_by("account_id", "opened_at", "pk")
        .values_list("account_id", "opened_at", "resolved_at")
    )
    facts = [
        (a, _microseconds(o), NEVER << 32 if r is None else _microseconds(r)) for a, o, r in rows
    ]
    accounts = DayAccounts(days, account_ids)
    ids = accounts.ids
    at, opened, resolved = _located(ids, *_columns(facts, 3))
    values = np.zeros((len(ids), len(days)))
    for i, d in enumerate(days):
        cutoff = _microseconds(end_of(d))
        open_ = (opened < cutoff) & (resolved >= cutoff)
        own, ages = at[open_], (cutoff - opened[open_]) / 1e6 / 86400  # total_seconds / 86400
        # The k-th open ticket of each account (facts in order of account): added k-th.
        starts_at = np.flatnonzero(np.r_[True, own[1:] != own[:-1]]) if len(own) else own
        rank = np.arange(len(own)) - np.repeat(starts_at, np.diff(np.r_[starts_at, len(own)]))
        totals = np.zeros(len(ids))
        for k in range(int(rank.max()) + 1 if len(rank) else 0):
            kth = rank == k
            totals[own[kth]] += ages[kth]
        values[:, i] = totals
    return accounts.arrays(values)


# ---------------------------------------------------------------- answers and sentiment


def _windows(days: Sequence[date], window: int) -> list[tuple[int, int]]:
    """Each day's window as (first, last) day numbers from the first window's start."""
    origin = _window(days[0], window)[0]
    return [tuple((x - origin).days for x in _window(d, window)) for d in days]


def nps_range(signal, days, account_ids, scope, starts) -> dict:
    """`nps` for each day: the mean of each respondent's latest answer in the window."""
    origin = _window(days[0], signal.window_days)[0]
    rows = SurveyResponse.objects.filter(
        survey_type="nps", responded_on__gte=origin, responded_on__lte=days[-1], **scope
    ).annotate(who=Window(DenseRank(), order_by=F("respondent").asc()))
    accounts = DayAccounts(days, account_ids)
    ids = accounts.ids
    columns = _day_columns(rows, ("account_id", "responded_on"), origin, ("who", "score"))
    # In order of the day answered: a contact answers at most once a day (natural key).
    at, day, who, score = _located(
        ids, *(c[np.argsort(columns[1], kind="stable")] for c in columns)
    )
    respondents = int(who.max()) + 1 if len(who) else 0
    values = np.empty((len(ids), len(days)))
    for i, (lo, hi) in enumerate(_windows(days, signal.window_days)):
        inside = (day >= lo) & (day <= hi)
        own, latest = at[inside], score[inside]
        kept = _last_of(own * respondents + who[inside])
        values[:, i] = _means(own[kept], latest[kept], len(ids))
    return accounts.arrays(values)


def sentiment_range(signal, days, account_ids, scope, starts) -> dict:
    """`sentiment` for each day: the points of the latest entry in the window."""
    origin = _window(days[0], signal.window_days)[0]
    rows = (
        SentimentEntry.objects.filter(recorded_on__gte=origin, recorded_on__lte=days[-1], **scope)
        .order_by("recorded_on", "pk")
        .values_list("account_id", "recorded_on", "sentiment")
    )
    kinds = list(SENTIMENT_POINTS)
    facts = [(a, (on - origin).days, kinds.index(s)) for a, on, s in rows]
    accounts = DayAccounts(days, account_ids)
    ids = accounts.ids
    at, day, kind = _located(ids, *_columns(facts, 3))
    points = np.array([SENTIMENT_POINTS[k] for k in kinds])[kind]
    values = np.full((len(ids), len(days)), np.nan)
    for i, (lo, hi) in enumerate(_windows(days, signal.window_days)):
        inside = np.flatnonzero((day >= lo) & (day <= hi))
        latest = inside[_last_of(at[inside])]
        values[at[latest], i] = points[latest]
    return accounts.arrays(values)


def csat_range(signal, days, account_ids, scope, starts) -> dict:
    """`csat` for each day: the mean of the CSAT of tickets resolved and of the CSAT answers
    in the window (whole-number sums over a count)."""
    origin = _window(days[0], signal.window_days)[0]
    rated = Ticket.objects.filter(
        csat__isnull=False,
        resolved_at__gte=end_of(origin - timedelta(days=1)),
        resolved_at__lt=end_of(days[-1]),
        **scope,
    ).values_list("account_id", "resolved_at", "csat")
    answered = SurveyResponse.objects.filter(
        survey_type="csat", responded_on__gte=origin, responded_on__lte=days[-1], **scope
    ).values_list("account_id", "responded_on", "score")
    # Resolved before a day's end (`end_of`): resolved by that day, in the site's time zone.
    facts = [(a, (timezone.localdate(on) - origin).days, s) for a, on, s in rated]
    facts += [(a, (on - origin).days, s) for a, on, s in answered]
    accounts = DayAccounts(days, account_ids)
    ids = accounts.ids
    at, day, score = _located(ids, *_columns(facts, 3))
    values = np.empty((len(ids), len(days)))
    for i, (lo, hi) in enumerate(_windows(days, signal.window_days)):
        inside = (day >= lo) & (day <= hi)
        values[:, i] = _means(at[inside], score[inside], len(ids))
    return accounts.arrays(values)


# ---------------------------------------------------------------- goals and referrals


def goals_range(signal, days, account_ids, scope, starts) -> dict:
    """`goals_on_track` for each day: % of the goals counting on the day (set by then, due
    within the window or later) that are met or on track and not yet past due."""
    window = signal.window_days
    rows = Goal.objects.filter(
        Q(set_on__isnull=True) | Q(set_on__lte=days[-1]),
        due_on__gt=days[0] - timedelta(days=window),
        **scope,
    ).values_list("account_id", "set_on", "due_on", "status")
    kinds = {GoalStatus.MET: 1, GoalStatus.ON_TRACK: 2}
    first = days[0]
    facts = [
        (a, -NEVER if s is None else (s - first).days, (d - first).days, kinds.get(st, 0))
        for a, s, d, st in rows
    ]
    accounts = DayAccounts(days, account_ids)
    ids = accounts.ids
    at, set_on, due, kind = _located(ids, *_columns(facts, 4))
    values = np.empty((len(ids), len(days)))
    for i, t in enumerate(_day_numbers(days)):
        counting = (set_on <= t) & (due > t - window)
        good = counting & ((kind == 1) | ((kind == 2) & (due >= t)))
        count = np.bincount(at[counting], minlength=len(ids))
        # Whole-number counts: one division, then × 100, as `goal_share` computes it.
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.bincount(at[good], minlength=len(ids)).astype(np.float64) / count * 100
        values[:, i] = np.where(count > 0, share, np.nan)
    return accounts.arrays(values)


def advocacy_range(signal, days, account_ids, scope, starts) -> dict:
    """`advocacy` for each day: the referrals the account gave in the window."""
    origin = _window(days[0], signal.window_days)[0]
    rows = Referral.objects.filter(referred_on__gte=origin, referred_on__lte=days[-1], **scope)
    facts = [(a, (on - origin).days) for a, on in rows.values_list("account_id", "referred_on")]
    accounts = DayAccounts(days, account_ids)
    ids = accounts.ids
    at, day = _located(ids, *_columns(facts, 2))
    values = np.empty((len(ids), len(days)))
    for i, (lo, hi) in enumerate(_windows(days, signal.window_days)):
        inside = (day >= lo) & (day <= hi)
        values[:, i] = np.bincount(at[inside], minlength=len(ids))
    return accounts.arrays(values)
