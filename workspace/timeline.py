"""The account's timeline: what happened to it, newest first, filterable by kind, paginated.

`timeline_page` reads each source with one query (at most the rows the page can need from it,
so the count of queries does not grow with the events); `score_events` and `merge` are the
pure part: they turn rows into events and order them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import chain

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from scoring.maths import Bands
from workspace.numbers import shown_points, shown_score

PAGE_SIZE = 20
MAX_PAGE = 200  # a deeper page reads too many rows of each source: the links stop there
SCORE_STEP = 10.0  # points a score must move from the last one shown to make an event

KINDS = {
    "score": gettext_lazy("Score and colour"),
    "checkin": gettext_lazy("Check-ins"),
    "sentiment": gettext_lazy("Sentiment"),
    "task": gettext_lazy("Tasks"),
    "ticket": gettext_lazy("Tickets"),
    "invoice": gettext_lazy("Invoices"),
    "survey": gettext_lazy("Survey answers"),
    "subscription": gettext_lazy("Subscriptions"),
}


COLOURS = {
    "green": gettext_lazy("green"),
    "yellow": gettext_lazy("yellow"),
    "red": gettext_lazy("red"),
    "grey": gettext_lazy("grey"),
}


@dataclass(frozen=True)
class Event:
    day: date
    kind: str  # a key of KINDS
    title: str
    detail: str = ""
    colour: str = ""  # shown as a badge when set
    # Orders events of one day: the stream's rank, then the stream's own order (newest first).
    rank: int = 0
    seq: tuple = field(default=())


def _fmt(score: float | None, bands: Bands | None) -> str:
    if score is None:
        return "–"
    value = shown_score(score, bands)
    return f"{value:.1f}".removesuffix(".0")


def score_events(
    rows: Iterable[tuple[date, float | None, str, Bands | None]], *, step: float = SCORE_STEP
) -> list[Event]:
    """Colour changes, and moves of at least `step` points from the last score an event showed,
    from an account's snapshots (day, score, colour, the bands that coloured it) in date order."""
    events: list[Event] = []
    last_colour: str | None = None
    anchor: float | None = None
    for day, score, colour, bands in rows:
        if last_colour is not None and colour != last_colour:
            if score is None:
                title = _("Turned grey: too little data to score (was %(was)s).") % {
                    "was": COLOURS.get(last_colour, last_colour)
                }
            else:
                title = _("Turned %(now)s at %(score)s (was %(was)s).") % {
                    "now": COLOURS.get(colour, colour),
                    "score": _fmt(score, bands),
                    "was": COLOURS.get(last_colour, last_colour),
                }
            events.append(Event(day, "score", title, colour=colour, rank=0))
            anchor = score
        elif score is not None and anchor is not None and abs(score - anchor) >= step:
            delta = shown_points(score - anchor)
            template = (
                _("Score rose from %(was)s to %(now)s (%(delta)s).")
                if delta > 0
                else _("Score fell from %(was)s to %(now)s (%(delta)s).")
            )
            title = template % {
                "was": _fmt(anchor, bands),
                "now": _fmt(score, bands),
                "delta": f"{delta:+.1f}".removesuffix(".0"),
            }
            events.append(Event(day, "score", title, rank=1))
            anchor = score
        if anchor is None:
            anchor = score
        last_colour = colour
    return events


def merge(streams: Iterable[Iterable[Event]], *, offset: int, limit: int) -> tuple[list, bool]:
    """One page of the events of all streams, newest first, and whether more follow.

    Each stream must hold at least its first `offset + limit + 1` events in this order (its
    query's order), so that the page is exact whatever the other streams hold.
    """
    ordered = sorted(
        chain.from_iterable(streams),
        key=lambda e: (-e.day.toordinal(), e.rank, tuple(-x for x in e.seq)),
    )
    return ordered[offset : offset + limit], len(ordered) > offset + limit


@dataclass(frozen=True)
class TimelineQuery:
    kind: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, params) -> "TimelineQuery":
        """Read a query string, ignoring anything malformed (never a 500)."""
        kind = params.get("kind", "")
        page = params.get("page", "")
        number = int(page) if page.isascii() and page.isdigit() and len(page) <= 6 else 1
        return cls(kind=kind if kind in KINDS else "", page=min(max(number, 1), MAX_PAGE))


@dataclass
class Timeline:
    events: list[Event]
    query: TimelineQuery
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1


def _local_day(moment) -> date:
    return timezone.localtime(moment).date()


def _streams(account: Account, *, today: date, rows: int) -> dict:
    """The kinds' readers: each returns its events, reading at most `rows` of a source."""

    def snapshots():
        history = account.snapshots.filter(date__lte=today).order_by("date")
        rows = history.values_list(
            "date", "score", "colour", "scorecard__green_min", "scorecard__yellow_min"
        )
        return score_events((d, s, c, Bands(g, y)) for d, s, c, g, y in rows)

    def checkins():
        qs = account.check_ins.filter(date__lte=today).select_related("author")
        for c in qs.order_by("-date", "-pk")[:rows]:
            title = _("Check-in (%(channel)s) by %(author)s") % {
                "channel": c.get_channel_display(),
                "author": _person(c.author),
            }
            yield Event(c.date, "checkin", title, c.note, rank=2, seq=(c.pk,))

    def sentiments():
        qs = account.sentiment_entries.filter(recorded_on__lte=today).select_related("author")
        for e in qs.order_by("-recorded_on", "-pk")[:rows]:
            title = _("Sentiment recorded: %(sentiment)s") % {
                "sentiment": e.get_sentiment_display()
            }
            if e.author:
                title += " · " + _person(e.author)
            yield Event(e.recorded_on, "sentiment", title, e.note, rank=3, seq=(e.pk,))

    def tasks_opened():
        for t in account.tasks.filter(opened_on__lte=today).order_by("-opened_on", "-pk")[:rows]:
            title = _("Task opened: %(reason)s") % {"reason": t.get_reason_display()}
            yield Event(t.opened_on, "task", title, t.describe(), rank=5, seq=(t.pk,))

    def tasks_closed():
        qs = account.tasks.filter(closed_on__isnull=False, closed_on__lte=today)
        for t in qs.order_by("-closed_on", "-pk")[:rows]:
            title = _("Task closed: %(reason)s") % {"reason": t.get_reason_display()}
            yield Event(t.closed_on, "task", title, t.outcome, rank=4, seq=(t.pk,))

    end_of_today = timezone.make_aware(datetime.combine(today + timedelta(days=1), time()))

    def tickets_opened():
        qs = account.tickets.filter(opened_at__lt=end_of_today)
        for t in qs.order_by("-opened_at", "-pk")[:rows]:
            title = _("Ticket %(id)s opened (%(priority)s)") % {
                "id": t.ticket_id,
                "priority": t.get_priority_display(),
            }
            yield Event(
                _local_day(t.opened_at),
                "ticket",
                title,
                t.subject,
                rank=7,
                seq=(t.opened_at.timestamp(), t.pk),
            )

    def tickets_resolved():
        qs = account.tickets.filter(resolved_at__isnull=False, resolved_at__lt=end_of_today)
        for t in qs.order_by("-resolved_at", "-pk")[:rows]:
            title = _("Ticket %(id)s resolved") % {"id": t.ticket_id}
            if t.csat:
                title += " · " + _("CSAT %(csat)s") % {"csat": t.csat}
            yield Event(
                _local_day(t.resolved_at),
                "ticket",
                title,
                t.subject,
                rank=6,
                seq=(t.resolved_at.timestamp(), t.pk),
            )

    def invoices_overdue():
        # Overdue from the day after its due date, if not paid by then.
        late = account.invoices.filter(due_on__lt=today).exclude(paid_on__lte=F("due_on"))
        for i in late.order_by("-due_on", "-pk")[:rows]:
            title = _("Invoice %(number)s overdue") % {"number": i.invoice_number}
            yield Event(i.due_on + timedelta(days=1), "invoice", title, rank=9, seq=(i.pk,))

    def invoices_paid():
        qs = account.invoices.filter(paid_on__isnull=False, paid_on__lte=today)
        for i in qs.order_by("-paid_on", "-pk")[:rows]:
            title = _("Invoice %(number)s paid") % {"number": i.invoice_number}
            yield Event(i.paid_on, "invoice", title, rank=8, seq=(i.pk,))

    def answers():
        qs = account.survey_responses.filter(responded_on__lte=today)
        for r in qs.order_by("-responded_on", "-pk")[:rows]:
            title = _("%(survey)s answer %(score)s from %(who)s") % {
                "survey": r.get_survey_type_display(),
                "score": r.score,
                "who": r.respondent,
            }
            yield Event(r.responded_on, "survey", title, r.comment, rank=10, seq=(r.pk,))

    def lines_started():
        qs = account.subscription_lines.filter(start_date__lte=today)
        for line in qs.order_by("-start_date", "-pk")[:rows]:
            title = _("Subscription line started: %(product)s") % {"product": line.product}
            if line.is_trial:
                title += " · " + _("trial")
            yield Event(line.start_date, "subscription", title, rank=12, seq=(line.pk,))

    def lines_ended():
        qs = account.subscription_lines.filter(end_date__isnull=False, end_date__lte=today)
        for line in qs.order_by("-end_date", "-pk")[:rows]:
            title = _("Subscription line ended: %(product)s") % {"product": line.product}
            yield Event(line.end_date, "subscription", title, rank=11, seq=(line.pk,))

    return {
        "score": [snapshots],
        "checkin": [checkins],
        "sentiment": [sentiments],
        "task": [tasks_opened, tasks_closed],
        "ticket": [tickets_opened, tickets_resolved],
        "invoice": [invoices_overdue, invoices_paid],
        "survey": [answers],
        "subscription": [lines_started, lines_ended],
    }


def _person(user) -> str:
    if not user:
        return _("someone")
    return user.get_full_name() or user.username


def timeline_page(account: Account, *, query: TimelineQuery, today: date) -> Timeline:
    """One page of the account's timeline: one query per source of the kinds asked for."""
    offset = (query.page - 1) * PAGE_SIZE
    readers = _streams(account, today=today, rows=offset + PAGE_SIZE + 1)
    kinds = [query.kind] if query.kind else list(KINDS)
    streams = [list(read()) for kind in kinds for read in readers[kind]]
    events, has_next = merge(streams, offset=offset, limit=PAGE_SIZE)
    return Timeline(events=events, query=query, has_next=has_next)
