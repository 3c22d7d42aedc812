"""Churn and retention: logo churn, GRR and NRR by month, by segment and by reason, and
survival by months since the first subscription."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from accounts.models import Segment
from reports import retention
from reports.loading import customers_load
from reports.retention import Month
from reports.tables import NOT_RECORDED, ReportFilters

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
                by_segment.append(
                    (str(label), retention.retention(members, start, end, today=today))
                )
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
