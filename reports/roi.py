"""CS ROI: MRR movements (new, expansion, cross-sell, contraction, churn), MRR and ARR,
and trial-to-paid conversion."""

from dataclasses import dataclass
from decimal import Decimal

from reports import retention
from reports.loading import customers_load
from reports.retention import Month
from reports.tables import ReportFilters

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
