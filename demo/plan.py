"""The hidden plan of each demo account: its health group, its daily health h(day), when it
starts, grows and leaves (see `demo.generator` for the whole story)."""

import calendar
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from accounts.models import LifecycleStage, Role, Segment
from demo.words import (
    ADDONS,
    CHURN_REASONS,
    NAME_FIRST,
    NAME_SECOND,
    NAME_SUFFIX,
    PEOPLE_FIRST,
    PEOPLE_LAST,
    SEGMENT_SHARE,
    SEGMENTS,
)

# One documented password for every demo login; `make run` prints it. Never use in production.
DEMO_PASSWORD = "healthscore-demo"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str


DEMO_USERS = (
    DemoUser("csm1", Role.CSM, "Casey", "Nguyen"),
    DemoUser("csm2", Role.CSM, "Sam", "Okafor"),
    DemoUser("csm3", Role.CSM, "Riley", "Jensen"),
    DemoUser("manager", Role.MANAGER, "Morgan", "Hale"),
    DemoUser("admin", Role.ADMIN, "Ada", "Park"),
)

METRICS = ("logins", "active_users", "reports_created")


class Group(StrEnum):
    """The hidden truth about an account, which the score has to discover."""

    HEALTHY = "healthy"
    STABLE = "stable"
    DECLINING = "declining"
    AT_RISK = "at_risk"
    NEW = "new"  # onboarded in the last week: too little data to score (grey)


# Health at the start of the period and at its end (or at churn) as (low, high), and the shape
# of the drift: above 1 keeps most of the change for the last weeks, as real declines go.
TRAJECTORY = {
    Group.HEALTHY: ((0.70, 0.85), (0.82, 0.95), 1.0),
    Group.STABLE: ((0.60, 0.72), (0.60, 0.74), 1.0),
    Group.DECLINING: ((0.65, 0.80), (0.28, 0.42), 2.0),
    Group.AT_RISK: ((0.25, 0.45), (0.06, 0.20), 1.2),
    Group.NEW: ((0.60, 0.80), (0.60, 0.80), 1.0),
}


@dataclass(frozen=True)
class DemoSummary:
    """What `demo_seed` built. Per model: `rows` generated, `new_rows` that did not exist and
    `updated_rows` that existed with other values (both 0 on a rerun with the same seed and day)."""

    seed: int
    today: date
    days: int
    accounts: int
    users: tuple[str, ...]
    rows: dict[str, int]
    new_rows: dict[str, int]
    updated_rows: dict[str, int]
    groups: dict[str, int]
    group_of: dict[str, str]  # external id -> hidden group, for tests and tuning
    seconds: float


# ---------------------------------------------------------------- dates


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to the month's last day (Jan 31 -> Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def between(rng: random.Random, first: date, last: date) -> date | None:
    """A random day in [first, last], or None when the range is empty."""
    if last < first:
        return None
    return first + timedelta(days=rng.randint(0, (last - first).days))


# ---------------------------------------------------------------- the hidden plan


@dataclass
class Plan:
    """Everything about one account that the facts are drawn from."""

    number: int
    group: Group
    name: str
    domain: str
    segment: Segment
    owner_id: int
    start: date  # first day as a customer, trial included
    paid_from: date  # first paid day (after the trial, if any)
    annual: bool
    seats: int  # at paid_from
    mrr: float  # at paid_from
    h0: float
    h1: float
    shape: float
    offset: float  # what the facts show is h(day) + offset: the signals' own noise
    period_start: date  # the first day of usage history
    today: date
    churn_on: date | None = None
    churn_recorded: bool = False
    churn_reason: str = ""
    uplift: float = 1.0  # price rise at each annual renewal
    changes: list[tuple[date, float]] = field(default_factory=list)  # upsell/downsell factors
    addon: tuple[str, date, bool, bool, float] | None = None  # product, start, trial, converts, mrr
    # The oldest unpaid invoice is this many days past due on the last day as a customer.
    overdue: tuple[int, int] | None = None
    contacts: list[str] = field(default_factory=list)

    @property
    def external_id(self) -> str:
        return f"CRM-{self.number:05d}"

    @property
    def last_day(self) -> date:
        """The last day the account is a customer within the period."""
        return self.churn_on - timedelta(days=1) if self.churn_on else self.today

    def health(self, day: date) -> float:
        first = max(self.period_start, self.start)
        span = max((self.last_day - first).days, 1)
        progress = min(max((day - first).days / span, 0.0), 1.0)
        return self.h0 + (self.h1 - self.h0) * progress**self.shape

    def seen(self, day: date) -> float:
        """The health the facts are drawn from: the hidden one plus the account's offset."""
        return min(1.0, max(0.0, self.health(day) + self.offset))

    def anniversaries(self, until: date) -> list[date]:
        """Annual renewal days after paid_from, up to and including `until`."""
        days, years = [], 1
        while self.annual and (day := add_months(self.paid_from, 12 * years)) <= until:
            days.append(day)
            years += 1
        return days

    def factor_on(self, day: date) -> float:
        factor = 1.0
        for changed_on, change in self.changes:
            if changed_on <= day:
                factor *= change
        return factor

    def mrr_on(self, day: date) -> float:
        renewals = len(self.anniversaries(day))
        return round(self.mrr * self.factor_on(day) * self.uplift**renewals)

    def seats_on(self, day: date) -> int:
        return max(3, round(self.seats * self.factor_on(day)))

    def main_end(self) -> date | None:
        """End of the main subscription: the churn day, the current annual term's end, or open."""
        if self.churn_on:
            return self.churn_on
        if self.annual:
            return add_months(self.paid_from, 12 * (len(self.anniversaries(self.today)) + 1))
        return None

    def lifecycle_stage(self) -> str:
        end = self.main_end()
        tenure = (self.last_day - self.start).days
        if self.group is Group.NEW or tenure < 90:
            return LifecycleStage.ONBOARDING
        if self.annual and end and not self.churn_on and (end - self.today).days <= 90:
            return LifecycleStage.RENEWAL
        return LifecycleStage.ADOPTION if tenure < 365 else LifecycleStage.MATURE


def colour_of(h: float) -> str:
    """The colour a CSM gives an account that feels `h` (sentiment entries, check-in notes)."""
    return "green" if h >= 0.62 else "yellow" if h >= 0.38 else "red"


def group_sizes(accounts: int) -> list[Group]:
    """Roughly 10 brand-new accounts; the rest split so that about 55 % of the scored book
    should come out green, 25 % yellow and 20 % red."""
    new = max(2, min(10, accounts // 30))
    rest = max(accounts - new, 0)
    healthy, stable, declining = round(rest * 0.46), round(rest * 0.12), round(rest * 0.22)
    at_risk = rest - healthy - stable - declining
    return (
        [Group.NEW] * new
        + [Group.HEALTHY] * healthy
        + [Group.STABLE] * stable
        + [Group.DECLINING] * declining
        + [Group.AT_RISK] * at_risk
    )[:accounts]


def company_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Unique (name, e-mail domain) pairs, e.g. ("Cedar Forge Logistics", "cedarforge.example")."""
    names: dict[str, str] = {}
    while len(names) < count:
        first, second = rng.choice(NAME_FIRST), rng.choice(NAME_SECOND)
        name = f"{first} {second} {rng.choice(NAME_SUFFIX)}"
        # .example is reserved (RFC 2606): demo e-mail addresses can never reach anyone.
        names.setdefault(name, f"{first}{second}".lower() + ".example")
    return list(names.items())


def plan(
    number: int,
    group: Group,
    name: str,
    domain: str,
    owner_id: int,
    *,
    seed: int,
    days: int,
    today: date,
) -> Plan:
    rng = random.Random(f"{seed}:{number}:plan")
    period_start = today - timedelta(days=days - 1)
    segment = rng.choices([s for s, _ in SEGMENT_SHARE], [w for _, w in SEGMENT_SHARE])[0]
    (low, high), price, annual_share = SEGMENTS[segment]
    seats = rng.randint(low, high)
    mrr = round(seats * price * rng.uniform(0.9, 1.1), -1)
    annual = rng.random() < annual_share

    (a, b), (c, d), shape = TRAJECTORY[group]
    h0, h1 = rng.uniform(a, b), rng.uniform(c, d)
    # Churn follows the hidden health, not the signals: the lower the health sinks, the likelier
    # the account leaves within the period (about 10 % of the book do); and 2 % leave whatever
    # their health, which no signal foresees. Drawn from a stream of its own.
    fate = random.Random(f"{seed}:{number}:fate")
    unforeseen = group is not Group.NEW and fate.random() < 0.02
    churns = unforeseen or (group is not Group.NEW and fate.random() < 0.3 * (1 - h1) ** 2)

    churn_on = None
    if group is Group.NEW:
        start = today - timedelta(days=rng.randint(1, 6))
    elif churns:
        first_churn = period_start + timedelta(days=min(20, days // 4))
        churn_on = between(rng, first_churn, today - timedelta(days=3)) or first_churn
        # Annual customers leave at a renewal; monthly ones cancel any day.
        if annual:
            start = add_months(churn_on, -12 * rng.randint(1, 3))
        else:
            start = churn_on - timedelta(days=rng.randint(120, 4 * 365))
    elif days >= 120 and rng.random() < 0.15:
        start = between(rng, period_start, today - timedelta(days=60)) or period_start
    else:
        start = today - timedelta(days=rng.randint(days, 4 * 365))
    # Most customers who signed up inside the period began with a two-week trial. Brand-new
    # accounts start paid: a trial's MRR of 0 "90 days ago and now" reads as a flat revenue
    # trend, which would be enough data to score them instead of showing them grey.
    trial = not churns and group is not Group.NEW and start >= period_start
    trial = trial and rng.random() < 0.6
    paid_from = start + timedelta(days=14) if trial else start

    plan = Plan(
        number=number,
        group=group,
        name=name,
        domain=domain,
        segment=segment,
        owner_id=owner_id,
        start=start,
        paid_from=paid_from,
        annual=annual,
        seats=seats,
        mrr=mrr,
        h0=h0,
        h1=h1,
        shape=shape,
        offset=fate.gauss(0, 0.08),
        period_start=period_start,
        today=today,
        churn_on=churn_on,
    )
    if group is Group.NEW:
        plan.contacts = _contacts(rng, domain, segment)
        return plan

    if group in (Group.HEALTHY, Group.STABLE):
        plan.uplift = 1.05
    earliest = max(period_start, paid_from + timedelta(days=30))
    # Upsells and downsells: a new line on the same subscription with another MRR. Recent ones
    # (within the 90-day revenue trend) so the trend separates growing and shrinking accounts.
    change = {
        Group.HEALTHY: (0.35, max(earliest, today - timedelta(days=110)), (1.15, 1.5)),
        Group.STABLE: (0.10, earliest, (1.08, 1.2)),
        Group.DECLINING: (0.40, max(earliest, today - timedelta(days=80)), (0.65, 0.85)),
        Group.AT_RISK: (0.55, max(earliest, today - timedelta(days=85)), (0.5, 0.8)),
    }[group]
    probability, first, (lo, hi) = change
    last = (churn_on - timedelta(days=10)) if churn_on else today - timedelta(days=5)
    changed_on = between(rng, first, last) if rng.random() < probability else None
    if changed_on:
        renewals = set(plan.anniversaries(today))
        while changed_on in renewals:  # (subscription_id, start_date) must stay unique
            changed_on += timedelta(days=1)
        plan.changes.append((changed_on, rng.uniform(lo, hi)))

    # Cross-sells: a second product, sometimes after a trial; some trials never convert.
    addon_roll = rng.random()
    converting = {Group.HEALTHY: 0.25, Group.STABLE: 0.12}.get(group, 0.0)
    lapsing = {Group.STABLE: 0.08, Group.DECLINING: 0.15}.get(group, 0.0)
    addon_start = between(rng, earliest, today - timedelta(days=5))
    if addon_start and addon_roll < converting + lapsing:
        converts = addon_roll < converting
        with_trial = not converts or rng.random() < 0.5
        addon_mrr = round(mrr * rng.uniform(0.15, 0.3), -1)
        plan.addon = (rng.choice(ADDONS), addon_start, with_trial, converts, addon_mrr)

    if group is Group.AT_RISK and rng.random() < 0.65:
        plan.overdue = (30, 90)
    elif group is Group.DECLINING and rng.random() < 0.12:
        plan.overdue = (5, 35)
    if churns:
        plan.churn_recorded = rng.random() < 0.6
        if plan.churn_recorded:
            plan.churn_reason = (
                "Acquired by another company" if unforeseen else rng.choice(CHURN_REASONS)
            )
    plan.contacts = _contacts(rng, domain, segment)
    return plan


def _contacts(rng: random.Random, domain: str, segment: Segment) -> list[str]:
    count = {Segment.SMB: 2, Segment.MID_MARKET: 3, Segment.ENTERPRISE: 4}[segment]
    people = rng.sample([(f, la) for f in PEOPLE_FIRST for la in PEOPLE_LAST], count)
    return [f"{first.lower()}.{last.lower().replace('ü', 'ue')}@{domain}" for first, last in people]
