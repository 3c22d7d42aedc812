"""Reads shared by the book page, its CSV download and the account page.

The book reads the current-health rows (`scoring.models.CurrentHealth`): one row per account
with the latest score, the colour with any override in force, the trends, coverage, MRR,
renewal, open tasks and owner, kept up to date by the recompute and the workspace's actions
(`workspace.current_health`). Every sort and filter of the page is an index of that table, so
a page costs the same few queries, and about the same time, whatever the book's size. The one
read over every row the user sees, the summary strip, is kept in the cache under the rows'
version, which every write to them changes (`book_figures`).
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from accounts.models import Account, Segment, visible_q
from scoring.current_health import current_health_version
from scoring.models import CurrentHealth, HealthSnapshot
from signals.models import SubscriptionLine
from workspace.current_health import current_health_refresh
from workspace.models import ColourOverride

COLOURS = ("red", "yellow", "green", "grey")
# How long the cache keeps the strip of a version of the rows: a bound on what a write that
# bypasses the refresh (an account deleted in the admin, a version bump lost while Redis was
# unreachable) could leave stale. Every refresh changes the version at once.
FIGURES_TTL = 300

# Columns a user may sort by: URL name -> ORDER BY column of the row (nulls sort last).
SORTS = {
    "name": "name",
    "score": "score",
    "colour": "colour_rank",
    "trend7": "trend7",
    "trend30": "trend30",
    "coverage": "coverage",
    "mrr": "mrr",
    "renewal": "renewal_on",
    "owner": "owner_username",
    "tasks": "open_tasks",
}


def latest_snapshot_day(today: date) -> date | None:
    """The day the book's scores are of: today once the nightly run has scored it. Asked for
    today first: the day index is a BRIN index, which finds one day in a few pages but reads
    every range to find "the latest" (0.4 ms against 55 ms at 100,000 accounts, and growing
    with the history)."""
    if HealthSnapshot.objects.filter(date=today).exists():
        return today
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


def book_queryset(user, *, today: date, not_yet: bool = False) -> QuerySet[CurrentHealth]:
    """The current-health rows of the accounts a user may see, active today; with `not_yet`,
    those not active yet instead: no subscription line at all, or a first line to come."""
    visible = visible_q(user, via="account__")
    if visible is None:
        return CurrentHealth.objects.none()
    rows = CurrentHealth.objects.filter(visible).select_related("owner")
    if not_yet:
        # No run in force or to come is either no line at all or churned: only the first.
        lines = SubscriptionLine.objects.filter(account_id=OuterRef("account_id"))
        return rows.filter(
            Q(active_from__gt=today) | (Q(active_from__isnull=True) & ~Exists(lines))
        )
    return rows.filter(active_from__lte=today).filter(
        Q(active_until__isnull=True) | Q(active_until__gt=today)
    )


def accounts_without_lines_refresh() -> int:
    """After an import of accounts: give the accounts without a subscription line their book
    rows (nothing rescores them: they have no data yet), and say how many there are — the
    accounts of the book's "Not yet active" list until their lines are imported."""
    lines = SubscriptionLine.objects.filter(account_id=OuterRef("pk"))
    ids = list(Account.objects.exclude(Exists(lines)).values_list("pk", flat=True))
    current_health_refresh(account_ids=ids)
    return len(ids)


@dataclass
class BookFilters:
    colour: str = ""
    owner: int | None = None
    segment: str = ""
    renewal_days: int | None = None
    q: str = ""
    sort: str = "colour"  # by risk: red first, the lowest score first within a colour
    descending: bool = False
    not_yet: bool = False  # the accounts not active yet instead of the book

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
            # Repeated spaces mean nothing in a search ("Acme  Corp" finds "Acme Corp").
            q=" ".join(params.get("q", "").replace("\x00", "").split())[:100],
            sort=sort if sort in SORTS else "colour",
            descending=descending,
            not_yet=params.get("status", "") == "not_yet",
        )

    def apply(self, accounts: QuerySet[CurrentHealth], *, today: date) -> QuerySet[CurrentHealth]:
        if self.colour:
            accounts = accounts.filter(colour=self.colour)
        if self.owner:
            accounts = accounts.filter(owner_id=self.owner)
        if self.segment:
            accounts = accounts.filter(segment=self.segment)
        if self.renewal_days:
            accounts = accounts.filter(renewal_on__lte=today + timedelta(days=self.renewal_days))
        if self.q:
            accounts = accounts.filter(Q(name__icontains=self.q) | Q(external_id__icontains=self.q))
        score = F("score").asc(nulls_last=True)
        if self.sort == "colour" and self.colour:
            # One colour: its rank is the same on every row, so read the colour's own index.
            return accounts.order_by(score, "name", "pk")
        expression = F(SORTS[self.sort])
        order = (
            expression.desc(nulls_last=True) if self.descending else expression.asc(nulls_last=True)
        )
        return accounts.order_by(order, score, "name", "pk")

    def without(self, name: str) -> dict[str, str]:
        """These filters as query parameters, less one (for links that change it)."""
        params = {
            "colour": self.colour,
            "owner": str(self.owner or ""),
            "segment": self.segment,
            "renewal": str(self.renewal_days or ""),
            "q": self.q,
            "sort": ("-" if self.descending else "") + self.sort,
            "status": "not_yet" if self.not_yet else "",
        }
        params.pop(name, None)
        return {k: v for k, v in params.items() if v}


def with_bands(rows: list[CurrentHealth]) -> list[CurrentHealth]:
    """The page's rows, each with the bands of the scorecard that coloured it (`green_min`,
    `yellow_min`; None unscored), so that its score is shown in its colour's band. Read for
    the page's rows alone: joined into the page's query, the join ran for every row the
    OFFSET skips (190 ms on page 500 of a 100,000-account book). Asked as ids and days (an
    index scan, planned in a blink) rather than 50 (id, day) pairs (a 50-way OR, 1.5 ms to
    plan and run); the pairs are matched here."""
    scored = [row for row in rows if row.scored_on]
    found = HealthSnapshot.objects.filter(
        account_id__in=[row.account_id for row in scored],
        date__in={row.scored_on for row in scored},
    ).values_list("account_id", "date", "scorecard__green_min", "scorecard__yellow_min")
    bands = {(a, d): (green, yellow) for a, d, green, yellow in found} if scored else {}
    for row in rows:
        row.green_min, row.yellow_min = bands.get((row.account_id, row.scored_on), (None, None))
    return rows


def book_figures(accounts: QuerySet[CurrentHealth], *, today: date) -> tuple[date | None, list]:
    """The day the book's scores are of (`latest_snapshot_day`) and its summary strip
    (`book_summary`) over `accounts`, kept in the cache under the current-health rows'
    version: a scan of every row the user sees (45 ms at 100,000 accounts) once per change of
    the rows, not per page. The strip's key is its own SQL with its parameters — who sees
    what, the filters and the day — so two reads share it only if they ask the same."""
    version = current_health_version()
    try:
        sql, params = _summary_query(accounts).query.sql_with_params()
    except EmptyResultSet:  # no rows to ask for (a user who sees no account)
        version = None
    if version is None:  # the cache is down, or nothing to keep
        return latest_snapshot_day(today), book_summary(accounts)
    day_key = f"book:day:{version}:{today.isoformat()}"
    summary_key = _figures_key("summary", version, sql, params)
    found = cache.get_many([day_key, summary_key])
    if day_key not in found:
        found[day_key] = latest_snapshot_day(today)
        cache.set(day_key, found[day_key], FIGURES_TTL)
    if summary_key not in found:
        found[summary_key] = book_summary(accounts)
        cache.set(summary_key, found[summary_key], FIGURES_TTL)
    return found[day_key], found[summary_key]


def not_yet_count(accounts: QuerySet[CurrentHealth]) -> int:
    """How many not-yet-active `accounts` there are (the book's card), kept in the cache under
    the current-health rows' version as the strip is."""
    rows = accounts.order_by()
    version = current_health_version()
    try:
        sql, params = rows.values("pk").query.sql_with_params()
    except EmptyResultSet:  # no rows to ask for
        return 0
    if version is None:  # the cache is down
        return rows.count()
    key = _figures_key("not-yet", version, sql, params)
    count = cache.get(key)
    if count is None:
        count = rows.count()
        cache.set(key, count, FIGURES_TTL)
    return count


def _figures_key(name: str, version: int, sql: str, params) -> str:
    """A key of the cache for figures read by `sql` with `params` under `version`."""
    return f"book:{name}:{version}:{hashlib.sha256(repr((sql, params)).encode()).hexdigest()}"


def _summary_query(accounts: QuerySet[CurrentHealth]) -> QuerySet:
    return accounts.order_by().values("colour").annotate(n=Count("pk"), total=Sum("mrr"))


def book_summary(accounts: QuerySet[CurrentHealth]) -> list[dict]:
    """Accounts and MRR per colour, red first, in one query."""
    rows = {row["colour"]: row for row in _summary_query(accounts)}
    return [
        {"colour": c, "n": rows.get(c, {}).get("n", 0), "mrr": rows.get(c, {}).get("total") or 0}
        for c in COLOURS
    ]
