"""CS ROI: the eight measures of customer success against the previous period of the same
length (upsell, cross-sell, renewal rate, MRR, ARR, trial conversion, NPS, support response
time), MRR movements (new, expansion, cross-sell, contraction, churn), MRR and ARR, and
trial-to-paid conversion."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext, ngettext

from accounts import formats
from reports import retention
from reports.loading import customers_load
from reports.nps import nps_totals
from reports.retention import Month
from reports.support import response_spreads
from reports.tables import ReportFilters, duration_text

# ---------------------------------------------------------------- the previous period


@dataclass(frozen=True)
class Span:
    """A run of report months and its first and last day (both included)."""

    months: list[Month]
    first: date
    last: date
    to_date: bool = False  # it runs to today

    @property
    def label(self) -> str:
        if not self.months:
            return "–"
        return formats.day_range(self.first, self.last) + (
            " " + gettext("(to date)") if self.to_date else ""
        )


def current_span(filters: ReportFilters) -> Span:
    return Span(filters.months, filters.first_day, filters.last_day, bool(filters.partial))


def previous_span(filters: ReportFilters) -> Span:
    """The period of the same length just before: each month moved back by as many months as
    the period holds. A period ending today (the current month to date) is compared with one
    ending on the same day of its month, so a partial month meets a partial month."""
    months = filters.months
    n = len(months)
    shifted = [
        Month(
            retention.add_months(m.start, -n),
            retention.add_months(m.end, -n),
            partial=m.partial,
        )
        for m in months
    ]
    if not shifted:
        return Span([], filters.first_day, filters.first_day)
    last = shifted[-1]
    # The current period's last day is included (the NPS and support pages count today).
    last_day = (
        retention.add_months(filters.last_day, -n) if last.partial else last.end - timedelta(1)
    )
    return Span(shifted, shifted[0].start, last_day)


# ---------------------------------------------------------------- the eight measures


def _figure(kind: str, value: float | None) -> str:
    if value is None:
        return "–"
    if kind == "money":
        return formats.money(value)
    if kind == "pct":
        return f"{formats.number(value, 1)}%"
    if kind == "nps":
        return formats.number(value)
    return duration_text(value)


def _signed(text: str, value: float) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


@dataclass(frozen=True)
class Measure:
    """One measure of the period beside the previous period's; `higher_is_better` says which
    way a change is good (support response time: lower)."""

    key: str
    label: str
    kind: str  # money, pct (a rate, changes in points), nps, hours
    now: float | None
    before: float | None
    now_basis: str  # what the figure rests on: "34 of 40 lines due", "12 answers"
    before_basis: str
    report: str  # the url name of the report the measure comes from
    anchor: str = ""
    higher_is_better: bool = True
    small_sample: bool = False  # NPS of fewer than SMALL_SAMPLE answers (either period)

    @property
    def change(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        return self.now - self.before

    @property
    def change_pct(self) -> float | None:
        """For money: the change as a share of the previous figure."""
        if self.change is None or not self.before:
            return None
        return self.change / abs(self.before) * 100

    @property
    def now_text(self) -> str:
        return _figure(self.kind, self.now)

    @property
    def before_text(self) -> str:
        return _figure(self.kind, self.before)

    @property
    def change_text(self) -> str:
        """ "+250 (+10.4%)" for money, "−33.3 pts" for a rate, "−4.0 h" for a time."""
        change = self.change
        if change is None:
            return "–"
        if self.kind == "money":
            text = _signed(formats.money(abs(change)), round(change))
            if self.change_pct is not None:
                pct = self.change_pct
                text += f" ({_signed(formats.number(abs(pct), 1), round(pct, 1))}%)"
            return text
        if self.kind in ("pct", "nps"):
            digits = 1 if self.kind == "pct" else 0
            points = gettext("%(n)s pts") % {"n": formats.number(abs(change), digits)}
            return _signed(points, round(change, digits))
        return _signed(duration_text(abs(change)), round(change, 1))

    @property
    def direction_label(self) -> str:
        return {
            "better": gettext("better"),
            "worse": gettext("worse"),
            "same": gettext("same"),
        }.get(self.direction, "")

    @property
    def direction(self) -> str:
        change = self.change
        if change is None:
            return ""
        if round(change, 1) == 0:
            return "same"
        return "better" if (change > 0) == self.higher_is_better else "worse"


@dataclass
class RoiReport:
    filters: ReportFilters
    months: list[tuple[Month, retention.Movements]]
    trials: list[tuple[Month, retention.Outcome]]
    current: Span | None = None
    previous: Span | None = None
    measures: list[Measure] | None = None

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            kind: sum((getattr(mv, kind) for _, mv in self.months), Decimal(0))
            for kind in retention.KINDS
        }


def _lines_basis(o: retention.Outcome) -> str:
    return ngettext("%(n)s of %(due)s line due", "%(n)s of %(due)s lines due", o.due) % {
        "n": formats.number(o.followed),
        "due": formats.number(o.due),
    }


def _trials_basis(o: retention.Outcome) -> str:
    return ngettext("%(n)s of %(due)s trial ended", "%(n)s of %(due)s trials ended", o.due) % {
        "n": formats.number(o.followed),
        "due": formats.number(o.due),
    }


def measures(
    customers: list[retention.Customer],
    current: Span,
    previous: Span,
    *,
    today: date,
    current_moves: list[retention.Movements],
    nps: tuple[retention.Nps, retention.Nps],
    response: tuple[retention.Spread, retention.Spread],
) -> list[Measure]:
    """The eight measures of `current` and `previous` from the book and the NPS and support
    figures of the two spans."""
    if not current.months:
        return []
    moves = [
        current_moves,
        [retention.movements(customers, m.start, m.end) for m in previous.months],
    ]

    def total(kind: str, i: int) -> float:
        return float(sum((getattr(mv, kind) for mv in moves[i]), Decimal(0)))

    def accounts(kind: str, i: int) -> str:
        n = sum(mv.counts[kind] for mv in moves[i])
        return ngettext("%(n)s account", "%(n)s accounts", n) % {"n": formats.number(n)}

    spans = (current, previous)
    renewals = [
        retention.renewal_outcome(customers, s.months[0].start, s.months[-1].end, today=today)
        for s in spans
    ]
    trials = [
        retention.trial_outcome(customers, s.months[0].start, s.months[-1].end, today=today)
        for s in spans
    ]
    mrr = [float(m[-1].mrr_end) for m in moves]
    ends = [gettext("on %(day)s") % {"day": formats.day(s.months[-1].end)} for s in spans]
    answers = [
        (
            ngettext("%(n)s answer, small sample", "%(n)s answers, small sample", n.responses)
            if n.small_sample
            else ngettext("%(n)s answer", "%(n)s answers", n.responses)
        )
        % {"n": formats.number(n.responses)}
        for n in nps
    ]
    answered = [
        ngettext("%(n)s ticket answered", "%(n)s tickets answered", r.n)
        % {"n": formats.number(r.n)}
        for r in response
    ]
    return [
        Measure(
            "upsell",
            gettext("Upsell MRR"),
            "money",
            total("upsell", 0),
            total("upsell", 1),
            accounts("upsell", 0),
            accounts("upsell", 1),
            "report_roi",
            "table-movements",
        ),
        Measure(
            "cross_sell",
            gettext("Cross-sell MRR"),
            "money",
            total("cross_sell", 0),
            total("cross_sell", 1),
            accounts("cross_sell", 0),
            accounts("cross_sell", 1),
            "report_roi",
            "table-movements",
        ),
        Measure(
            "renewal_rate",
            gettext("Renewal rate"),
            "pct",
            renewals[0].rate,
            renewals[1].rate,
            _lines_basis(renewals[0]),
            _lines_basis(renewals[1]),
            "report_renewals",
            "table-history",
        ),
        Measure(
            "mrr", "MRR", "money", mrr[0], mrr[1], ends[0], ends[1], "report_roi", "chart-mrr-title"
        ),
        Measure(
            "arr",
            "ARR",
            "money",
            mrr[0] * 12,
            mrr[1] * 12,
            ends[0],
            ends[1],
            "report_roi",
            "chart-arr-title",
        ),
        Measure(
            "trial_conversion",
            gettext("Trial conversion"),
            "pct",
            trials[0].rate,
            trials[1].rate,
            _trials_basis(trials[0]),
            _trials_basis(trials[1]),
            "report_roi",
            "table-trials",
        ),
        Measure(
            "nps",
            "NPS",
            "nps",
            nps[0].score,
            nps[1].score,
            answers[0],
            answers[1],
            "report_nps",
            "table-monthly",
            small_sample=nps[0].small_sample or nps[1].small_sample,
        ),
        Measure(
            "response_time",
            gettext("Support: median first response"),
            "hours",
            response[0].median,
            response[1].median,
            answered[0],
            answered[1],
            "report_support",
            "table-monthly",
            higher_is_better=False,
        ),
    ]


def roi_report(*, filters: ReportFilters) -> RoiReport:
    """The eight measures against the previous period of the same length; new, upsell,
    cross-sell, downsell and churned MRR per month, MRR and ARR, and trial conversion — from
    the subscription lines (two queries), the NPS answers (one) and the tickets (one)."""
    customers = list(customers_load(filters.segment).values())
    today = filters.today
    months = filters.months
    current, previous = current_span(filters), previous_span(filters)
    spans = [(current.first, current.last), (previous.first, previous.last)]
    nps = nps_totals(spans=spans, segment=filters.segment)
    response = response_spreads(spans=spans, segment=filters.segment)
    moves = [retention.movements(customers, m.start, m.end) for m in months]
    return RoiReport(
        filters,
        list(zip(months, moves, strict=True)),
        [(m, retention.trial_outcome(customers, m.start, m.end, today=today)) for m in months],
        current=current,
        previous=previous,
        measures=measures(
            customers,
            current,
            previous,
            today=today,
            current_moves=moves,
            nps=(nps[0], nps[1]),
            response=(response[0], response[1]),
        ),
    )
