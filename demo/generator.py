"""Demo data: a believable book of customer accounts, deterministic from a seed.

`make run` loads it once so a new install shows every colour, and tests use small books. Each
account gets a hidden health group and a daily health h(day) between 0 and 1 that drifts over
the period. Churn is drawn from the hidden health — the lower it sinks, the likelier the account
leaves — and a few accounts leave whatever their health (acquired, budget cut). The facts —
usage, expansions, payments, tickets, NPS, e-mail opens, the CSM's sentiment — are drawn from
what the account shows, h(day) plus an offset of its own (some teams look busier or quieter
than they feel), so the signals reflect the health only noisily and never spell the churn out.
A fair scorecard should find most healthy accounts green and most declining and at-risk ones
yellow or red, and many (not all) churned accounts turning red before they leave.

Same seed and same `today` give identical rows: each account draws from its own random streams
(one per kind of fact), never from the global `random`. A second run upserts on the natural keys
and changes nothing. Everything is built in memory and written with `bulk_upsert`.
"""

import calendar
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, LifecycleStage, Role, Segment, User
from signals.models import (
    EmailMessage,
    Invoice,
    SentimentEntry,
    SubscriptionLine,
    Ticket,
    TicketPriority,
    UsageRecord,
)
from signals.upsert import bulk_upsert
from surveys.models import SurveyResponse, SurveyType

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


# ---------------------------------------------------------------- word lists


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_NAME_FIRST = _words(
    """
    Blue North Iron Silver Bright Cedar Granite Harbor Summit Maple Copper Falcon Quartz
    River Stone Golden Oak Aurora Pine Crimson Atlas Lumen Nova Vertex Coral Sterling Orchid
    Willow Evergreen Meridian Polar Cobalt Sage Ember Tidal Prairie
    """
)
_NAME_SECOND = _words(
    """
    Peak Forge Bridge Field Wave Point Leaf Gate Path Crest Works Line Labs Mark Yard Vale
    Sky Rock Port Loop Grid Bay Spring Shore Ridge Hill Well Stream Nest Light
    """
)
_NAME_SUFFIX = _words(
    """
    Logistics Health Systems Foods Partners Group Analytics Energy Retail Software
    Manufacturing Media Finance Dental Robotics Travel Insurance Education
    """
)
_PEOPLE_FIRST = _words(
    """
    Alex Jordan Taylor Priya Mateo Sofia Liam Aisha Noah Mia Kenji Elena Omar Hannah Lucas
    Zara Ethan Chloe Ravi Ingrid Tom Lea
    """
)
_PEOPLE_LAST = _words(
    """
    Smith Garcia Chen Patel Müller Rossi Kowalski Dubois Silva Kim Nakamura Johansson Okoye
    Novak Murphy Haddad Lopez Schmidt Brown
    """
)
_TICKET_SUBJECTS = (
    "Cannot log in with SSO",
    "Export to CSV times out",
    "Dashboard shows wrong totals",
    "How do I add a user?",
    "Invoice address change",
    "API returns 500 on /reports",
    "Slow page loads since Monday",
    "Request: dark mode",
    "Webhook not firing",
    "Data sync stuck",
    "Permission error for managers",
    "Need help with report filters",
    "Billing question",
    "Integration with Salesforce fails",
    "Scheduled report not delivered",
)
_EMAIL_SUBJECTS = (
    "Your monthly usage report",
    "New: scheduled exports",
    "Webinar: getting more from reports",
    "Tips for onboarding your team",
    "Quarterly business review",
    "Product update",
    "Your renewal is coming up",
    "Customer story: how teams save 5 hours a week",
    "Release notes",
    "Invitation: customer advisory board",
)
_NPS_COMMENTS = {
    "promoter": (
        "Love the weekly reports, the whole team uses them every Monday.",
        "Support is fast and friendly.",
        "Saves us hours every week. Would recommend.",
        "Easy to roll out, our managers picked it up in a day.",
        "",
    ),
    "passive": (
        "Does the job, but dashboards are slow with large data sets.",
        "Good product, pricing is a bit steep for us.",
        "Fine overall; the mobile view needs work.",
        "",
    ),
    "detractor": (
        "Too expensive for how little we use it.",
        "Setup took far longer than promised.",
        "We keep hitting bugs in the export.",
        "Our team stopped logging in after the redesign.",
        "Support took a week to answer a critical issue.",
        "Missing the integrations we were told were coming.",
    ),
}
_SENTIMENT_NOTES = {
    "green": (
        "Champion is engaged; talking about more seats next quarter.",
        "Great QBR, they shared two new use cases.",
        "Adoption is strong across teams.",
    ),
    "yellow": (
        "Usage dipped after their reorg; follow-up booked.",
        "New stakeholder, not yet convinced.",
        "Asked about cheaper plans.",
    ),
    "red": (
        "Champion left; no reply to the last three e-mails.",
        "Evaluating a competitor, budget under review.",
        "Escalation about open tickets, exec sponsor unhappy.",
    ),
}
_CHURN_REASONS = (
    "Budget cuts",
    "Moved to a competitor",
    "Low adoption",
    "Champion left",
    "Missing features",
)

# Seats, list price per seat (MRR) and share of annual contracts by segment.
_SEGMENTS = {
    Segment.SMB: ((10, 40), 32, 0.35),
    Segment.MID_MARKET: ((40, 120), 28, 0.70),
    Segment.ENTERPRISE: ((120, 400), 24, 0.95),
}
_SEGMENT_SHARE = ((Segment.SMB, 0.50), (Segment.MID_MARKET, 0.33), (Segment.ENTERPRISE, 0.17))
_PAYMENT_TERMS = {Segment.SMB: 14, Segment.MID_MARKET: 30, Segment.ENTERPRISE: 45}
_TICKET_RATE = {Segment.SMB: 0.6, Segment.MID_MARKET: 1.0, Segment.ENTERPRISE: 1.8}  # per month
_MAIN_PRODUCT = {
    Segment.SMB: "Platform Starter",
    Segment.MID_MARKET: "Platform Growth",
    Segment.ENTERPRISE: "Platform Enterprise",
}
_ADDONS = ("Analytics Add-on", "Premium Support")

# Health at the start of the period and at its end (or at churn) as (low, high), and the shape
# of the drift: above 1 keeps most of the change for the last weeks, as real declines go.
_TRAJECTORY = {
    Group.HEALTHY: ((0.70, 0.85), (0.82, 0.95), 1.0),
    Group.STABLE: ((0.60, 0.72), (0.60, 0.74), 1.0),
    Group.DECLINING: ((0.65, 0.80), (0.28, 0.42), 2.0),
    Group.AT_RISK: ((0.25, 0.45), (0.06, 0.20), 1.2),
    Group.NEW: ((0.60, 0.80), (0.60, 0.80), 1.0),
}


# ---------------------------------------------------------------- dates


def _add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to the month's last day (Jan 31 -> Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def _between(rng: random.Random, first: date, last: date) -> date | None:
    """A random day in [first, last], or None when the range is empty."""
    if last < first:
        return None
    return first + timedelta(days=rng.randint(0, (last - first).days))


# ---------------------------------------------------------------- the hidden plan


@dataclass
class _Plan:
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
        while self.annual and (day := _add_months(self.paid_from, 12 * years)) <= until:
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
            return _add_months(self.paid_from, 12 * (len(self.anniversaries(self.today)) + 1))
        return None

    def lifecycle_stage(self) -> str:
        end = self.main_end()
        tenure = (self.last_day - self.start).days
        if self.group is Group.NEW or tenure < 90:
            return LifecycleStage.ONBOARDING
        if self.annual and end and not self.churn_on and (end - self.today).days <= 90:
            return LifecycleStage.RENEWAL
        return LifecycleStage.ADOPTION if tenure < 365 else LifecycleStage.MATURE


def _group_sizes(accounts: int) -> list[Group]:
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


def _company_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Unique (name, e-mail domain) pairs, e.g. ("Cedar Forge Logistics", "cedarforge.example")."""
    names: dict[str, str] = {}
    while len(names) < count:
        first, second = rng.choice(_NAME_FIRST), rng.choice(_NAME_SECOND)
        name = f"{first} {second} {rng.choice(_NAME_SUFFIX)}"
        # .example is reserved (RFC 2606): demo e-mail addresses can never reach anyone.
        names.setdefault(name, f"{first}{second}".lower() + ".example")
    return list(names.items())


def _plan(
    number: int,
    group: Group,
    name: str,
    domain: str,
    owner_id: int,
    *,
    seed: int,
    days: int,
    today: date,
) -> _Plan:
    rng = random.Random(f"{seed}:{number}:plan")
    period_start = today - timedelta(days=days - 1)
    segment = rng.choices([s for s, _ in _SEGMENT_SHARE], [w for _, w in _SEGMENT_SHARE])[0]
    (low, high), price, annual_share = _SEGMENTS[segment]
    seats = rng.randint(low, high)
    mrr = round(seats * price * rng.uniform(0.9, 1.1), -1)
    annual = rng.random() < annual_share

    (a, b), (c, d), shape = _TRAJECTORY[group]
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
        churn_on = _between(rng, first_churn, today - timedelta(days=3)) or first_churn
        # Annual customers leave at a renewal; monthly ones cancel any day.
        if annual:
            start = _add_months(churn_on, -12 * rng.randint(1, 3))
        else:
            start = churn_on - timedelta(days=rng.randint(120, 4 * 365))
    elif days >= 120 and rng.random() < 0.15:
        start = _between(rng, period_start, today - timedelta(days=60)) or period_start
    else:
        start = today - timedelta(days=rng.randint(days, 4 * 365))
    # Most customers who signed up inside the period began with a two-week trial. Brand-new
    # accounts start paid: a trial's MRR of 0 "90 days ago and now" reads as a flat revenue
    # trend, which would be enough data to score them instead of showing them grey.
    trial = not churns and group is not Group.NEW and start >= period_start
    trial = trial and rng.random() < 0.6
    paid_from = start + timedelta(days=14) if trial else start

    plan = _Plan(
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
    changed_on = _between(rng, first, last) if rng.random() < probability else None
    if changed_on:
        renewals = set(plan.anniversaries(today))
        while changed_on in renewals:  # (subscription_id, start_date) must stay unique
            changed_on += timedelta(days=1)
        plan.changes.append((changed_on, rng.uniform(lo, hi)))

    # Cross-sells: a second product, sometimes after a trial; some trials never convert.
    addon_roll = rng.random()
    converting = {Group.HEALTHY: 0.25, Group.STABLE: 0.12}.get(group, 0.0)
    lapsing = {Group.STABLE: 0.08, Group.DECLINING: 0.15}.get(group, 0.0)
    addon_start = _between(rng, earliest, today - timedelta(days=5))
    if addon_start and addon_roll < converting + lapsing:
        converts = addon_roll < converting
        with_trial = not converts or rng.random() < 0.5
        addon_mrr = round(mrr * rng.uniform(0.15, 0.3), -1)
        plan.addon = (rng.choice(_ADDONS), addon_start, with_trial, converts, addon_mrr)

    if group is Group.AT_RISK and rng.random() < 0.65:
        plan.overdue = (30, 90)
    elif group is Group.DECLINING and rng.random() < 0.12:
        plan.overdue = (5, 35)
    if churns:
        plan.churn_recorded = rng.random() < 0.6
        if plan.churn_recorded:
            plan.churn_reason = (
                "Acquired by another company" if unforeseen else rng.choice(_CHURN_REASONS)
            )
    plan.contacts = _contacts(rng, domain, segment)
    return plan


def _contacts(rng: random.Random, domain: str, segment: Segment) -> list[str]:
    count = {Segment.SMB: 2, Segment.MID_MARKET: 3, Segment.ENTERPRISE: 4}[segment]
    people = rng.sample([(f, la) for f in _PEOPLE_FIRST for la in _PEOPLE_LAST], count)
    return [f"{first.lower()}.{last.lower().replace('ü', 'ue')}@{domain}" for first, last in people]


# ---------------------------------------------------------------- facts drawn from a plan


def _subscription_rows(p: _Plan, pk: int) -> list[dict[str, Any]]:
    main = f"SUB-{p.number:05d}-1"
    product = _MAIN_PRODUCT[p.segment]
    end = p.main_end()
    rows: list[dict[str, Any]] = []
    if p.paid_from > p.start:
        rows.append(_line(pk, main, product, 0, p.start, p.paid_from, trial=True))
    # A new line at every renewal and at every change of MRR.
    cuts = sorted({p.paid_from, *p.anniversaries(end or p.today), *(d for d, _ in p.changes)})
    cuts = [d for d in cuts if end is None or d < end]
    for i, start in enumerate(cuts):
        line_end = cuts[i + 1] if i + 1 < len(cuts) else end
        rows.append(_line(pk, main, product, p.mrr_on(start), start, line_end))
    if p.addon:
        name, start, trial, converts, mrr = p.addon
        sub = f"SUB-{p.number:05d}-2"
        paid = start + timedelta(days=14) if trial else start
        if trial:
            rows.append(_line(pk, sub, name, 0, start, paid, trial=True))
        if converts and paid <= p.today:  # a trial still running has no outcome yet
            # Co-termed with the main subscription, so both renew on the same day.
            rows.append(_line(pk, sub, name, mrr, paid, end))
    return rows


def _line(pk, sub, product, mrr, start, end, *, trial=False) -> dict[str, Any]:
    return {
        "account_id": pk,
        "subscription_id": sub,
        "product": product,
        "mrr": Decimal(f"{mrr:.2f}"),
        "start_date": start,
        "end_date": end,
        "is_trial": trial,
    }


def _usage_rows(p: _Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    day = max(p.period_start, p.start)
    while day <= p.last_day:
        h = p.seen(day)
        seats = p.seats_on(day)
        weekday = 1.0 if day.weekday() < 5 else 0.2
        ramp = min(1.0, 0.3 + 0.7 * (day - p.start).days / 30)  # teams take a month to onboard
        # Healthy teams use most seats, and each user logs in and builds reports more often:
        # usage per seat differs about tenfold between the healthy and the at-risk.
        utilisation = max(0.0, 0.04 + 0.9 * h + rng.gauss(0, 0.03))
        active = round(seats * utilisation * weekday * ramp * rng.uniform(0.9, 1.1))
        # Only healthy teams outgrow their licence, which is when they buy more seats.
        active = min(active, round(seats * (1.08 if p.group is Group.HEALTHY else 1.0)))
        values = {
            "logins": round(active * (0.5 + 3 * h * h) * rng.uniform(0.8, 1.2)),
            "active_users": active,
            "reports_created": round(active * 0.6 * h * h * rng.uniform(0.5, 1.5)),
        }
        # Analytics tools send a row when something happened; a silent day has no row.
        rows.extend(
            {"account_id": pk, "date": day, "metric": metric, "value": float(value)}
            for metric, value in values.items()
            if value > 0
        )
        day += timedelta(days=1)
    return rows


def _invoice_rows(
    p: _Plan, pk: int, lines: list[dict[str, Any]], rng: random.Random
) -> list[dict[str, Any]]:
    """Monthly invoices in arrears: on each monthly anniversary, the MRR of the month just
    ended. Brand-new accounts have not been invoiced yet. Billing history starts a quarter
    before the usage history, so that invoices 30-90 days overdue exist even in a short book."""
    end = min(p.today, p.churn_on or p.today)
    first = p.period_start - timedelta(days=90)
    paid = [row for row in lines if not row["is_trial"]]
    invoices = []
    month = 1
    while (issued := _add_months(p.paid_from, month)) <= end:
        month += 1
        if issued < first:
            continue
        billed = issued - timedelta(days=1)
        covering = [
            row["mrr"]
            for row in paid
            if row["start_date"] <= billed and (row["end_date"] is None or billed < row["end_date"])
        ]
        amount = sum(covering, Decimal(0))
        if amount:
            invoices.append((issued, issued + timedelta(days=_PAYMENT_TERMS[p.segment]), amount))

    first_unpaid = None
    if p.overdue and invoices:
        low, high = p.overdue
        due = [i for i, (_, d, _) in enumerate(invoices) if low <= (p.last_day - d).days <= high]
        first_unpaid = rng.choice(due) if due else None
    rows: list[dict[str, Any]] = []
    for i, (issued, due_on, amount) in enumerate(invoices):
        paid_on = None
        if first_unpaid is None or i < first_unpaid:
            h = p.seen(issued)
            # Struggling customers pay late more often, and later.
            if rng.random() < 0.03 + 0.5 * (1 - h) ** 2:
                delay = rng.randint(1, 10 + round(40 * (1 - h)))
            else:
                delay = -rng.randint(0, min(14, (due_on - issued).days))
            paid_on = due_on + timedelta(days=delay)
            if paid_on > p.today:
                paid_on = None  # will be paid, but not as of today
        rows.append(
            {
                "account_id": pk,
                "invoice_number": f"INV-{p.number:05d}-{issued:%Y%m}",
                "issued_on": issued,
                "due_on": due_on,
                "paid_on": paid_on,
                "amount": amount,
            }
        )
    return rows


_PRIORITIES = tuple(TicketPriority)  # low, normal, high, critical
# Hours to first response and to resolution, (low, high), by priority.
_RESPONSE_HOURS = {"low": (2, 40), "normal": (1, 20), "high": (0.5, 6), "critical": (0.1, 1.5)}
_RESOLVE_HOURS = {"low": (24, 336), "normal": (12, 168), "high": (6, 96), "critical": (2, 48)}


def _ticket_rows(p: _Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cutoff = _at(p.today, 24)  # nothing may have happened after today
    day = max(p.period_start, p.start)
    while day <= p.last_day:
        h = p.seen(day)
        if rng.random() < _TICKET_RATE[p.segment] * (0.5 + 3 * (1 - h)) / 30:
            weights = (0.1 + 0.4 * h, 0.45, 0.1 + 0.3 * (1 - h), 0.02 + 0.2 * (1 - h) ** 2)
            priority = rng.choices(_PRIORITIES, weights)[0]
            opened = _at(day, rng.uniform(7, 18))
            slow = 1 + (1 - h)  # struggling accounts also wait longer
            response = opened + timedelta(hours=rng.uniform(*_RESPONSE_HOURS[priority]) * slow)
            fixed = response + timedelta(hours=rng.uniform(*_RESOLVE_HOURS[priority]) * slow)
            # Unhappy accounts have severe tickets that stay stuck for weeks.
            stuck = (
                priority in ("high", "critical")
                and h < 0.5
                and (p.last_day - day).days <= 40
                and rng.random() < 0.5
            )
            resolved = None if stuck or fixed >= cutoff else fixed
            csat = None
            if resolved and rng.random() < 0.6:
                csat = min(5, max(1, round(1 + 4 * h + rng.gauss(0, 0.7))))
            rows.append(
                {
                    "account_id": pk,
                    "ticket_id": f"TCK-{p.number:05d}-{len(rows) + 1:03d}",
                    "subject": rng.choice(_TICKET_SUBJECTS),
                    "priority": str(priority),
                    "opened_at": opened,
                    "first_response_at": response if response < cutoff else None,
                    "resolved_at": resolved,
                    "csat": csat,
                }
            )
        day += timedelta(days=1)
    return rows


def _email_rows(p: _Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """One e-mail a week; the open rate follows health (about 60 % healthy, 15 % at risk)."""
    rows: list[dict[str, Any]] = []
    cutoff = _at(p.today, 24)
    day = max(p.period_start, p.start) + timedelta(days=p.number % 7)
    while day <= p.last_day:
        h = p.seen(day)
        sent = _at(day, rng.uniform(8, 17))
        opened = clicked = None
        if rng.random() < 0.08 + 0.62 * h:
            opened = sent + timedelta(minutes=rng.uniform(5, 36 * 60))
            if rng.random() < 0.3:
                clicked = opened + timedelta(minutes=rng.uniform(1, 30))
        rows.append(
            {
                "account_id": pk,
                "message_id": f"MSG-{p.number:05d}-{len(rows) + 1:04d}",
                "subject": rng.choice(_EMAIL_SUBJECTS),
                "sent_at": sent,
                "opened_at": opened if opened and opened < cutoff else None,
                "clicked_at": clicked if clicked and clicked < cutoff else None,
            }
        )
        day += timedelta(days=7)
    return rows


def _nps_rows(p: _Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """A survey every 90 days; about half the contacts answer, from how things are going."""
    rows: list[dict[str, Any]] = []
    first = max(p.period_start, p.start + timedelta(days=30))
    wave = p.today - timedelta(days=12 + rng.randint(-6, 6))
    while wave >= first:
        for respondent in p.contacts:
            answered = wave + timedelta(days=rng.randint(0, 5))
            if rng.random() < 0.5 and answered <= p.last_day:
                score = _nps_score(p.seen(answered), rng)
                kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                rows.append(
                    {
                        "account_id": pk,
                        "survey_type": SurveyType.NPS.value,
                        "respondent": respondent,
                        "responded_on": answered,
                        "score": score,
                        "comment": rng.choice(_NPS_COMMENTS[kind]) if rng.random() < 0.6 else "",
                    }
                )
        wave -= timedelta(days=90)
    return rows


def _nps_score(h: float, rng: random.Random) -> int:
    # (promoter, passive) shares by health; the rest are detractors.
    promoter, passive = (
        (0.75, 0.22)
        if h >= 0.75
        else (0.40, 0.45)
        if h >= 0.55
        else (0.08, 0.40)
        if h >= 0.35
        else (0.02, 0.18)
    )
    roll = rng.random()
    if roll < promoter:
        return rng.choice((9, 10))
    if roll < promoter + passive:
        return rng.choice((7, 8))
    return rng.choice((2, 3, 4, 5, 5, 6, 6, 6))


def _sentiment_rows(p: _Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """A few CSM reads per account; the worried accounts get more, and recent ones."""
    share = {Group.HEALTHY: 0.5, Group.STABLE: 0.5}.get(p.group, 0.8)
    if rng.random() >= share:
        return []
    first = max(p.period_start, p.start)
    days = {_between(rng, first, p.last_day) for _ in range(rng.randint(1, 3))}
    if p.group in (Group.DECLINING, Group.AT_RISK):
        days.add(_between(rng, max(first, p.last_day - timedelta(days=45)), p.last_day))
    rows: list[dict[str, Any]] = []
    for day in sorted(d for d in days if d):
        h = p.seen(day) + rng.gauss(0, 0.05)
        colour = "green" if h >= 0.62 else "yellow" if h >= 0.38 else "red"
        rows.append(
            {
                "account_id": pk,
                "recorded_on": day,
                "sentiment": colour,
                "note": rng.choice(_SENTIMENT_NOTES[colour]),
                "author_id": p.owner_id,
            }
        )
    return rows


# ---------------------------------------------------------------- the service


def demo_users_ensure() -> dict[str, User]:
    """Create the demo users if missing. An existing user keeps its password: someone may have
    changed it on purpose."""
    users = {}
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "role": demo.role,
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@healthscore.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[demo.username] = user
    return users


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role label, full name) of the demo users that exist, in DEMO_USERS order."""
    usernames = [d.username for d in DEMO_USERS]
    found = {u.username: u for u in User.objects.filter(username__in=usernames)}
    return [
        (u.username, u.get_role_display(), u.get_full_name())
        for u in (found.get(d.username) for d in DEMO_USERS)
        if u is not None
    ]


def demo_seed(
    *,
    seed: int = 7,
    accounts: int = 320,
    days: int = 200,
    today: date | None = None,
    out: TextIO | None = None,
) -> DemoSummary:
    """Build (or rebuild, idempotently) a demo book of `accounts` accounts with `days` days of
    history ending on `today` (default: today in the site's time zone)."""
    most = len(_NAME_FIRST) * len(_NAME_SECOND) * len(_NAME_SUFFIX)
    if not 1 <= accounts <= most:
        raise ValueError(f"accounts must be between 1 and {most} (unique company names)")
    if days < 30:
        raise ValueError("days must be at least 30: the score looks back 30 to 180 days")
    today = today or timezone.localdate()
    started = time.monotonic()

    def say(message: str) -> None:
        if out is not None:
            out.write(f"[{time.monotonic() - started:5.1f}s] {message}\n")

    rows: dict[str, int] = {}
    new_rows: dict[str, int] = {}
    updated_rows: dict[str, int] = {}

    def write(model, data: list[dict[str, Any]], *, key: list[str], update: list[str]) -> None:
        columns = list(data[0]) if data else []
        values = [tuple(row[c] for c in columns) for row in data]
        counts = bulk_upsert(model, columns, values, key=key, update=update)
        name = model.__name__
        rows[name], new_rows[name], updated_rows[name] = len(data), counts.created, counts.updated
        say(
            f"{model._meta.verbose_name_plural}: {len(data)} rows "
            f"({counts.created} new, {counts.updated} changed)"
        )

    with transaction.atomic():
        users = demo_users_ensure()
        say(f"users: {', '.join(users)}")
        csms = [users[d.username].pk for d in DEMO_USERS if d.role == Role.CSM]

        master = random.Random(seed)
        groups = _group_sizes(accounts)
        master.shuffle(groups)
        names = _company_names(master, accounts)
        plans = [
            _plan(
                n,
                group,
                name,
                domain,
                csms[(n - 1) % len(csms)],
                seed=seed,
                days=days,
                today=today,
            )
            for n, (group, (name, domain)) in enumerate(zip(groups, names, strict=True), start=1)
        ]
        write(
            Account,
            [
                {
                    "external_id": p.external_id,
                    "name": p.name,
                    "owner_id": p.owner_id,
                    "segment": str(p.segment),
                    "lifecycle_stage": str(p.lifecycle_stage()),
                    "licensed_seats": p.seats_on(p.last_day),
                    "churned_on": p.churn_on if p.churn_recorded else None,
                    "churn_reason": p.churn_reason,
                }
                for p in plans
            ],
            key=["external_id"],
            update=[
                "name",
                "owner_id",
                "segment",
                "lifecycle_stage",
                "licensed_seats",
                "churned_on",
                "churn_reason",
            ],
        )
        pks = dict(
            Account.objects.filter(external_id__in=[p.external_id for p in plans]).values_list(
                "external_id", "pk"
            )
        )

        def facts(kind: str, build: Callable[[_Plan, int, random.Random], list]) -> list:
            # One random stream per account and kind: a change to how tickets are drawn never
            # reshuffles the usage of the same seed.
            return [
                row
                for p in plans
                if p.group is not Group.NEW or kind == "usage"
                for row in build(p, pks[p.external_id], random.Random(f"{seed}:{p.number}:{kind}"))
            ]

        lines = {p.number: _subscription_rows(p, pks[p.external_id]) for p in plans}
        write(
            SubscriptionLine,
            [row for p in plans for row in lines[p.number]],
            key=["subscription_id", "start_date"],
            update=["account_id", "product", "mrr", "end_date", "is_trial"],
        )
        write(
            UsageRecord,
            facts("usage", _usage_rows),
            key=["account_id", "metric", "date"],
            update=["value"],
        )
        write(
            Invoice,
            facts("invoices", lambda p, pk, rng: _invoice_rows(p, pk, lines[p.number], rng)),
            key=["invoice_number"],
            update=["account_id", "issued_on", "due_on", "paid_on", "amount"],
        )
        write(
            Ticket,
            facts("tickets", _ticket_rows),
            key=["ticket_id"],
            update=[
                "account_id",
                "subject",
                "priority",
                "opened_at",
                "first_response_at",
                "resolved_at",
                "csat",
            ],
        )
        write(
            EmailMessage,
            facts("emails", _email_rows),
            key=["message_id"],
            update=["account_id", "subject", "sent_at", "opened_at", "clicked_at"],
        )
        write(
            SurveyResponse,
            facts("nps", _nps_rows),
            key=["account_id", "respondent", "responded_on", "survey_type"],
            update=["score", "comment"],
        )
        write(
            SentimentEntry,
            facts("sentiment", _sentiment_rows),
            key=["account_id", "recorded_on"],
            update=["sentiment", "note", "author_id"],
        )

    counts = Counter(str(p.group) for p in plans)
    say("hidden health groups: " + ", ".join(f"{g} {counts[g]}" for g in Group if counts[g]))
    return DemoSummary(
        seed=seed,
        today=today,
        days=days,
        accounts=len(plans),
        users=tuple(users),
        rows=rows,
        new_rows=new_rows,
        updated_rows=updated_rows,
        groups=dict(counts),
        group_of={p.external_id: str(p.group) for p in plans},
        seconds=round(time.monotonic() - started, 2),
    )
