"""Product feedback: what the tags on tickets, survey answers and check-ins say — each tag's
volume by month, the detractor share of the NPS answers under each tag, and for each release
the NPS and ticket volume in the 30 days before and after it — with every tagged item for the
product team's CSV. A fixed handful of queries whatever the size of the book."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from reports import retention
from reports.nps import nps_totals
from reports.retention import Month
from reports.tables import ReportFilters
from signals.models import Ticket
from surveys.models import SurveyResponse, SurveyType, Tag, TagKind
from workspace.models import CheckIn

RELEASE_DAYS = 30  # the window on each side of a release
SOURCES = ("tickets", "answers", "check_ins")


@dataclass(frozen=True)
class Volume:
    tickets: int = 0
    answers: int = 0
    check_ins: int = 0

    @property
    def total(self) -> int:
        return self.tickets + self.answers + self.check_ins


@dataclass(frozen=True)
class TagNps:
    """The NPS answers carrying one tag (or, with no tag, all answers) in the period."""

    tag: str
    nps: retention.Nps

    @property
    def detractor_share(self) -> float | None:
        return retention.rate(self.nps.detractors, self.nps.responses)


@dataclass(frozen=True)
class Window:
    first: date
    last: date  # inclusive; today at the latest
    nps: retention.Nps
    tickets: int
    tagged: int  # tickets and answers carrying the release's tag

    @property
    def days(self) -> int:
        return max((self.last - self.first).days + 1, 0)


@dataclass(frozen=True)
class Release:
    tag: str
    released_on: date
    before: Window
    after: Window

    @property
    def nps_change(self) -> float | None:
        if self.before.nps.score is None or self.after.nps.score is None:
            return None
        return self.after.nps.score - self.before.nps.score

    @property
    def after_is_partial(self) -> bool:
        return self.after.days < RELEASE_DAYS


@dataclass(frozen=True)
class Item:
    day: date
    source: str
    tag: str
    account_id: int
    account: str
    score: int | None
    text: str


@dataclass
class FeedbackReport:
    filters: ReportFilters
    months: list[Month]
    tags: list[str]  # with any volume in the period, by volume
    volume: dict[tuple[str, date], Volume]  # (tag, month start) -> counts
    by_tag: list[TagNps]
    overall: TagNps
    releases: list[Release]
    items: list[Item] = field(default_factory=list)

    def tag_total(self, tag: str) -> Volume:
        rows = [v for (t, _month), v in self.volume.items() if t == tag]
        return Volume(*(sum(getattr(v, s) for v in rows) for s in SOURCES))


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def _as_date(value) -> date:
    # TruncMonth of a date-time comes back as a datetime (of a date on some SQLite versions).
    return value.date() if isinstance(value, datetime) else value


def _through(model):
    through = model.tags.through
    return through, f"{model._meta.model_name}"


def _monthly(model, day_field: str, first, last, segment: str) -> Iterable[tuple[str, date, int]]:
    """(tag name, month start, items) of `model`'s tagged rows dated in [first, last]."""
    through, owner = _through(model)
    rows = through.objects.order_by()
    if day_field == "opened_at":
        start, end = _bounds(first, last)
        rows = rows.filter(**{f"{owner}__opened_at__gte": start, f"{owner}__opened_at__lt": end})
    else:
        rows = rows.filter(
            **{f"{owner}__{day_field}__gte": first, f"{owner}__{day_field}__lte": last}
        )
    if segment:
        rows = rows.filter(**{f"{owner}__account__segment": segment})
    grouped = (
        rows.annotate(month=TruncMonth(f"{owner}__{day_field}"))
        .values("tag__name", "month")
        .annotate(n=Count("pk"))
        .values_list("tag__name", "month", "n")
    )
    return [(name, _as_date(month), n) for name, month, n in grouped]


def _tag_nps(first: date, last: date, segment: str) -> list[TagNps]:
    through, owner = _through(SurveyResponse)
    rows = through.objects.order_by().filter(
        surveyresponse__survey_type=SurveyType.NPS,
        surveyresponse__responded_on__gte=first,
        surveyresponse__responded_on__lte=last,
    )
    if segment:
        rows = rows.filter(surveyresponse__account__segment=segment)
    grouped = (
        rows.values("tag__name")
        .annotate(
            promoters=Count("pk", filter=Q(surveyresponse__score__gte=9)),
            passives=Count(
                "pk", filter=Q(surveyresponse__score__gte=7, surveyresponse__score__lte=8)
            ),
            detractors=Count("pk", filter=Q(surveyresponse__score__lte=6)),
        )
        .values_list("tag__name", "promoters", "passives", "detractors")
    )
    found = [TagNps(name, retention.Nps(p, n, d)) for name, p, n, d in grouped]
    # The worst first: the share of detractors, then the number of answers.
    return sorted(found, key=lambda t: (-(t.detractor_share or 0), -t.nps.responses, t.tag))


def release_windows(released_on: date, today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The 30 days before a release (its day excluded) and the 30 from its day on, the latter
    cut at today."""
    before = (released_on - timedelta(days=RELEASE_DAYS), released_on - timedelta(days=1))
    after_last = min(released_on + timedelta(days=RELEASE_DAYS - 1), today)
    return before, (released_on, after_last)


def _releases(tags: list[Tag], filters: ReportFilters) -> list[Release]:
    """The releases dated in the period: NPS of every answer (one query for all windows) and
    tickets opened (one more) on each side, and how many of them carry the release's tag."""
    releases = sorted(
        (t for t in tags if t.kind == TagKind.RELEASE and t.released_on is not None),
        key=lambda t: t.released_on,
        reverse=True,
    )
    releases = [t for t in releases if filters.first_day <= t.released_on <= filters.last_day]
    if not releases:
        return []
    spans = [span for t in releases for span in release_windows(t.released_on, filters.today)]
    scores = nps_totals(spans=spans, segment=filters.segment)
    start, end = _bounds(min(a for a, _b in spans), max(b for _a, b in spans))
    tickets = Ticket.objects.order_by().filter(opened_at__gte=start, opened_at__lt=end)
    if filters.segment:
        tickets = tickets.filter(account__segment=filters.segment)
    counts = {}
    owners = [t for t in releases for _ in (0, 1)]  # each release's two windows
    for i, ((first, last), tag) in enumerate(zip(spans, owners, strict=True)):
        start, end = _bounds(first, last)
        within = Q(opened_at__gte=start, opened_at__lt=end)
        counts[f"t{i}"] = Count("pk", filter=within, distinct=True)
        counts[f"g{i}"] = Count("pk", filter=within & Q(tags=tag), distinct=True)
    found = tickets.aggregate(**counts)
    result = []
    for k, tag in enumerate(releases):
        windows = [
            Window(first, last, scores[i], found[f"t{i}"], found[f"g{i}"])
            for i, (first, last) in ((2 * k + j, spans[2 * k + j]) for j in (0, 1))
        ]
        result.append(Release(tag.name, tag.released_on, *windows))
    return result


def _items(filters: ReportFilters) -> list[Item]:
    """Every tagged ticket, survey answer and check-in of the period, one row per tag, newest
    first (three queries)."""
    first, last, segment = filters.first_day, filters.last_day, filters.segment
    zone = timezone.get_current_timezone()
    items: list[Item] = []
    start, end = _bounds(first, last)
    sources = [
        (
            Ticket,
            {"ticket__opened_at__gte": start, "ticket__opened_at__lt": end},
            ("ticket__opened_at", "ticket__account_id", "ticket__account__name", "ticket__csat",
             "ticket__ticket_id", "ticket__subject"),
            _("Ticket"),
        ),
        (
            SurveyResponse,
            {"surveyresponse__responded_on__gte": first, "surveyresponse__responded_on__lte": last},
            ("surveyresponse__responded_on", "surveyresponse__account_id",
             "surveyresponse__account__name", "surveyresponse__score",
             "surveyresponse__survey_type", "surveyresponse__comment"),
            _("Survey answer"),
        ),
        (
            CheckIn,
            {"checkin__date__gte": first, "checkin__date__lte": last},
            ("checkin__date", "checkin__account_id", "checkin__account__name", "checkin__channel",
             "checkin__channel", "checkin__note"),
            _("Check-in"),
        ),
    ]  # fmt: skip
    for model, within, fields, label in sources:
        through, owner = _through(model)
        rows = through.objects.order_by().filter(**within)
        if segment:
            rows = rows.filter(**{f"{owner}__account__segment": segment})
        for row in rows.values_list(*fields, "tag__name").iterator(chunk_size=5000):
            day, account_id, name, score, ref, text, tag = row
            if model is Ticket:
                day = timezone.localtime(day, zone).date()
                text = f"{ref} {text}".strip()
            if model is CheckIn:
                score = None
            items.append(Item(day, str(label), tag, account_id, name, score, text))
    return sorted(items, key=lambda i: (i.day, i.source, i.tag), reverse=True)


def feedback_report(*, filters: ReportFilters) -> FeedbackReport:
    """Tag volume by month, detractor share by tag, release impact and every tagged item."""
    first, last, segment = filters.first_day, filters.last_day, filters.segment
    tags = list(Tag.objects.order_by("name"))
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for i, (model, day_field) in enumerate(
        [(Ticket, "opened_at"), (SurveyResponse, "responded_on"), (CheckIn, "date")]
    ):
        for name, month, n in _monthly(model, day_field, first, last, segment):
            counts[(name, month)][i] += n
    volume = {key: Volume(*values) for key, values in counts.items()}
    totals: dict[str, int] = defaultdict(int)
    for (name, _month), v in volume.items():
        totals[name] += v.total
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    (overall,) = nps_totals(spans=[(first, last)], segment=segment)
    return FeedbackReport(
        filters=filters,
        months=filters.months,
        tags=ranked,
        volume=volume,
        by_tag=_tag_nps(first, last, segment),
        overall=TagNps("", overall),
        releases=_releases(tags, filters),
        items=_items(filters),
    )
