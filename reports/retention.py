"""Pure retention arithmetic for the manager reports: months, logo churn, GRR and NRR, the MRR
movements of a month (new, upsell, cross-sell, downsell, churned), renewal rate, trial
conversion, a Kaplan–Meier survival curve, NPS and time-to-answer statistics.

No Django here: `reports.py` loads the facts for the whole book in a few queries and hands them
to these functions, which the tests check against books worked out by hand. The definitions
are PRODUCT.md's ("Definitions"):

- an account is *active on s* when a line covers s (start <= s < end) and no churn recorded by
  a person has taken effect by s;
- its *churn date* is the first day it is not active: the date a person recorded, else the end
  date of its last line when no line is open and none starts later;
- it *churned in [s, e)* when it was active on s and its churn date is in (s, e] — that is,
  active on s, not active on e, and no later line. An account whose last line ends on 1 April
  was a customer through 31 March: it churned in March. Only churn dates on or before
  "today" count (billing may already know an annual contract ends next month);
- logo churn of [s, e) = churned in [s, e) among the active on s ÷ active on s;
- GRR = Σ min(MRR on e, MRR on s) ÷ Σ MRR on s over the accounts active on s; NRR the same
  without the cap;
- renewal rate = lines due to end in the period — their end date in (s, e], the same edge as
  churn — followed by a new line of the same account ÷ all lines due, × 100;
- NPS = % promoters (9–10) − % detractors (0–6).
"""

import calendar
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext

from accounts import formats

ZERO = Decimal("0")
# A renewal or a trial's paid line may start a little after the old line ended (paperwork,
# a lapsed card): within this many days it still counts as following it.
GRACE_DAYS = 30

# ---------------------------------------------------------------- months


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to the month's last day (Jan 31 -> Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_month(text: str | None) -> date | None:
    """'2026-05' (or '2026-05-17') -> 1 May 2026; anything else -> None, never an exception."""
    if not text or not isinstance(text, str) or len(text) > 10 or not text.isascii():
        return None
    parts = text.strip().split("-")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    year, month = int(parts[0]), int(parts[1])
    if not (1900 <= year <= 9999 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


@dataclass(frozen=True)
class Month:
    """One month of a report, [start, end). The current month ends today ("to date")."""

    start: date
    end: date
    partial: bool = False

    @property
    def label(self) -> str:
        """The month in the reader's format, e.g. "Dec 2026 (to date)"."""
        return formats.month(self.start) + (" " + gettext("(to date)") if self.partial else "")

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"


def months(first: date, last: date, *, today: date) -> list[Month]:
    """The months from `first` to `last` (both month starts, inclusive) that have begun by
    `today`; the month holding today ends today, so nothing after today is ever counted."""
    result = []
    start = month_start(first)
    while start <= month_start(last) and start < today:
        end = add_months(start, 1)
        if end > today:
            result.append(Month(start, today, partial=True))
        else:
            result.append(Month(start, end))
        start = end
    return result


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (15 Jan -> 14 Mar is 1, -> 15 Mar is 2); never < 0."""
    whole = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day and not _last_day_clamp(start, end):
        whole -= 1
    return max(whole, 0)


def _last_day_clamp(start: date, end: date) -> bool:
    # 31 Jan -> 28 Feb is one whole month: the anniversary fell on the month's last day.
    return end.day == calendar.monthrange(end.year, end.month)[1] and start.day > end.day


# ---------------------------------------------------------------- an account's revenue


@dataclass(frozen=True)
class Line:
    """A subscription line; it covers day D when start <= D < end (end None = open)."""

    product: str
    mrr: Decimal
    start: date
    end: date | None = None
    is_trial: bool = False
    subscription_id: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass
class Customer:
    """One account's revenue history, and what a person recorded about its churn."""

    id: int
    lines: list[Line] = field(default_factory=list)
    churned_on: date | None = None  # recorded by a person: overrides the lines
    segment: str = ""
    churn_reason: str = ""
    name: str = ""
    external_id: str = ""

    def gone_by(self, day: date) -> bool:
        return self.churned_on is not None and self.churned_on <= day

    def active_on(self, day: date) -> bool:
        return not self.gone_by(day) and any(line.covers(day) for line in self.lines)

    def mrr_on(self, day: date) -> Decimal:
        if self.gone_by(day):
            return ZERO
        return sum((line.mrr for line in self.lines if line.covers(day)), ZERO)

    def mrr_by_product(self, day: date) -> dict[str, Decimal]:
        products: dict[str, Decimal] = {}
        if self.gone_by(day):
            return products
        for line in self.lines:
            if line.covers(day) and line.mrr > 0:
                products[line.product] = products.get(line.product, ZERO) + line.mrr
        return products

    def churn_date(self) -> date | None:
        """Recorded date, else the end of the last line when none is open (may be future)."""
        if self.churned_on is not None:
            return self.churned_on
        if not self.lines or any(line.end is None for line in self.lines):
            return None
        return max(line.end for line in self.lines if line.end is not None)

    def churned_in(self, start: date, end: date, *, today: date) -> bool:
        """Active on `start`, and its churn date (its first day not active) in (start, end]."""
        churned = self.churn_date()
        return (
            churned is not None
            and start < churned <= end
            and churned <= today
            and self.active_on(start)
        )

    @property
    def first_start(self) -> date | None:
        return min((line.start for line in self.lines), default=None)


# ---------------------------------------------------------------- churn and retention


def rate(part: float, whole: float) -> float | None:
    """part ÷ whole × 100, or None when there is nothing to divide by."""
    return None if not whole else float(part) / float(whole) * 100.0


@dataclass(frozen=True)
class Retention:
    """Logo churn, GRR and NRR of one period [start, end)."""

    start: date
    end: date
    active: int  # accounts active on start
    churned: int  # of those, churned in [start, end) (on or before today)
    mrr_start: Decimal  # their MRR on start
    mrr_end_capped: Decimal  # their MRR on end, each capped at its MRR on start
    mrr_end: Decimal  # their MRR on end

    @property
    def logo_churn(self) -> float | None:
        return rate(self.churned, self.active)

    @property
    def grr(self) -> float | None:
        return rate(self.mrr_end_capped, self.mrr_start)

    @property
    def nrr(self) -> float | None:
        return rate(self.mrr_end, self.mrr_start)


def retention(customers: Iterable[Customer], start: date, end: date, *, today: date) -> Retention:
    active = churned = 0
    mrr_start = capped = mrr_end = ZERO
    for c in customers:
        if not c.active_on(start):
            continue
        active += 1
        churned += c.churned_in(start, end, today=today)
        before, after = c.mrr_on(start), c.mrr_on(end)
        mrr_start += before
        capped += min(before, after)
        mrr_end += after
    return Retention(start, end, active, churned, mrr_start, capped, mrr_end)


# ---------------------------------------------------------------- MRR movements


KINDS = ("new", "upsell", "cross_sell", "downsell", "churned")


def classify_change(before: Mapping[str, Decimal], after: Mapping[str, Decimal]) -> dict:
    """Split one account's MRR change between two days by product, into the amounts of
    `new` (no MRR before), `churned` (no MRR after), and otherwise per product `cross_sell`
    (a product it did not pay for before), `upsell` (more for a product) and `downsell` (less,
    or a product dropped). Amounts are positive; start + new + upsell + cross_sell − downsell
    − churned = end, always."""
    moves = dict.fromkeys(KINDS, ZERO)
    total_before = sum(before.values(), ZERO)
    total_after = sum(after.values(), ZERO)
    if total_before <= 0 and total_after <= 0:
        return moves
    if total_before <= 0:
        moves["new"] = total_after
        return moves
    if total_after <= 0:
        moves["churned"] = total_before
        return moves
    for product in sorted(before.keys() | after.keys()):
        old, new = before.get(product, ZERO), after.get(product, ZERO)
        if old <= 0 < new:
            moves["cross_sell"] += new
        elif new > old:
            moves["upsell"] += new - old
        elif new < old:
            moves["downsell"] += old - new
    return moves


@dataclass(frozen=True)
class Movements:
    """The MRR bridge of one period: what the book paid on `start`, the movements, and `end`."""

    start: date
    end: date
    mrr_start: Decimal
    new: Decimal
    upsell: Decimal
    cross_sell: Decimal
    downsell: Decimal
    churned: Decimal
    mrr_end: Decimal
    counts: dict  # accounts per kind

    @property
    def arr_end(self) -> Decimal:
        return self.mrr_end * 12


def movements(customers: Iterable[Customer], start: date, end: date) -> Movements:
    totals = dict.fromkeys(KINDS, ZERO)
    counts = dict.fromkeys(KINDS, 0)
    mrr_start = mrr_end = ZERO
    for c in customers:
        before, after = c.mrr_by_product(start), c.mrr_by_product(end)
        mrr_start += sum(before.values(), ZERO)
        mrr_end += sum(after.values(), ZERO)
        for kind, amount in classify_change(before, after).items():
            if amount:
                totals[kind] += amount
                counts[kind] += 1
    return Movements(start, end, mrr_start, **totals, mrr_end=mrr_end, counts=counts)


# ---------------------------------------------------------------- renewals and trials


@dataclass(frozen=True)
class Outcome:
    """Lines due in a period and how many were followed up (renewed, or converted)."""

    start: date
    end: date
    due: int
    followed: int
    pending: int  # not followed yet, but still inside the grace period

    @property
    def rate(self) -> float | None:
        return rate(self.followed, self.due)


def _followed(line: Line, others: Sequence[Line], *, same_product: bool, grace: int) -> bool:
    assert line.end is not None
    latest = line.end + timedelta(days=grace)
    earliest = line.start if same_product else line.end
    return any(
        other is not line
        and not other.is_trial
        and other.mrr > 0
        and earliest <= other.start <= latest
        and (not same_product or other.product == line.product)
        for other in others
    )


def renewal_outcome(
    customers: Iterable[Customer], start: date, end: date, *, today: date, grace: int = GRACE_DAYS
) -> Outcome:
    """Paid lines whose end date is in (start, end] and on or before today are due (a line
    ending on 1 April last covers 31 March: due in March); each is renewed when a paid line of
    the same account starts on its end date or within `grace` days after it."""
    return _outcome(customers, start, end, today=today, grace=grace, trials=False)


def trial_outcome(
    customers: Iterable[Customer], start: date, end: date, *, today: date, grace: int = GRACE_DAYS
) -> Outcome:
    """Trial lines that ended in (start, end] (and by today), the edge of churn and renewals;
    each converted when a paid line of the same account and product starts during the trial
    or within `grace` days after it."""
    return _outcome(customers, start, end, today=today, grace=grace, trials=True)


def _outcome(
    customers: Iterable[Customer], start: date, end: date, *, today: date, grace: int, trials: bool
) -> Outcome:
    """The paid lines (or, with `trials`, the trial lines) ending in (start, end] and by today,
    how many a line followed (of the same product, for a trial) and how many may still be."""
    due = followed = pending = 0
    for c in customers:
        for line in c.lines:
            if line.is_trial != trials or line.end is None or not (start < line.end <= end):
                continue
            if line.end > today:
                continue
            due += 1
            if _followed(line, c.lines, same_product=trials, grace=grace):
                followed += 1
            elif line.end + timedelta(days=grace) > today:
                pending += 1
    return Outcome(start, end, due, followed, pending)


# ---------------------------------------------------------------- survival by tenure


@dataclass(frozen=True)
class SurvivalPoint:
    """Tenure of m whole months: `at_risk` accounts were customers for at least m months,
    `churned` of them left with m whole months of tenure, `censored` were still customers at
    the cut-off with m months; `survival` is the Kaplan–Meier share still customers once the
    leavers at m are gone, `hazard` the share of those at risk who left at m."""

    month: int
    at_risk: int
    churned: int
    censored: int
    survival: float

    @property
    def hazard(self) -> float | None:
        return rate(self.churned, self.at_risk)


def kaplan_meier(durations: Iterable[tuple[int, bool]]) -> list[SurvivalPoint]:
    """Survival by whole months of tenure from (months, churned) pairs.

    `months` is the whole months an account was a customer before it churned (churned True)
    or before the cut-off (churned False: censored — it may still leave later, so it counts
    as at risk up to its months, never as churned). At risk at m = pairs with months >= m;
    survival(m) = Π over k <= m of (1 − churned at k ÷ at risk at k).
    """
    pairs = list(durations)
    if not pairs:
        return []
    last = max(m for m, _ in pairs)
    events = [0] * (last + 1)
    censored = [0] * (last + 1)
    for m, churned in pairs:
        if m < 0:
            raise ValueError("tenure cannot be negative")
        (events if churned else censored)[m] += 1
    points = []
    at_risk = len(pairs)
    survival = 1.0
    for m in range(last + 1):
        if at_risk:
            survival *= 1 - events[m] / at_risk
        points.append(SurvivalPoint(m, at_risk, events[m], censored[m], survival))
        at_risk -= events[m] + censored[m]
    return points


def tenure(customer: Customer, *, cutoff: date) -> tuple[int, bool] | None:
    """(whole months from the first subscription start to churn or `cutoff`, churned) — None
    for an account that had not started by the cut-off."""
    first = customer.first_start
    if first is None or first > cutoff:
        return None
    churned = customer.churn_date()
    if churned is not None and churned <= cutoff:
        return months_between(first, churned), True
    return months_between(first, cutoff), False


# ---------------------------------------------------------------- NPS and durations


# Fewer answers than this and an NPS swings by many points on one answer: flagged.
SMALL_SAMPLE = 30


@dataclass(frozen=True)
class Nps:
    promoters: int
    passives: int
    detractors: int

    @property
    def small_sample(self) -> bool:
        """Some answers, but fewer than SMALL_SAMPLE."""
        return 0 < self.responses < SMALL_SAMPLE

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters − % detractors, −100 to 100; None without answers."""
        if not self.responses:
            return None
        return (self.promoters - self.detractors) / self.responses * 100.0


def nps(scores: Iterable[int]) -> Nps:
    promoters = passives = detractors = 0
    for score in scores:
        if not 0 <= score <= 10:
            raise ValueError(f"an NPS answer is 0 to 10, not {score}")
        if score >= 9:
            promoters += 1
        elif score >= 7:
            passives += 1
        else:
            detractors += 1
    return Nps(promoters, passives, detractors)


@dataclass(frozen=True)
class Spread:
    """Count, median and mean of some durations (hours)."""

    n: int
    median: float | None
    mean: float | None


def spread(values: Iterable[float]) -> Spread:
    data = [v for v in values if v is not None and math.isfinite(v)]
    if not data:
        return Spread(0, None, None)
    return Spread(len(data), statistics.median(data), statistics.fmean(data))
