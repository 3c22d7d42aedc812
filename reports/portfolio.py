"""Portfolio health: accounts and MRR per colour over the period, and the biggest movers."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from reports.loading import sampled_days
from reports.tables import COLOURS, DAILY_UP_TO_DAYS, ReportFilters
from scoring.models import HealthSnapshot
from workspace.models import ColourOverride

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


def with_overrides(snapshots: QuerySet[HealthSnapshot]) -> QuerySet[HealthSnapshot]:
    """The snapshots annotated with `shown`: the colour the book showed that day — the newest
    colour override in force on the snapshot's day (set by then, not expired, not cleared by
    then), else the score's colour. The book applies the overrides in force today the same
    way (`workspace.book.active_override`), so today's counts match it."""
    in_force = (
        ColourOverride.objects.filter(
            account=OuterRef("account_id"),
            created_on__lte=OuterRef("date"),
            expires_on__gte=OuterRef("date"),
        )
        .filter(Q(cleared_on__isnull=True) | Q(cleared_on__gt=OuterRef("date")))
        .order_by("-created_on", "-pk")
        .values("colour")[:1]
    )
    return snapshots.annotate(shown=Coalesce(Subquery(in_force), "colour"))


def portfolio_report(*, filters: ReportFilters, movers: int = 10) -> PortfolioReport:
    """Accounts and MRR per colour on each snapshot day of the period — every day up to two
    months, else one day a week; the colour as the book showed it, an override in force that
    day winning — in one grouped query after finding the latest day, and the
    accounts whose score moved most between the first and the last of those days (one more)."""
    span = (filters.last_day - filters.first_day).days
    step = 1 if span <= DAILY_UP_TO_DAYS else 7
    days = sampled_days(filters.first_day, filters.last_day, step=step)
    snapshots = HealthSnapshot.objects.filter(date__in=days)
    if filters.segment:
        snapshots = snapshots.filter(account__segment=filters.segment)
    snapshots = with_overrides(snapshots)
    grouped = (
        snapshots.order_by()
        .values("date", "shown")
        .annotate(n=Count("pk"), mrr=Sum("mrr"))
        .values_list("date", "shown", "n", "mrr")
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
            "account_id", "account__name", "account__external_id", "date", "score", "shown"
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
