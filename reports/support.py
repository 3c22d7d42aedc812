"""Support: time to first response and to resolution, by priority and by month."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from reports import retention
from reports.retention import Month
from reports.tables import PRIORITY_NAMES, ReportFilters, duration_text
from signals.models import Ticket, TicketPriority

# ---------------------------------------------------------------- support


PRIORITIES = [p.value for p in TicketPriority]


@dataclass(frozen=True)
class SupportRow:
    label: Any  # the period: a Month, or the whole period (reports.tables.Labelled)
    priority: str
    opened: int
    response: retention.Spread
    resolution: retention.Spread
    unanswered: int
    unresolved: int

    @property
    def priority_label(self) -> str:
        return str(PRIORITY_NAMES.get(self.priority, self.priority))

    @property
    def response_text(self) -> str:
        """The median first response as the page shows it ("5.5 h", "2.1 d")."""
        return duration_text(self.response.median)


@dataclass
class SupportReport:
    filters: ReportFilters
    by_month: list[SupportRow]  # all priorities
    by_priority: list[SupportRow]  # whole period
    by_month_priority: list[tuple[Month, SupportRow]]


def _support_row(label, priority: str, tickets: list[tuple]) -> SupportRow:
    """`label`: the row's period, a Month or the whole period (reports.tables.Labelled)."""
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


def response_spreads(
    *, spans: Sequence[tuple[date, date]], segment: str = ""
) -> list[retention.Spread]:
    """Hours to first response of the tickets opened in each span (first and last day, both
    included; every priority), in one query."""
    if not spans:
        return []
    zone = timezone.get_current_timezone()
    start = datetime.combine(min(a for a, _ in spans), time.min, tzinfo=zone)
    end = datetime.combine(max(b for _, b in spans) + timedelta(days=1), time.min, tzinfo=zone)
    tickets = Ticket.objects.filter(
        opened_at__gte=start, opened_at__lt=end, first_response_at__isnull=False
    )
    if segment:
        tickets = tickets.filter(account__segment=segment)
    hours: list[list[float]] = [[] for _ in spans]
    rows = tickets.order_by().values_list("opened_at", "first_response_at")
    for opened, responded in rows.iterator(chunk_size=5000):
        day = timezone.localtime(opened, zone).date()
        for i, (first, last) in enumerate(spans):
            if first <= day <= last:
                hours[i].append((responded - opened).total_seconds() / 3600)
    return [retention.spread(h) for h in hours]


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
        _support_row(m, "all", [t for p in PRIORITIES for t in grouped.get((m.start, p), [])])
        for m in months
    ]
    by_priority = [
        _support_row(filters.whole, p, [t for m in months for t in grouped.get((m.start, p), [])])
        for p in PRIORITIES
    ]
    detail = [
        (m, _support_row(m, p, grouped.get((m.start, p), []))) for m in months for p in PRIORITIES
    ]
    return SupportReport(filters, by_month, by_priority, detail)
