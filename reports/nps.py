"""NPS: the score by month, its promoters and detractors, and the latest comments."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from reports import retention
from reports.retention import Month
from reports.tables import ReportFilters
from surveys.models import SurveyResponse, SurveyType

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


def nps_totals(*, spans: Sequence[tuple[date, date]], segment: str = "") -> list[retention.Nps]:
    """Promoters, passives and detractors of the NPS answers given in each span (first and
    last day, both included), in one query."""
    answers = SurveyResponse.objects.filter(survey_type=SurveyType.NPS)
    if segment:
        answers = answers.filter(account__segment=segment)
    counts = {}
    for i, (first, last) in enumerate(spans):
        within = Q(responded_on__gte=first, responded_on__lte=last)
        counts[f"p{i}"] = Count("pk", filter=within & Q(score__gte=9))
        counts[f"n{i}"] = Count("pk", filter=within & Q(score__gte=7, score__lte=8))
        counts[f"d{i}"] = Count("pk", filter=within & Q(score__lte=6))
    if not counts:
        return []
    found = answers.order_by().aggregate(**counts)
    return [
        retention.Nps(found[f"p{i}"], found[f"n{i}"], found[f"d{i}"]) for i in range(len(spans))
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
