"""Selectors behind the manager reports, and the one write they allow (a suggested scorecard).

Every report loads what it needs for the whole book in a fixed handful of queries — never one
per account or per month — and does the arithmetic with the pure functions of `retention`,
`quality` and `suggest`. Each returns a plain result object with the numbers, its tables (the
same rows the page shows and the CSV holds) and nothing that touches the request.

Reports are book-wide: only managers and admins see them (the views check), so they read all
accounts rather than `Account.objects.visible_to(user)`.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Account, Segment
from healthscore import quality, retention, versioning
from healthscore.audit import audit_record
from healthscore.book import active_override
from healthscore.measures import USAGE_SOURCES
from healthscore.models import Direction, HealthSnapshot, Scorecard, SignalDefinition, Source
from healthscore.recompute import sources_missing
from healthscore.retention import Customer, Line, Month
from healthscore.scoring import Bands, Method, percentile_scores, threshold_score
from healthscore.suggest import (
    Feature,
    FeatureResult,
    Observation,
    Suggestion,
    suggest_weights,
)
from signals.models import SubscriptionLine, Ticket, TicketPriority, UsageRecord
from signals.revenue import churn_dates, customer_since
from surveys.models import SurveyResponse, SurveyType

COLOURS = ("red", "yellow", "green", "grey")
HORIZONS = (30, 60, 90)
DEFAULT_MONTHS = 6
MAX_MONTHS = 60
# Score quality samples one snapshot day a week (whole weeks apart over long periods, at most
# 13 days): consecutive days of one account are nearly the same observation, and the sample
# keeps a 10,000-account book to about a hundred thousand rows.
SAMPLE_STEP_DAYS = 7
MAX_OBSERVATION_DAYS = 13
# Portfolio health is drawn day by day over up to two months, one day a week beyond.
DAILY_UP_TO_DAYS = 62
NOT_RECORDED = "not recorded"

# ---------------------------------------------------------------- the period and the filters


@dataclass(frozen=True)
class ReportFilters:
    """From/to months, a segment, and (score quality) a churn horizon, read from a query string
    without ever failing: anything malformed falls back to the default."""

    first: date  # first day of the first month
    last: date  # first day of the last month
    today: date
    segment: str = ""
    horizon: int | None = None

    @classmethod
    def from_query(cls, params, *, today: date, months: int = DEFAULT_MONTHS) -> "ReportFilters":
        current = retention.month_start(today)
        first = retention.parse_month(params.get("from")) or retention.add_months(
            current, -(months - 1)
        )
        last = retention.parse_month(params.get("to")) or current
        last = min(last, current)  # nothing after today has happened yet
        first = min(first, current)
        if first > last:
            first, last = last, first
        if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            first = retention.add_months(last, -(MAX_MONTHS - 1))
        segment = params.get("segment", "")
        horizon = params.get("horizon", "")
        return cls(
            first=first,
            last=last,
            today=today,
            segment=segment if segment in Segment.values else "",
            horizon=int(horizon) if horizon in {str(h) for h in HORIZONS} else None,
        )

    @property
    def months(self) -> list[Month]:
        return retention.months(self.first, self.last, today=self.today)

    @property
    def first_day(self) -> date:
        return self.first

    @property
    def last_day(self) -> date:
        """The period's last day: the last month's end, or today in the current month."""
        return min(retention.add_months(self.last, 1) - timedelta(days=1), self.today)

    def query(self, **changes: Any) -> dict[str, str]:
        params = {
            "from": f"{self.first:%Y-%m}",
            "to": f"{self.last:%Y-%m}",
            "segment": self.segment,
            "horizon": str(self.horizon or ""),
        }
        params.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in params.items() if v}


# ---------------------------------------------------------------- tables (page and CSV)


NUMERIC_KINDS = ("int", "money", "pct", "ratio", "score", "delta", "hours")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text, int, money, pct, ratio, score, delta, hours, date, colour, account, flag
    kind: str = "text"
    on_page: bool = True  # False: in the CSV only

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str
    value: Any = None
    url: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


def _display(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "int":
        return f"{value:,}"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "pct":
        return f"{value:.1f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "score":
        return f"{value:.1f}"
    if kind == "delta":
        return f"{value:+.1f}".replace("-", "−")
    if kind == "hours":
        return f"{value:,.1f} h"
    if kind == "date":
        return f"{value:%-d %b %Y}"
    if kind == "flag":
        return "yes" if value else ""
    return str(value)


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else ""
    if isinstance(value, date):
        return value.isoformat()
    if kind == "flag":
        return "yes" if value else ""
    return value


@dataclass
class Table:
    """Rows of a report as the page shows them and the CSV holds them (the CSV gets every row
    and raw numbers; the page at most `limit` rows, formatted)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    limit: int | None = None
    note: str = ""

    @property
    def page_columns(self) -> list[Column]:
        return [c for c in self.columns if c.on_page]

    @property
    def shown(self) -> list[list[Cell]]:
        rows = self.rows if self.limit is None else self.rows[: self.limit]
        return [
            [
                Cell(
                    text=_display(row.get(c.key), c.kind),
                    kind=c.kind,
                    value=row.get(c.key),
                    url=reverse("account_detail", args=[row["account_id"]])
                    if c.kind == "account" and row.get("account_id")
                    else "",
                )
                for c in self.page_columns
            ]
            for row in rows
        ]

    @property
    def hidden_rows(self) -> int:
        return 0 if self.limit is None else max(len(self.rows) - self.limit, 0)

    def csv_rows(self) -> Iterable[list]:
        yield [c.key for c in self.columns]
        for row in self.rows:
            yield [_csv_value(row.get(c.key), c.kind) for c in self.columns]


def _pct_or_none(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# ---------------------------------------------------------------- loading the revenue book


def customers_load(segment: str = "") -> dict[int, Customer]:
    """Every account of the segment with its subscription lines, in two queries."""
    accounts = Account.objects.order_by()
    lines = SubscriptionLine.objects.order_by()
    if segment:
        accounts = accounts.filter(segment=segment)
        lines = lines.filter(account__segment=segment)
    customers = {
        pk: Customer(
            id=pk,
            churned_on=churned_on,
            segment=seg,
            churn_reason=reason,
            name=name,
            external_id=external_id,
        )
        for pk, churned_on, seg, reason, name, external_id in accounts.values_list(
            "pk", "churned_on", "segment", "churn_reason", "name", "external_id"
        )
    }
    rows = lines.values_list(
        "account_id", "product", "mrr", "start_date", "end_date", "is_trial", "subscription_id"
    )
    for account_id, product, mrr, start, end, trial, sub in rows.iterator(chunk_size=5000):
        customer = customers.get(account_id)
        if customer is not None:  # None: the account was created after the first query
            customer.lines.append(Line(product, mrr, start, end, trial, sub))
    return customers


# ---------------------------------------------------------------- portfolio health


@dataclass(frozen=True)
class Mover:
    account_id: int
    name: str
    external_id: str
    before: float
    after: float
    colour_before: str
    colour_after: str

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 1)


@dataclass
class PortfolioReport:
    filters: ReportFilters
    days: list[date]
    counts: dict[str, list[int]]
    mrr: dict[str, list[Decimal]]
    fallers: list[Mover]
    risers: list[Mover]

    @property
    def latest(self) -> dict[str, tuple[int, Decimal]] | None:
        if not self.days:
            return None
        return {c: (self.counts[c][-1], self.mrr[c][-1]) for c in COLOURS}

    def tables(self) -> list[Table]:
        daily = [
            {
                "date": day,
                **{f"{c}_accounts": self.counts[c][i] for c in COLOURS},
                **{f"{c}_mrr": self.mrr[c][i] for c in COLOURS},
                "accounts": sum(self.counts[c][i] for c in COLOURS),
                "mrr": sum((self.mrr[c][i] for c in COLOURS), Decimal(0)),
            }
            for i, day in enumerate(self.days)
        ][::-1]
        columns = [Column("date", "Day", "date")]
        columns += [Column(f"{c}_accounts", f"{c.title()} accounts", "int") for c in COLOURS]
        columns += [Column("accounts", "All accounts", "int")]
        columns += [Column(f"{c}_mrr", f"{c.title()} MRR", "money") for c in COLOURS]
        columns += [Column("mrr", "All MRR", "money")]
        mover_columns = [
            Column("account", "Account", "account"),
            Column("external_id", "External id", on_page=False),
            Column("before", "Score then", "score"),
            Column("colour_before", "Then", "colour"),
            Column("after", "Score now", "score"),
            Column("colour_after", "Now", "colour"),
            Column("delta", "Change", "delta"),
        ]

        def mover_rows(movers: list[Mover]) -> list[dict]:
            return [
                {
                    "account": m.name,
                    "account_id": m.account_id,
                    "external_id": m.external_id,
                    "before": m.before,
                    "after": m.after,
                    "colour_before": m.colour_before,
                    "colour_after": m.colour_after,
                    "delta": m.delta,
                }
                for m in movers
            ]

        return [
            Table("daily", "Accounts and MRR per colour, by day", columns, daily, limit=14),
            Table("fallers", "Biggest falls", mover_columns, mover_rows(self.fallers)),
            Table("risers", "Biggest rises", mover_columns, mover_rows(self.risers)),
        ]


def portfolio_report(*, filters: ReportFilters, movers: int = 10) -> PortfolioReport:
    """Accounts and MRR per colour on each snapshot day of the period — every day up to two
    months, else one day a week — in one grouped query after finding the latest day, and the
    accounts whose score moved most between the first and the last of those days (one more)."""
    span = (filters.last_day - filters.first_day).days
    step = 1 if span <= DAILY_UP_TO_DAYS else 7
    days = sampled_days(filters.first_day, filters.last_day, step=step)
    snapshots = HealthSnapshot.objects.filter(date__in=days)
    if filters.segment:
        snapshots = snapshots.filter(account__segment=filters.segment)
    grouped = (
        snapshots.order_by()
        .values("date", "colour")
        .annotate(n=Count("pk"), mrr=Sum("mrr"))
        .values_list("date", "colour", "n", "mrr")
    )
    per_day: dict[date, dict[str, tuple[int, Decimal]]] = defaultdict(dict)
    for day, colour, n, mrr in grouped:
        per_day[day][colour] = (n, Decimal(mrr or 0))
    days = sorted(per_day)  # the sampled days that had snapshots
    counts = {c: [per_day[d].get(c, (0, 0))[0] for d in days] for c in COLOURS}
    money = {c: [Decimal(per_day[d].get(c, (0, 0))[1]) for d in days] for c in COLOURS}

    fallers: list[Mover] = []
    risers: list[Mover] = []
    if len(days) >= 2:
        first, last = days[0], days[-1]
        scores: dict[int, dict[date, tuple]] = defaultdict(dict)
        rows = snapshots.filter(date__in=[first, last], score__isnull=False).values_list(
            "account_id", "account__name", "account__external_id", "date", "score", "colour"
        )
        for account_id, name, external_id, day, score, colour in rows.order_by():
            scores[account_id][day] = (name, external_id, score, colour)
        both = [
            Mover(pk, s[last][0], s[last][1], s[first][2], s[last][2], s[first][3], s[last][3])
            for pk, s in scores.items()
            if first in s and last in s
        ]
        both.sort(key=lambda m: (m.delta, m.name))
        fallers = [m for m in both[:movers] if m.delta < 0]
        risers = [m for m in reversed(both[-movers:]) if m.delta > 0]
    return PortfolioReport(filters, days, counts, money, fallers, risers)


# ---------------------------------------------------------------- churn and retention


@dataclass
class ChurnReport:
    filters: ReportFilters
    months: list[tuple[Month, retention.Retention]]
    period: retention.Retention | None
    by_segment: list[tuple[str, retention.Retention]]
    by_reason: list[tuple[str, int, Decimal]]
    survival: list[retention.SurvivalPoint]
    cutoff: date

    @property
    def riskiest_month(self) -> retention.SurvivalPoint | None:
        """The month of tenure with the highest share leaving, among months with 5+ at risk."""
        candidates = [p for p in self.survival if p.at_risk >= 5 and p.churned]
        return max(candidates, key=lambda p: (p.hazard or 0, -p.month), default=None)

    def tables(self) -> list[Table]:
        def retention_row(label: str, r: retention.Retention) -> dict:
            return {
                "period": label,
                "start": r.start,
                "end": r.end,
                "active": r.active,
                "churned": r.churned,
                "logo_churn": _pct_or_none(r.logo_churn),
                "mrr_start": r.mrr_start,
                "mrr_end_capped": r.mrr_end_capped,
                "mrr_end": r.mrr_end,
                "grr": _pct_or_none(r.grr),
                "nrr": _pct_or_none(r.nrr),
            }

        columns = [
            Column("period", "Month"),
            Column("start", "From", "date", on_page=False),
            Column("end", "To (exclusive)", "date", on_page=False),
            Column("active", "Active at start", "int"),
            Column("churned", "Churned", "int"),
            Column("logo_churn", "Logo churn", "pct"),
            Column("mrr_start", "MRR at start", "money"),
            Column("mrr_end_capped", "MRR at end, capped", "money"),
            Column("mrr_end", "MRR at end", "money"),
            Column("grr", "GRR", "pct"),
            Column("nrr", "NRR", "pct"),
        ]
        monthly = [retention_row(m.label, r) for m, r in self.months]
        if self.period is not None:
            monthly.append(retention_row("Whole period", self.period))
        segment_columns = [Column("segment", "Segment"), *columns[1:]]
        segments = [{**retention_row(label, r), "segment": label} for label, r in self.by_segment]
        reasons = [
            {"reason": reason, "accounts": n, "mrr_lost": mrr} for reason, n, mrr in self.by_reason
        ]
        survival = [
            {
                "month": p.month,
                "at_risk": p.at_risk,
                "churned": p.churned,
                "censored": p.censored,
                "survival": round(p.survival * 100, 2),
                "hazard": _pct_or_none(p.hazard),
            }
            for p in self.survival
        ]
        return [
            Table("monthly", "Logo churn, GRR and NRR by month", columns, monthly),
            Table("segments", "By segment, whole period", segment_columns, segments),
            Table(
                "reasons",
                "Churned accounts in the period by reason",
                [
                    Column("reason", "Reason"),
                    Column("accounts", "Accounts", "int"),
                    Column("mrr_lost", "MRR lost", "money"),
                ],
                reasons,
            ),
            Table(
                "survival",
                "Survival by months since the first subscription",
                [
                    Column("month", "Whole months as a customer", "int"),
                    Column("at_risk", "Customers that long or longer", "int"),
                    Column("churned", "Left at this tenure", "int"),
                    Column("censored", "Still customers at the cut-off", "int"),
                    Column("survival", "Survival", "pct"),
                    Column("hazard", "Share leaving", "pct"),
                ],
                survival,
                limit=60,
            ),
        ]


def churn_report(*, filters: ReportFilters) -> ChurnReport:
    """Logo churn, GRR and NRR per month and for the whole period, by segment, by reason, and
    survival by tenure — from the subscription lines, in two queries."""
    customers = list(customers_load(filters.segment).values())
    today = filters.today
    months = filters.months
    monthly = [(m, retention.retention(customers, m.start, m.end, today=today)) for m in months]
    period = None
    by_segment: list[tuple[str, retention.Retention]] = []
    by_reason: list[tuple[str, int, Decimal]] = []
    if months:
        start, end = months[0].start, months[-1].end
        period = retention.retention(customers, start, end, today=today)
        for value, label in Segment.choices:
            if filters.segment in ("", value):
                members = [c for c in customers if c.segment == value]
                by_segment.append((label, retention.retention(members, start, end, today=today)))
        reasons: dict[str, list] = {}
        for c in customers:
            if c.churned_in(start, end, today=today):
                churned = c.churn_date()
                assert churned is not None
                entry = reasons.setdefault(c.churn_reason.strip() or NOT_RECORDED, [0, Decimal(0)])
                entry[0] += 1
                entry[1] += c.mrr_on(churned - timedelta(days=1))
        by_reason = sorted(
            ((r, n, mrr) for r, (n, mrr) in reasons.items()), key=lambda t: (-t[1], t[0])
        )
    cutoff = filters.last_day
    durations = [d for c in customers if (d := retention.tenure(c, cutoff=cutoff)) is not None]
    return ChurnReport(
        filters=filters,
        months=monthly,
        period=period,
        by_segment=by_segment,
        by_reason=by_reason,
        survival=retention.kaplan_meier(durations),
        cutoff=cutoff,
    )


# ---------------------------------------------------------------- renewals


@dataclass(frozen=True)
class DueLine:
    account_id: int
    name: str
    external_id: str
    subscription_id: str
    product: str
    end: date
    days_left: int
    mrr: Decimal
    colour: str
    overridden: bool
    booked: bool  # a paid line of the account already starts on the end date or soon after

    @property
    def arr(self) -> Decimal:
        return self.mrr * 12

    @property
    def at_risk(self) -> bool:
        return self.colour != "green" and not self.booked


@dataclass(frozen=True)
class Window:
    days: int
    lines: int
    accounts: int
    arr: Decimal
    arr_at_risk: Decimal
    by_colour: dict[str, Decimal]


@dataclass
class RenewalsReport:
    filters: ReportFilters
    health_day: date | None
    upcoming: list[DueLine]
    windows: list[Window]
    history: list[tuple[Month, retention.Outcome]]
    period: retention.Outcome | None

    def tables(self) -> list[Table]:
        upcoming = [
            {
                "account": d.name,
                "account_id": d.account_id,
                "external_id": d.external_id,
                "subscription_id": d.subscription_id,
                "product": d.product,
                "end_date": d.end,
                "days_left": d.days_left,
                "colour": d.colour,
                "overridden": d.overridden,
                "mrr": d.mrr,
                "arr": d.arr,
                "arr_at_risk": d.arr if d.at_risk else Decimal(0),
                "renewal_booked": d.booked,
            }
            for d in self.upcoming
        ]
        windows = [
            {
                "window": f"Next {w.days} days",
                "lines": w.lines,
                "accounts": w.accounts,
                "arr": w.arr,
                "arr_at_risk": w.arr_at_risk,
                "share_at_risk": _pct_or_none(retention.rate(w.arr_at_risk, w.arr)),
            }
            for w in self.windows
        ]
        history = [
            {
                "period": m.label,
                "due": o.due,
                "renewed": o.followed,
                "pending": o.pending,
                "renewal_rate": _pct_or_none(o.rate),
            }
            for m, o in self.history
        ]
        if self.period is not None:
            o = self.period
            history.append(
                {
                    "period": "Whole period",
                    "due": o.due,
                    "renewed": o.followed,
                    "pending": o.pending,
                    "renewal_rate": _pct_or_none(o.rate),
                }
            )
        return [
            Table(
                "windows",
                "Renewal pipeline",
                [
                    Column("window", "Window"),
                    Column("lines", "Lines due", "int"),
                    Column("accounts", "Accounts", "int"),
                    Column("arr", "ARR due", "money"),
                    Column("arr_at_risk", "ARR at risk", "money"),
                    Column("share_at_risk", "Share at risk", "pct"),
                ],
                windows,
            ),
            Table(
                "upcoming",
                "Subscription lines ending in the next 90 days, most ARR at risk first",
                [
                    Column("account", "Account", "account"),
                    Column("external_id", "External id", on_page=False),
                    Column("subscription_id", "Subscription", on_page=False),
                    Column("product", "Product"),
                    Column("end_date", "Ends", "date"),
                    Column("days_left", "Days left", "int"),
                    Column("colour", "Health", "colour"),
                    Column("mrr", "MRR", "money"),
                    Column("arr", "ARR", "money"),
                    Column("arr_at_risk", "ARR at risk", "money"),
                    Column("renewal_booked", "Renewal booked", "flag"),
                ],
                upcoming,
                limit=100,
            ),
            Table(
                "history",
                "Renewal rate by month (lines due ÷ renewed)",
                [
                    Column("period", "Month"),
                    Column("due", "Lines due", "int"),
                    Column("renewed", "Renewed", "int"),
                    Column("pending", "Not yet (in grace)", "int"),
                    Column("renewal_rate", "Renewal rate", "pct"),
                ],
                history,
            ),
        ]


def latest_colours(account_ids: Sequence[int], *, today: date) -> tuple[date | None, dict]:
    """Each account's colour on the latest snapshot day (a colour override in force wins, as
    on the book): (that day, {account id: (colour, overridden)}), in three queries."""
    day = (
        HealthSnapshot.objects.filter(date__lte=today)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    colours: dict[int, tuple[str, bool]] = {}
    if day is not None and account_ids:
        snapshots = HealthSnapshot.objects.filter(date=day, account_id__in=list(account_ids))
        for account_id, colour in snapshots.values_list("account_id", "colour").order_by():
            colours[account_id] = (colour, False)
    overrides = (
        active_override(today)
        .filter(account_id__in=list(account_ids))
        .order_by("account_id", "created_on", "pk")
        .values_list("account_id", "colour")
    )
    for account_id, colour in overrides:  # the newest comes last and wins
        colours[account_id] = (colour, True)
    return day, colours


def renewals_report(*, filters: ReportFilters, windows: Sequence[int] = HORIZONS) -> RenewalsReport:
    """The renewal pipeline from today (paid lines ending in the next 30/60/90 days with the
    account's health and the ARR at risk) and the renewal rate of each month of the period."""
    today = filters.today
    customers = customers_load(filters.segment)
    horizon = max(windows)
    due: list[tuple[Customer, Line]] = [
        (c, line)
        for c in customers.values()
        if not c.gone_by(today)
        for line in c.lines
        if not line.is_trial
        and line.end is not None
        and today < line.end <= today + timedelta(days=horizon)
        and line.mrr > 0
    ]
    day, colours = latest_colours(sorted({c.id for c, _ in due}), today=today)
    upcoming = []
    for c, line in due:
        assert line.end is not None
        colour, overridden = colours.get(c.id, ("grey", False))
        latest = line.end + timedelta(days=retention.GRACE_DAYS)
        booked = any(
            other is not line and not other.is_trial and line.end <= other.start <= latest
            for other in c.lines
        )
        upcoming.append(
            DueLine(
                c.id,
                c.name,
                c.external_id,
                line.subscription_id,
                line.product,
                line.end,
                (line.end - today).days,
                line.mrr,
                colour,
                overridden,
                booked,
            )
        )
    upcoming.sort(key=lambda d: (-(d.arr if d.at_risk else 0), d.end, d.name))
    summary = []
    for days in windows:
        inside = [d for d in upcoming if d.days_left <= days]
        by_colour = {c: sum((d.arr for d in inside if d.colour == c), Decimal(0)) for c in COLOURS}
        summary.append(
            Window(
                days,
                len(inside),
                len({d.account_id for d in inside}),
                sum((d.arr for d in inside), Decimal(0)),
                sum((d.arr for d in inside if d.at_risk), Decimal(0)),
                by_colour,
            )
        )
    book = list(customers.values())
    months = filters.months
    history = [(m, retention.renewal_outcome(book, m.start, m.end, today=today)) for m in months]
    period = (
        retention.renewal_outcome(book, months[0].start, months[-1].end, today=today)
        if months
        else None
    )
    return RenewalsReport(filters, day, upcoming, summary, history, period)


# ---------------------------------------------------------------- NPS


@dataclass(frozen=True)
class Comment:
    account_id: int
    name: str
    responded_on: date
    score: int
    comment: str

    @property
    def category(self) -> str:
        return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"


@dataclass
class NpsReport:
    filters: ReportFilters
    months: list[tuple[Month, retention.Nps]]
    period: retention.Nps
    comments: list[Comment]

    def tables(self) -> list[Table]:
        def row(label: str, n: retention.Nps) -> dict:
            return {
                "period": label,
                "responses": n.responses,
                "promoters": n.promoters,
                "passives": n.passives,
                "detractors": n.detractors,
                "promoters_pct": _pct_or_none(retention.rate(n.promoters, n.responses)),
                "detractors_pct": _pct_or_none(retention.rate(n.detractors, n.responses)),
                "nps": _pct_or_none(n.score),
            }

        rows = [row(m.label, n) for m, n in self.months] + [row("Whole period", self.period)]
        return [
            Table(
                "monthly",
                "NPS by month",
                [
                    Column("period", "Month"),
                    Column("responses", "Answers", "int"),
                    Column("promoters", "Promoters (9–10)", "int"),
                    Column("passives", "Passives (7–8)", "int"),
                    Column("detractors", "Detractors (0–6)", "int"),
                    Column("promoters_pct", "% promoters", "pct"),
                    Column("detractors_pct", "% detractors", "pct"),
                    Column("nps", "NPS", "score"),
                ],
                rows,
            ),
            Table(
                "comments",
                "Latest comments",
                [
                    Column("responded_on", "Answered", "date"),
                    Column("account", "Account", "account"),
                    Column("score", "Score", "int"),
                    Column("category", "Category"),
                    Column("comment", "Comment"),
                ],
                [
                    {
                        "responded_on": c.responded_on,
                        "account": c.name,
                        "account_id": c.account_id,
                        "score": c.score,
                        "category": c.category,
                        "comment": c.comment,
                    }
                    for c in self.comments
                ],
            ),
        ]


def nps_report(*, filters: ReportFilters, comments: int = 25) -> NpsReport:
    """Promoters, passives and detractors per month (one grouped query) and the latest
    comments of the period (one more)."""
    answers = SurveyResponse.objects.filter(
        survey_type=SurveyType.NPS,
        responded_on__gte=filters.first_day,
        responded_on__lte=filters.last_day,
    )
    if filters.segment:
        answers = answers.filter(account__segment=filters.segment)
    grouped = (
        answers.order_by()
        .annotate(month=TruncMonth("responded_on"))
        .values("month")
        .annotate(
            promoters=Count("pk", filter=Q(score__gte=9)),
            passives=Count("pk", filter=Q(score__gte=7, score__lte=8)),
            detractors=Count("pk", filter=Q(score__lte=6)),
        )
        .values_list("month", "promoters", "passives", "detractors")
    )
    found = {}
    for month, promoters, passives, detractors in grouped:
        # SQLite hands back a datetime for a truncated date on some versions.
        key = month.date() if isinstance(month, datetime) else month
        found[key] = retention.Nps(promoters, passives, detractors)
    months = [(m, found.get(m.start, retention.Nps(0, 0, 0))) for m in filters.months]
    period = retention.Nps(
        sum(n.promoters for _, n in months),
        sum(n.passives for _, n in months),
        sum(n.detractors for _, n in months),
    )
    latest = (
        answers.exclude(comment="")
        .order_by("-responded_on", "-pk")
        .values_list("account_id", "account__name", "responded_on", "score", "comment")[:comments]
    )
    return NpsReport(filters, months, period, [Comment(*row) for row in latest])


# ---------------------------------------------------------------- support


PRIORITIES = [p.value for p in TicketPriority]


@dataclass(frozen=True)
class SupportRow:
    label: str
    priority: str
    opened: int
    response: retention.Spread
    resolution: retention.Spread
    unanswered: int
    unresolved: int


@dataclass
class SupportReport:
    filters: ReportFilters
    by_month: list[SupportRow]  # all priorities
    by_priority: list[SupportRow]  # whole period
    by_month_priority: list[tuple[Month, SupportRow]]

    def tables(self) -> list[Table]:
        def row(r: SupportRow) -> dict:
            return {
                "period": r.label,
                "priority": r.priority,
                "opened": r.opened,
                "responded": r.response.n,
                "response_median_h": r.response.median,
                "response_mean_h": r.response.mean,
                "resolved": r.resolution.n,
                "resolution_median_h": r.resolution.median,
                "resolution_mean_h": r.resolution.mean,
                "unanswered": r.unanswered,
                "unresolved": r.unresolved,
            }

        columns = [
            Column("period", "Opened in"),
            Column("priority", "Priority"),
            Column("opened", "Tickets", "int"),
            Column("response_median_h", "First response, median", "hours"),
            Column("response_mean_h", "First response, mean", "hours"),
            Column("resolution_median_h", "Resolution, median", "hours"),
            Column("resolution_mean_h", "Resolution, mean", "hours"),
            Column("unanswered", "Not answered yet", "int"),
            Column("unresolved", "Not resolved yet", "int"),
        ]
        return [
            Table("monthly", "By month, all priorities", columns, [row(r) for r in self.by_month]),
            Table(
                "priorities",
                "By priority, whole period",
                columns,
                [row(r) for r in self.by_priority],
            ),
            Table(
                "detail",
                "By month and priority",
                columns,
                [row(r) for _, r in self.by_month_priority],
            ),
        ]


def _support_row(label: str, priority: str, tickets: list[tuple]) -> SupportRow:
    response = [(r - o).total_seconds() / 3600 for o, r, _ in tickets if r is not None]
    resolution = [(s - o).total_seconds() / 3600 for o, _, s in tickets if s is not None]
    return SupportRow(
        label=label,
        priority=priority,
        opened=len(tickets),
        response=retention.spread(response),
        resolution=retention.spread(resolution),
        unanswered=sum(1 for _, r, _ in tickets if r is None),
        unresolved=sum(1 for _, _, s in tickets if s is None),
    )


def support_report(*, filters: ReportFilters) -> SupportReport:
    """Hours to first response and to resolution of the tickets opened in each month, by
    priority: median and mean, in one query (medians need the values, not a SQL average)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(filters.first_day, time.min, tzinfo=zone)
    end = datetime.combine(filters.last_day + timedelta(days=1), time.min, tzinfo=zone)
    tickets = Ticket.objects.filter(opened_at__gte=start, opened_at__lt=end)
    if filters.segment:
        tickets = tickets.filter(account__segment=filters.segment)
    grouped: dict[tuple[date, str], list[tuple]] = defaultdict(list)
    rows = tickets.order_by().values_list(
        "opened_at", "first_response_at", "resolved_at", "priority"
    )
    for opened, responded, resolved, priority in rows.iterator(chunk_size=5000):
        month = timezone.localtime(opened, zone).date().replace(day=1)
        grouped[(month, priority)].append((opened, responded, resolved))
    months = filters.months
    by_month = [
        _support_row(m.label, "all", [t for p in PRIORITIES for t in grouped.get((m.start, p), [])])
        for m in months
    ]
    by_priority = [
        _support_row("Whole period", p, [t for m in months for t in grouped.get((m.start, p), [])])
        for p in PRIORITIES
    ]
    detail = [
        (m, _support_row(m.label, p, grouped.get((m.start, p), [])))
        for m in months
        for p in PRIORITIES
    ]
    return SupportReport(filters, by_month, by_priority, detail)


# ---------------------------------------------------------------- CS ROI


@dataclass
class RoiReport:
    filters: ReportFilters
    months: list[tuple[Month, retention.Movements]]
    trials: list[tuple[Month, retention.Outcome]]

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            kind: sum((getattr(mv, kind) for _, mv in self.months), Decimal(0))
            for kind in retention.KINDS
        }

    def tables(self) -> list[Table]:
        movements = [
            {
                "period": m.label,
                "mrr_start": mv.mrr_start,
                "new": mv.new,
                "upsell": mv.upsell,
                "cross_sell": mv.cross_sell,
                "downsell": mv.downsell,
                "churned": mv.churned,
                "net": mv.mrr_end - mv.mrr_start,
                "mrr_end": mv.mrr_end,
                "arr_end": mv.arr_end,
                "accounts_new": mv.counts["new"],
                "accounts_upsell": mv.counts["upsell"],
                "accounts_cross_sell": mv.counts["cross_sell"],
                "accounts_downsell": mv.counts["downsell"],
                "accounts_churned": mv.counts["churned"],
            }
            for m, mv in self.months
        ]
        if self.months:
            totals = self.totals
            movements.append(
                {
                    "period": "Whole period",
                    "mrr_start": self.months[0][1].mrr_start,
                    **totals,
                    "net": self.months[-1][1].mrr_end - self.months[0][1].mrr_start,
                    "mrr_end": self.months[-1][1].mrr_end,
                    "arr_end": self.months[-1][1].arr_end,
                    **{
                        f"accounts_{k}": sum(mv.counts[k] for _, mv in self.months)
                        for k in retention.KINDS
                    },
                }
            )
        trials = [
            {
                "period": m.label,
                "trials_ended": o.due,
                "converted": o.followed,
                "pending": o.pending,
                "conversion": _pct_or_none(o.rate),
            }
            for m, o in self.trials
        ]
        return [
            Table(
                "movements",
                "MRR movements by month",
                [
                    Column("period", "Month"),
                    Column("mrr_start", "MRR at start", "money"),
                    Column("new", "New", "money"),
                    Column("upsell", "Upsell", "money"),
                    Column("cross_sell", "Cross-sell", "money"),
                    Column("downsell", "Downsell", "money"),
                    Column("churned", "Churned", "money"),
                    Column("net", "Net change", "money"),
                    Column("mrr_end", "MRR at end", "money"),
                    Column("arr_end", "ARR at end", "money"),
                    Column("accounts_upsell", "Upsold accounts", "int"),
                    Column("accounts_cross_sell", "Cross-sold accounts", "int"),
                ],
                movements,
            ),
            Table(
                "trials",
                "Trial-to-paid conversion by month the trial ended",
                [
                    Column("period", "Month"),
                    Column("trials_ended", "Trials ended", "int"),
                    Column("converted", "Converted", "int"),
                    Column("pending", "Not yet (in grace)", "int"),
                    Column("conversion", "Conversion", "pct"),
                ],
                trials,
            ),
        ]


def roi_report(*, filters: ReportFilters) -> RoiReport:
    """New, upsell, cross-sell, downsell and churned MRR per month, MRR and ARR, and trial
    conversion — from the subscription lines, in two queries."""
    customers = list(customers_load(filters.segment).values())
    today = filters.today
    months = filters.months
    return RoiReport(
        filters,
        [(m, retention.movements(customers, m.start, m.end)) for m in months],
        [(m, retention.trial_outcome(customers, m.start, m.end, today=today)) for m in months],
    )


# ---------------------------------------------------------------- score quality


class Snapshot(NamedTuple):
    account_id: int
    day: date
    score: float | None
    colour: str
    components: dict[str, float | None]
    critical: bool = False  # red because a critical signal was red, whatever the score
    scorecard_id: int | None = None


def sampled_days(first: date, last: date, *, step: int) -> list[date]:
    """Days from `first` to `last`, one every `step` days counting back from the latest day in
    that range with a snapshot (one indexed query). The nightly job scores every day, so the
    days found back from it carry snapshots; a day without any simply adds nothing."""
    snapshots = HealthSnapshot.objects.filter(date__gte=first, date__lte=last)
    latest = snapshots.order_by("-date").values_list("date", flat=True).first()
    if latest is None:
        return []
    count = (latest - first).days // step + 1
    return [latest - timedelta(days=step * k) for k in range(count)][::-1]


def observation_days(filters: ReportFilters) -> list[date]:
    """Snapshot days of the period old enough for the shortest horizon to have passed: one a
    week counting back from the latest, or one every two, three… weeks over a long period, so
    that there are at most MAX_OBSERVATION_DAYS."""
    last = min(filters.last_day, filters.today - timedelta(days=min(HORIZONS)))
    weeks = max(1, math.ceil(((last - filters.first_day).days + 1) / (7 * MAX_OBSERVATION_DAYS)))
    return sampled_days(filters.first_day, last, step=SAMPLE_STEP_DAYS * weeks)


def _component_slots() -> int:
    """How many components a stored snapshot may hold: the largest scorecard, with room for
    signals removed since older snapshots were made."""
    counts = (
        SignalDefinition.objects.order_by()
        .values("scorecard")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    return max(counts, default=0) + 5


def snapshots_load(days: Sequence[date], *, segment: str = "") -> list[Snapshot]:
    """The snapshots of `days` with each component's score, in two queries. The scores are
    pulled out of the JSON in the database, so no snapshot's whole explanation is loaded."""
    if not days:
        return []
    slots = _component_slots()
    rows = HealthSnapshot.objects.filter(date__in=list(days)).order_by()
    if segment:
        rows = rows.filter(account__segment=segment)
    extract = {}
    for i in range(slots):
        extract[f"k{i}"] = KT(f"components__{i}__key")
        extract[f"s{i}"] = KT(f"components__{i}__score")
    result = []
    values = rows.annotate(**extract).values_list(
        "account_id", "date", "score", "colour", "critical_override", "scorecard_id", *extract
    )
    for row in values.iterator(chunk_size=5000):
        components: dict[str, float | None] = {}
        for key, score in zip(row[6::2], row[7::2], strict=True):
            if key is None:
                break
            # A JSON null comes back as None (PostgreSQL) or the text "null" (SQLite).
            components[key] = None if score is None or score == "null" else float(score)
        result.append(Snapshot(row[0], row[1], row[2], row[3], components, bool(row[4]), row[5]))
    return result


Outcomes = dict[int, list[tuple[Snapshot, bool]]]


def outcomes(
    snapshots: Iterable[Snapshot],
    churned_on: dict[int, date],
    *,
    horizons: Sequence[int] = HORIZONS,
    today: date,
) -> Outcomes:
    """For each horizon, (snapshot, churned within `horizon` days after its day) of the
    snapshots whose whole horizon has passed by today — a later day's "not churned" is not
    known yet."""
    result: Outcomes = {h: [] for h in horizons}
    last_day = {h: today - timedelta(days=h) for h in horizons}
    for s in snapshots:
        churned = churned_on.get(s.account_id)
        if churned is not None and churned <= s.day:
            continue  # already gone (a churn recorded by hand after the snapshot was made)
        after = (churned - s.day).days if churned is not None else None
        for h in horizons:
            if s.day <= last_day[h]:
                result[h].append((s, after is not None and after <= h))
    return result


def churn_dates_known(today: date) -> dict[int, date]:
    """Churn dates on or before today (billing may know of a contract ending next month)."""
    return {pk: day for pk, day in churn_dates().items() if day <= today}


@dataclass(frozen=True)
class HorizonAuc:
    horizon: int
    days: int
    n: int
    churned: int
    auc: float | None


@dataclass(frozen=True)
class SignalAuc:
    key: str
    label: str
    weight: float | None
    n: int
    coverage: float
    auc: float | None


@dataclass
class QualityReport:
    filters: ReportFilters
    horizon: int
    days: list[date]
    aucs: list[HorizonAuc]
    colours: list[quality.Band]
    lift: float | None
    calibration: list[quality.Bin]
    signals: list[SignalAuc]
    n: int
    churned: int
    missing_sources: list[str] = field(default_factory=list)
    bands: "BandPreview | None" = None

    @property
    def auc(self) -> float | None:
        return next((a.auc for a in self.aucs if a.horizon == self.horizon), None)

    def tables(self) -> list[Table]:
        return [
            Table(
                "auc",
                "ROC AUC of the score against churn in the following days",
                [
                    Column("horizon", "Churn within (days)", "int"),
                    Column("days", "Snapshot days", "int"),
                    Column("n", "Scored snapshots", "int"),
                    Column("churned", "Churned", "int"),
                    Column("auc", "ROC AUC", "ratio"),
                ],
                [vars(a) for a in self.aucs],
            ),
            Table(
                "colours",
                f"Churn within {self.horizon} days by colour",
                [
                    Column("colour", "Colour", "colour"),
                    Column("n", "Snapshots", "int"),
                    Column("share", "Share of snapshots", "pct"),
                    Column("churned", "Churned", "int"),
                    Column("churn_rate", "Churn rate", "pct"),
                ],
                _colour_rows(self.colours),
            ),
            Table(
                "calibration",
                f"Churn within {self.horizon} days by score decile",
                [
                    Column("band", "Score"),
                    Column("n", "Snapshots", "int"),
                    Column("mean_score", "Mean score", "score"),
                    Column("churned", "Churned", "int"),
                    Column("churn_rate", "Churn rate", "pct"),
                ],
                [
                    {
                        "band": b.name,
                        "n": b.n,
                        "mean_score": b.mean_score,
                        "churned": b.churned,
                        "churn_rate": b.rate,
                    }
                    for b in self.calibration
                ],
            ),
            Table(
                "signals",
                f"Each signal's own AUC (churn within {self.horizon} days)",
                [
                    Column("label", "Signal"),
                    Column("key", "Key"),
                    Column("weight", "Weight now", "score"),
                    Column("n", "Snapshots with data", "int"),
                    Column("coverage", "Coverage", "pct"),
                    Column("auc", "ROC AUC", "ratio"),
                ],
                [{**vars(s), "coverage": round(s.coverage * 100, 2)} for s in self.signals],
            ),
            *([self.bands.table()] if self.bands else []),
        ]


def _colour_rows(bands: Sequence[quality.Band]) -> list[dict]:
    total = sum(b.n for b in bands)
    return [
        {
            "colour": b.name,
            "n": b.n,
            "share": round(b.n / total * 100, 2) if total else None,
            "churned": b.churned,
            "churn_rate": b.rate,
        }
        for b in bands
    ]


DEFAULT_RED_SHARE, DEFAULT_GREEN_SHARE = 15, 50  # % of scored snapshots


@dataclass
class BandPreview:
    """Colour bands set from the period's score distribution, and what they would do: each
    colour's share and churn under the bands now and under the proposed ones."""

    red_share: int  # %
    green_share: int  # %
    yellow_min: float
    green_min: float
    now: tuple[float, float]  # (yellow_min, green_min) of the default scorecard
    current: list[quality.Band]
    proposed: list[quality.Band]

    def table(self) -> Table:
        now, new = _colour_rows(self.current), _colour_rows(self.proposed)
        return Table(
            "bands",
            f"Bands from the score distribution: red below {self.yellow_min:g}, "
            f"green from {self.green_min:g}",
            [
                Column("colour", "Colour", "colour"),
                Column("share_now", "Share now", "pct"),
                Column("churn_now", "Churn now", "pct"),
                Column("share_proposed", "Share, proposed bands", "pct"),
                Column("churn_proposed", "Churn, proposed bands", "pct"),
            ],
            [
                {
                    "colour": a["colour"],
                    "share_now": a["share"],
                    "churn_now": a["churn_rate"],
                    "share_proposed": b["share"],
                    "churn_proposed": b["churn_rate"],
                }
                for a, b in zip(now, new, strict=True)
            ],
        )


def band_shares(params) -> tuple[int, int]:
    """The red and green shares (whole %) asked for in a query, else the defaults; anything
    out of range or not a number falls back to the default rather than failing."""

    def share(name: str, default: int) -> int:
        try:
            value = int(params.get(name, default))
        except (TypeError, ValueError):
            return default
        return value if 1 <= value <= 90 else default

    red, green = share("red_share", DEFAULT_RED_SHARE), share("green_share", DEFAULT_GREEN_SHARE)
    return (red, green) if red + green <= 100 else (DEFAULT_RED_SHARE, DEFAULT_GREEN_SHARE)


def _recoloured(observations, bands: Bands) -> list[quality.Band]:
    """Churn by colour had the bands been `bands`: grey stays grey, a critical red stays red."""
    return quality.churn_by_colour(
        (s.colour if s.score is None or s.critical else bands.colour(s.score).value, y)
        for s, y in observations
    )


def band_preview(observations, *, card: Scorecard | None, red_share: int, green_share: int):
    """Bands for the default scorecard from the scores it gave (snapshots of other scorecards
    are theirs to judge); None without any."""
    if card is None:
        return None
    observations = [(s, y) for s, y in observations if s.scorecard_id == card.pk]
    cuts = quality.bands_from_shares(
        [s.score for s, _ in observations if s.score is not None],
        red_share=red_share / 100,
        green_share=green_share / 100,
    )
    if cuts is None:
        return None
    yellow_min, green_min = cuts
    return BandPreview(
        red_share=red_share,
        green_share=green_share,
        yellow_min=yellow_min,
        green_min=green_min,
        now=(card.yellow_min, card.green_min),
        current=_recoloured(observations, card.bands),
        proposed=_recoloured(observations, Bands(green_min=green_min, yellow_min=yellow_min)),
    )


@transaction.atomic
def bands_apply(*, preview: BandPreview, actor) -> Scorecard:
    """Write the proposed bands into a draft of the default scorecard (a new one, or the one
    in progress), audited; live colours change only when the draft is published."""
    card = Scorecard.objects.get(is_default=True)
    draft = versioning.draft_create(scorecard=card, actor=actor)
    before = (draft.yellow_min, draft.green_min)
    draft.yellow_min, draft.green_min = preview.yellow_min, preview.green_min
    draft.save(update_fields=["yellow_min", "green_min", "updated_at"])
    audit_record(
        actor=actor,
        action="bands from distribution",
        obj=card,
        changes={
            "yellow_min": [before[0], preview.yellow_min],
            "green_min": [before[1], preview.green_min],
        },
    )
    return draft


def _default_signals() -> list[SignalDefinition]:
    """The default scorecard's enabled signals, with the scorecard, in one query."""
    return list(
        SignalDefinition.objects.filter(scorecard__is_default=True, enabled=True).select_related(
            "scorecard"
        )
    )


def _pick_horizon(filters: ReportFilters, observed: Outcomes) -> int:
    """The chosen horizon, else the longest for which both churn and no churn were seen."""
    if filters.horizon:
        return filters.horizon
    for horizon in sorted(observed, reverse=True):
        churned = sum(y for _, y in observed[horizon])
        if 0 < churned < len(observed[horizon]):
            return horizon
    return HORIZONS[0]


def quality_report(
    *,
    filters: ReportFilters,
    red_share: int = DEFAULT_RED_SHARE,
    green_share: int = DEFAULT_GREEN_SHARE,
) -> QualityReport:
    """How well the stored scores of the period predicted churn: AUC at 30/60/90 days, churn
    by colour, the red band's lift, calibration, each signal's own AUC, the sources the book
    lacks, and bands set from the score distribution."""
    today = filters.today
    snapshots = snapshots_load(observation_days(filters), segment=filters.segment)
    observed = outcomes(snapshots, churn_dates_known(today), today=today)
    horizon = _pick_horizon(filters, observed)
    aucs = []
    for h, pairs in observed.items():
        scored = [(s.score, y) for s, y in pairs if s.score is not None]
        aucs.append(
            HorizonAuc(
                horizon=h,
                days=len({s.day for s, _ in pairs}),
                n=len(scored),
                churned=sum(y for _, y in scored),
                auc=quality.score_auc([s for s, _ in scored], [y for _, y in scored]),
            )
        )
    chosen = observed[horizon]
    scored = [(s.score, y) for s, y in chosen if s.score is not None]
    colours = quality.churn_by_colour((s.colour, y) for s, y in chosen)
    default_signals = _default_signals()
    labels = {s.key: (s.label, s.weight) for s in default_signals}
    # One pass gathers each component's (score, churned) pairs, the default's signals first.
    by_key: dict[str, tuple[list[float], list[bool]]] = {k: ([], []) for k in labels}
    for s, y in chosen:
        for key, score in s.components.items():
            if score is not None:
                values, churned = by_key.setdefault(key, ([], []))
                values.append(score)
                churned.append(y)
    signals = [
        SignalAuc(
            key=key,
            label=labels.get(key, (key, None))[0],
            weight=labels.get(key, (key, None))[1],
            n=len(values),
            coverage=len(values) / len(chosen) if chosen else 0.0,
            auc=quality.score_auc(values, churned),
        )
        for key, (values, churned) in by_key.items()
    ]
    return QualityReport(
        filters=filters,
        horizon=horizon,
        days=sorted({s.day for s, _ in chosen}),
        aucs=aucs,
        colours=colours,
        lift=quality.lift(colours, "red"),
        calibration=quality.calibration([s for s, _ in scored], [y for _, y in scored]),
        signals=signals,
        n=len(chosen),
        churned=sum(y for _, y in chosen),
        missing_sources=sources_missing(default_signals, min(filters.last_day, today)),
        # Bands are the whole book's: a segment's own distribution would set them for everyone.
        bands=None
        if filters.segment
        else band_preview(
            chosen,
            card=default_signals[0].scorecard if default_signals else None,
            red_share=red_share,
            green_share=green_share,
        ),
    )


# ---------------------------------------------------------------- suggested weights


CANDIDATE_WINDOW_DAYS = 30
AGE_KEY = "account-age"
AGE_GOOD_DAYS = 180  # as the default scorecard's account age


def candidate_key(metric: str) -> str:
    return ("usage-" + slugify(metric))[:50]


def _percentiles_by_day(
    values: dict[date, dict[int, float]], scored_on: dict[date, list[int]], *, default: float = 0.0
) -> dict[tuple[int, date], float]:
    scores: dict[tuple[int, date], float] = {}
    for day, accounts in scored_on.items():
        ranked = percentile_scores({a: values.get(day, {}).get(a, default) for a in accounts})
        for account_id, score in ranked.items():
            scores[(account_id, day)] = round(score, 1)
    return scores


def _usage_candidates(
    snapshots: Sequence[Snapshot], used: set[str], *, segment: str
) -> tuple[dict[str, dict[tuple[int, date], float]], dict[tuple[int, date], float]]:
    """Percentile (among the accounts scored that day) of each unused usage metric's volume over
    the 30 days to each snapshot day, and the naive baseline — the percentile of the total of
    every metric over the same 30 days. One query: a conditional sum per day, grouped by
    account and metric."""
    days = sorted({s.day for s in snapshots})
    if not days:
        return {}, {}
    window = timedelta(days=CANDIDATE_WINDOW_DAYS - 1)
    usage = UsageRecord.objects.filter(date__gte=days[0] - window, date__lte=days[-1]).order_by()
    if segment:
        usage = usage.filter(account__segment=segment)
    sums = {
        f"d{i}": Sum("value", filter=Q(date__gte=day - window, date__lte=day), default=0.0)
        for i, day in enumerate(days)
    }
    volume: dict[str, dict[date, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    totals: dict[date, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    rows = (
        usage.values("account_id", "metric")
        .annotate(**sums)
        .values_list("account_id", "metric", *sums)
    )
    for account_id, metric, *by_day in rows.iterator(chunk_size=5000):
        for day, total in zip(days, by_day, strict=True):
            totals[day][account_id] += float(total or 0.0)
            if metric not in used:
                volume[metric][day][account_id] = float(total or 0.0)
    scored_on: dict[date, list[int]] = defaultdict(list)
    for s in snapshots:
        scored_on[s.day].append(s.account_id)
    candidates = {
        metric: _percentiles_by_day(by_day, scored_on) for metric, by_day in volume.items()
    }
    return candidates, _percentiles_by_day(totals, scored_on)


def _age_candidate(snapshots: Sequence[Snapshot]) -> dict[tuple[int, date], float]:
    """Account age scored as the default scorecard does (0 on the first day, 100 from 180 days
    on), for a scorecard without an account-age signal. One query per snapshot day: an
    account that left and came back is young again from its return."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for s in snapshots:
        by_day[s.day].append(s.account_id)
    scores = {}
    for day, accounts in by_day.items():
        since = customer_since(day)
        for account_id in accounts:
            if account_id in since:
                age = (day - since[account_id]).days
                scores[(account_id, day)] = round(
                    threshold_score(age, poor=0, good=AGE_GOOD_DAYS), 1
                )
    return scores


def _feature_kind(result: FeatureResult) -> str:
    if not result.feature.candidate:
        return "signal"
    noun = "new usage signal" if result.feature.metric else "new signal"
    return f"{noun}, more is worse" if result.lower_is_better else noun


@dataclass
class WeightsReport:
    filters: ReportFilters
    suggestion: Suggestion
    scorecard: Scorecard | None
    candidates: list[str] = field(default_factory=list)
    draft: Scorecard | None = None  # the default scorecard's unpublished draft, if any

    def tables(self) -> list[Table]:
        s = self.suggestion
        rows = [
            {
                "label": r.feature.label,
                "key": r.feature.key,
                "kind": _feature_kind(r),
                "current_weight": r.feature.current_weight,
                "suggested_weight": r.suggested_weight,
                "coefficient": r.coefficient,
                "coverage": round(r.coverage * 100, 2),
                "auc": r.auc,
            }
            for r in s.features
        ]
        return [
            Table(
                "weights",
                "Current and suggested weights",
                [
                    Column("label", "Signal"),
                    Column("kind", "Kind"),
                    Column("current_weight", "Weight now", "score"),
                    Column("suggested_weight", "Suggested", "score"),
                    Column("coefficient", "Coefficient", "ratio"),
                    Column("coverage", "Held-out coverage", "pct"),
                    Column("auc", "Own held-out AUC", "ratio"),
                ],
                rows,
            )
        ]


def weights_suggestion(*, filters: ReportFilters) -> WeightsReport:
    """Fit suggested weights for the default scorecard on the period's snapshots (adding, as
    candidate signals, the usage metrics no signal of it measures by name) and judge them on
    its later days."""
    today = filters.today
    card = Scorecard.objects.filter(is_default=True).first()
    signals = _default_signals() if card else []
    snapshots = snapshots_load(observation_days(filters), segment=filters.segment)
    by_horizon = outcomes(snapshots, churn_dates_known(today), today=today)
    horizon = _pick_horizon(filters, by_horizon)
    observed = by_horizon[horizon]
    used = {
        s.metric or ("active_users" if s.source == Source.LICENCE_UTILISATION else "")
        for s in signals
        if s.source in USAGE_SOURCES
    }
    observed_snapshots = [s for s, _ in observed]
    candidates, baseline = _usage_candidates(observed_snapshots, used, segment=filters.segment)
    features = [Feature(s.key, s.label, s.weight) for s in signals]
    taken = {s.key for s in signals}
    keys = {}
    for metric in sorted(candidates):
        key = candidate_key(metric)
        if key in taken:
            continue
        taken.add(key)
        keys[metric] = key
        features.append(Feature(key, f"Usage: {metric}", 0.0, candidate=True, metric=metric))
    if not any(s.source == Source.ACCOUNT_AGE for s in signals) and AGE_KEY not in taken:
        keys[""] = AGE_KEY
        candidates[""] = _age_candidate(observed_snapshots)
        features.append(Feature(AGE_KEY, "Account age", 0.0, candidate=True))
    signal_keys = [f.key for f in features if not f.candidate]
    observations = [
        Observation(
            day=s.day,
            account_id=s.account_id,
            components={
                **{k: s.components.get(k) for k in signal_keys},
                **{
                    key: candidates[metric].get((s.account_id, s.day))
                    for metric, key in keys.items()
                },
            },
            churned=y,
            baseline=baseline.get((s.account_id, s.day), 0.0) if baseline else None,
        )
        for s, y in observed
    ]
    suggestion = suggest_weights(observations, features, horizon=horizon)
    if not signals:
        suggestion.problem = "There is no default scorecard to suggest weights for."
    draft = Scorecard.objects.filter(draft_of=card).first() if card else None
    return WeightsReport(filters, suggestion, card, sorted(m for m in keys if m), draft)


class DraftExists(Exception):
    """The default scorecard already has a draft: a suggestion never overwrites unpublished
    edits."""

    def __init__(self, draft: Scorecard):
        super().__init__(f"{draft.name} exists already: publish or discard it first.")
        self.draft = draft


def _candidate_signal(draft: Scorecard, result: FeatureResult) -> SignalDefinition:
    """The signal a candidate becomes: a usage volume on its metric, ranked among the book in
    the direction the fit found, or account age."""
    feature = result.feature
    common = {"scorecard": draft, "key": feature.key, "weight": result.suggested_weight}
    if feature.key == AGE_KEY and not feature.metric:
        lower = result.lower_is_better
        return SignalDefinition(
            **common,
            label=feature.label,
            source=Source.ACCOUNT_AGE,
            method=Method.THRESHOLD,
            direction=Direction.LOWER_BETTER if lower else Direction.HIGHER_BETTER,
            poor=AGE_GOOD_DAYS if lower else 0,
            good=0 if lower else AGE_GOOD_DAYS,
            window_days=1,
            unit="days",
        )
    return SignalDefinition(
        **common,
        label=f"{feature.label} (more is worse)" if result.lower_is_better else feature.label,
        source=Source.USAGE_VOLUME,
        metric=feature.metric,
        method=Method.PERCENTILE,
        direction=Direction.LOWER_BETTER if result.lower_is_better else Direction.HIGHER_BETTER,
        window_days=CANDIDATE_WINDOW_DAYS,
        unit="a day",
    )


@transaction.atomic
def suggestion_apply(*, report: WeightsReport, actor) -> Scorecard:
    """Write the suggested weights into a new draft of the default scorecard — with the
    candidate usage signals that earned weight added — and record it in the audit trail. Live
    scores are unchanged until an admin previews and publishes the draft."""
    suggestion, card = report.suggestion, report.scorecard
    if card is None or not suggestion.ok:
        raise ValueError(suggestion.problem or "There is no default scorecard.")
    existing = Scorecard.objects.filter(draft_of=card).first()
    if existing is not None:
        raise DraftExists(existing)
    draft = versioning.draft_create(scorecard=card, actor=actor)
    weights = suggestion.weights
    signals = list(draft.signals.all())
    for signal in signals:
        if signal.key in weights:
            signal.weight = weights[signal.key]
    SignalDefinition.objects.bulk_update(signals, ["weight"])
    SignalDefinition.objects.bulk_create(
        _candidate_signal(draft, r)
        for r in suggestion.features
        if r.feature.candidate and r.suggested_weight > 0
    )
    audit_record(
        actor=actor,
        action="suggested weights applied",
        obj=card,
        changes=versioning.config_diff(
            versioning.scorecard_config(card), versioning.scorecard_config(draft)
        ),
    )
    return draft
