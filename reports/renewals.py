"""Renewals: the pipeline of ARR coming up for renewal by health, and the renewal rate."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from reports import retention
from reports.loading import customers_load
from reports.retention import Customer, Line, Month
from reports.tables import COLOURS, HORIZONS, ReportFilters
from scoring.models import HealthSnapshot
from workspace.book import active_override

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
    booked: bool  # a paid line of the account already starts on or after the end date

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
        # Booked: the renewal line is already in billing, starting on or after this end.
        booked = any(
            other is not line and not other.is_trial and other.mrr > 0 and other.start >= line.end
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
