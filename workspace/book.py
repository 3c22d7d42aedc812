"""Reads shared by the book page, its CSV download and the account page.

The book is one annotated queryset of the accounts a user may see, active today, with the
latest snapshot's figures, the trend against 7 and 30 days earlier, any colour override in
force, the renewal date and the open tasks — so a page costs the same few queries whatever
its size.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Account, Segment
from scoring.models import HealthSnapshot
from signals.models import SubscriptionLine
from workspace.models import ColourOverride, Task, TaskStatus

COLOURS = ("red", "yellow", "green", "grey")

# Columns a user may sort by: URL name -> ORDER BY expression (nulls sort last).
SORTS = {
    "name": "name",
    "score": "score",
    "colour": "colour_rank",
    "trend7": "trend7",
    "trend30": "trend30",
    "coverage": "coverage",
    "mrr": "mrr",
    "renewal": "renewal_on",
    "owner": "owner__username",
    "tasks": "open_tasks",
}


def latest_snapshot_day(today: date) -> date | None:
    return (
        HealthSnapshot.objects.filter(date__lte=today)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )


def active_override(today: date) -> QuerySet[ColourOverride]:
    return ColourOverride.objects.filter(
        cleared_on__isnull=True, created_on__lte=today, expires_on__gte=today
    )


def book_queryset(user, *, today: date, day: date | None) -> QuerySet[Account]:
    """Visible accounts active today, annotated with their health on `day` (the latest
    snapshot day)."""
    override = active_override(today).filter(account=OuterRef("pk")).order_by("-created_on", "-pk")
    renewal = (
        SubscriptionLine.objects.filter(
            account=OuterRef("pk"), start_date__lte=today, end_date__gt=today
        )
        .order_by("end_date")
        .values("end_date")[:1]
    )
    open_tasks = (
        Task.objects.filter(account=OuterRef("pk"))
        .exclude(status=TaskStatus.DONE)
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    week, month = (day - timedelta(days=7), day - timedelta(days=30)) if day else (None, None)
    return (
        Account.objects.visible_to(user)
        .active_on(today)
        .select_related("owner")
        # One join per snapshot day (unique per account and day, so rows never multiply):
        # cheaper than a subquery per figure on a book of thousands.
        .annotate(
            snap=FilteredRelation("snapshots", condition=Q(snapshots__date=day)),
            snap7=FilteredRelation("snapshots", condition=Q(snapshots__date=week)),
            snap30=FilteredRelation("snapshots", condition=Q(snapshots__date=month)),
        )
        .annotate(
            score=F("snap__score"),
            computed_colour=F("snap__colour"),
            coverage=F("snap__coverage"),
            mrr=F("snap__mrr"),
            score7=F("snap7__score"),
            score30=F("snap30__score"),
            override_colour=Subquery(override.values("colour")[:1]),
            override_reason=Subquery(override.values("reason")[:1]),
            override_expires=Subquery(override.values("expires_on")[:1]),
            renewal_on=Subquery(renewal),
            open_tasks=Coalesce(Subquery(open_tasks, output_field=IntegerField()), Value(0)),
        )
        .annotate(
            colour=Coalesce("override_colour", "computed_colour", Value("grey")),
            trend7=F("score") - F("score7"),
            trend30=F("score") - F("score30"),
        )
        .annotate(
            # Risk order for the colour column; grey (no data) has no rank, so it sorts last.
            colour_rank=Case(
                When(colour="red", then=Value(0)),
                When(colour="yellow", then=Value(1)),
                When(colour="green", then=Value(2)),
                default=None,
                output_field=IntegerField(),
            ),
        )
    )


@dataclass
class BookFilters:
    colour: str = ""
    owner: int | None = None
    segment: str = ""
    renewal_days: int | None = None
    q: str = ""
    sort: str = "colour"  # by risk: red first, the lowest score first within a colour
    descending: bool = False

    @classmethod
    def from_query(cls, params) -> "BookFilters":
        """Read filters from a query string, ignoring anything malformed (never a 500)."""
        colour = params.get("colour", "")
        sort = params.get("sort", "colour")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")

        def whole(name: str) -> int | None:
            value = params.get(name, "")
            # isdigit() alone accepts "²", which int() refuses; 18 digits fit a bigint.
            return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None

        renewal = whole("renewal")
        segment = params.get("segment", "")
        return cls(
            colour=colour if colour in COLOURS else "",
            owner=whole("owner"),
            segment=segment if segment in Segment.values else "",
            renewal_days=renewal if renewal in (30, 60, 90) else None,
            # PostgreSQL refuses NUL characters in a string parameter.
            q=params.get("q", "").replace("\x00", "").strip()[:100],
            sort=sort if sort in SORTS else "colour",
            descending=descending,
        )

    def apply(self, accounts: QuerySet[Account], *, today: date) -> QuerySet[Account]:
        if self.colour:
            accounts = accounts.filter(colour=self.colour)
        if self.owner:
            accounts = accounts.filter(owner_id=self.owner)
        if self.segment:
            accounts = accounts.filter(segment=self.segment)
        if self.renewal_days:
            accounts = accounts.filter(renewal_on__lte=today + timedelta(days=self.renewal_days))
        if self.q:
            accounts = accounts.filter(Q(name__icontains=self.q) | Q(external_id__iexact=self.q))
        expression = F(SORTS[self.sort])
        order = (
            expression.desc(nulls_last=True) if self.descending else expression.asc(nulls_last=True)
        )
        return accounts.order_by(order, F("score").asc(nulls_last=True), "name", "pk")

    def without(self, name: str) -> dict[str, str]:
        """These filters as query parameters, less one (for links that change it)."""
        params = {
            "colour": self.colour,
            "owner": str(self.owner or ""),
            "segment": self.segment,
            "renewal": str(self.renewal_days or ""),
            "q": self.q,
            "sort": ("-" if self.descending else "") + self.sort,
        }
        params.pop(name, None)
        return {k: v for k, v in params.items() if v}


def book_summary(accounts: QuerySet[Account]) -> list[dict]:
    """Accounts and MRR per colour, red first, in one query."""
    rows = {
        row["colour"]: row
        for row in accounts.order_by().values("colour").annotate(n=Count("pk"), total=Sum("mrr"))
    }
    return [
        {"colour": c, "n": rows.get(c, {}).get("n", 0), "mrr": rows.get(c, {}).get("total") or 0}
        for c in COLOURS
    ]
