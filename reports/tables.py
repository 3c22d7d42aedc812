"""Filters and tables shared by every report: the period a report covers, and the
table spec (columns, kinds, rows) that a page renders and a CSV export writes."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import formats
from accounts.models import Segment
from reports import retention
from reports.retention import Month

COLOURS = ("red", "yellow", "green", "grey")
COLOUR_NAMES = {
    "red": gettext_lazy("Red"),
    "yellow": gettext_lazy("Yellow"),
    "green": gettext_lazy("Green"),
    "grey": gettext_lazy("Grey"),
}
PRIORITY_NAMES = {
    "all": gettext_lazy("All priorities"),
    "low": gettext_lazy("Low"),
    "normal": gettext_lazy("Normal"),
    "high": gettext_lazy("High"),
    "critical": gettext_lazy("Critical"),
}
# Column headings per colour, whole messages: the colour's word agrees with its noun.
COLOUR_ACCOUNTS = {
    "red": gettext_lazy("Red accounts"),
    "yellow": gettext_lazy("Yellow accounts"),
    "green": gettext_lazy("Green accounts"),
    "grey": gettext_lazy("Grey accounts"),
}
COLOUR_MRR = {
    "red": gettext_lazy("Red MRR"),
    "yellow": gettext_lazy("Yellow MRR"),
    "green": gettext_lazy("Green MRR"),
    "grey": gettext_lazy("Grey MRR"),
}
HORIZONS = (30, 60, 90)
DEFAULT_MONTHS = 6
MAX_MONTHS = 60
# Score quality samples one snapshot day a week (whole weeks apart over long periods, at most
# 13 days): consecutive days of one account are nearly the same observation, and the sample
# keeps a 10,000-account book to about a hundred thousand rows.
SAMPLE_STEP_DAYS = 7
MAX_OBSERVATION_DAYS = 13
# Portfolio health is drawn day by day over up to two months, one day a week beyond.
DAILY_UP_TO_DAYS = 62
NOT_RECORDED = gettext_lazy("not recorded")
CENTS = Decimal("0.01")


# ---------------------------------------------------------------- the period and the filters


@dataclass(frozen=True)
class ReportFilters:
    """From/to months, a segment, and (score quality) a churn horizon, read from a query string
    without ever failing: anything malformed falls back to the default."""

    first: date  # first day of the first month
    last: date  # first day of the last month
    today: date
    segment: str = ""
    horizon: int | None = None

    @classmethod
    def from_query(cls, params, *, today: date, months: int = DEFAULT_MONTHS) -> "ReportFilters":
        current = retention.month_start(today)
        first = retention.parse_month(params.get("from")) or retention.add_months(
            current, -(months - 1)
        )
        last = retention.parse_month(params.get("to")) or current
        last = min(last, current)  # nothing after today has happened yet
        first = min(first, current)
        if first > last:
            first, last = last, first
        if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            first = retention.add_months(last, -(MAX_MONTHS - 1))
        segment = params.get("segment", "")
        horizon = params.get("horizon", "")
        return cls(
            first=first,
            last=last,
            today=today,
            segment=segment if segment in Segment.values else "",
            horizon=int(horizon) if horizon in {str(h) for h in HORIZONS} else None,
        )

    @property
    def months(self) -> list[Month]:
        return retention.months(self.first, self.last, today=self.today)

    @property
    def first_day(self) -> date:
        return self.first

    @property
    def last_day(self) -> date:
        """The period's last day: the last month's end, or today in the current month."""
        return min(retention.add_months(self.last, 1) - timedelta(days=1), self.today)

    @property
    def partial(self) -> Month | None:
        """The period's current month, which runs to today only, if the period holds it."""
        return next((m for m in self.months if m.partial), None)

    @property
    def period_label(self) -> str:
        """ "Whole period", "(to date)" when it ends in the current month."""
        return _("Whole period (to date)") if self.partial else _("Whole period")

    @property
    def whole(self) -> "Labelled":
        """The whole period as a table's period cell (its CSV value: the months, ISO)."""
        return WholePeriod(self.period_label, f"{self.first:%Y-%m}/{self.last:%Y-%m}")

    def partial_note(self, measures: str) -> str:
        """What a table says when the period ends in the current month: that month's
        `measures` (translated words) cover fewer days than a whole month's, and the whole
        period ends today."""
        m = self.partial
        if m is None:
            return ""
        last = m.end - timedelta(days=1)
        whole = (retention.add_months(m.start, 1) - m.start).days
        return ngettext(
            "%(month)s is a partial month (%(days)s, %(n)d of %(whole)d days): its %(measures)s "
            "are not comparable with whole months', and the whole-period row ends today too.",
            "%(month)s is a partial month (%(days)s, %(n)d of %(whole)d days): its %(measures)s "
            "are not comparable with whole months', and the whole-period row ends today too.",
            whole,
        ) % {
            "month": m.label,
            "days": formats.day_range(m.start, last),
            "n": (m.end - m.start).days,
            "whole": whole,
            "measures": measures,
        }

    def query(self, **changes: Any) -> dict[str, str]:
        params = {
            "from": f"{self.first:%Y-%m}",
            "to": f"{self.last:%Y-%m}",
            "segment": self.segment,
            "horizon": str(self.horizon or ""),
        }
        params.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in params.items() if v}


# ---------------------------------------------------------------- tables (page and CSV)


NUMERIC_KINDS = ("int", "money", "pct", "ratio", "score", "delta", "hours", "figure")


@dataclass(frozen=True)
class Labelled:
    """A cell of kind "label": its words on the page, its stable key in the CSV (a Month is
    one too: "Dec 2026" on the page, "2026-12" in the CSV)."""

    key: str
    label: str


def WholePeriod(label: str, key: str) -> Labelled:  # noqa: N802 - reads as the thing it makes
    """The whole-period row's period: its words on the page, its months (ISO) in the CSV."""
    return Labelled(key, label)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text, int, money, pct, ratio, score, delta, hours, date, colour, account, flag; link (a
    # text whose row holds its address in `<key>_url`), figure (a number already written out),
    # label (a Labelled or Month: its words on the page, its key in the CSV)
    kind: str = "text"
    on_page: bool = True  # False: in the CSV only
    # A text column of keys ("low", "better"): the words the page shows for each; the CSV
    # keeps the keys.
    words: Mapping[str, Any] | None = None

    def text(self, value: Any) -> str:
        if self.words is not None and value in self.words:
            return str(self.words[value])
        return _display(value, self.kind)

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str
    value: Any = None
    url: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


def _display(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "int":
        return formats.number(value)
    if kind == "money":
        return formats.money(value)
    if kind == "pct":
        return f"{formats.number(value, 1)}%"
    if kind == "ratio":
        return formats.number(value, 2)
    if kind == "score":
        return formats.number(value, 1)
    if kind == "delta":
        return ("+" if value > 0 else "−" if value < 0 else "") + formats.number(abs(value), 1)
    if kind == "hours":
        return duration_text(value)
    if kind == "date":
        return formats.day(value)
    if kind == "flag":
        return _("yes") if value else ""
    if kind == "label" and isinstance(value, Month | Labelled):
        return value.label
    return str(value)


# Beyond two days a time reads better in days ("11.7 d", not "280 h").
DAYS_FROM_HOURS = 48


def duration_text(hours: float | None) -> str:
    """Hours as a person reads them: "5.5 h" up to 48 hours, "2.1 d" beyond."""
    if hours is None or not math.isfinite(hours):
        return "–"
    if hours > DAYS_FROM_HOURS:
        return _("%(days)s d") % {"days": formats.number(hours / 24, 1)}
    return _("%(hours)s h") % {"hours": formats.number(hours, 1)}


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return value.quantize(CENTS)  # written "12.50", or "12,50" in the spreadsheet CSV
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else ""
    if isinstance(value, date):
        return value.isoformat()
    if kind == "flag":
        return "yes" if value else ""
    if kind == "label" and isinstance(value, Month | Labelled):
        return value.key
    return value


@dataclass
class Table:
    """Rows of a report as the page shows them and the CSV holds them (the CSV gets every row
    and raw numbers; the page at most `limit` rows, formatted)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    limit: int | None = None
    note: str = ""

    @property
    def page_columns(self) -> list[Column]:
        return [c for c in self.columns if c.on_page]

    @property
    def shown(self) -> list[list[Cell]]:
        rows = self.rows if self.limit is None else self.rows[: self.limit]
        return [
            [
                Cell(
                    text=c.text(row.get(c.key)),
                    kind=c.kind,
                    value=row.get(c.key),
                    url=reverse("account_detail", args=[row["account_id"]])
                    if c.kind == "account" and row.get("account_id")
                    else row.get(f"{c.key}_url", "")
                    if c.kind == "link"
                    else "",
                )
                for c in self.page_columns
            ]
            for row in rows
        ]

    @property
    def hidden_rows(self) -> int:
        return 0 if self.limit is None else max(len(self.rows) - self.limit, 0)

    def csv_rows(self) -> Iterable[list]:
        yield [c.key for c in self.columns]
        for row in self.rows:
            yield [_csv_value(row.get(c.key), c.kind) for c in self.columns]


def pct_or_none(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def nps_columns(answers: str, *shares: Column) -> list[Column]:
    """An NPS breakdown's columns, as the NPS and the product-feedback tables show it: the
    number of answers (its key named by `answers`, as the CSV has it), promoters, passives,
    detractors, the `shares` given, the NPS and the small-sample flag. Cells: `nps_cells`."""
    return [
        Column(answers, _("Answers"), "int"),
        Column("promoters", _("Promoters (9–10)"), "int"),
        Column("passives", _("Passives (7–8)"), "int"),
        Column("detractors", _("Detractors (0–6)"), "int"),
        *shares,
        Column("nps", _("NPS"), "score"),
        Column(
            "small_sample",
            _("Fewer than %(n)d answers") % {"n": retention.SMALL_SAMPLE},
            "flag",
        ),
    ]


def nps_cells(answers: str, n: retention.Nps) -> dict[str, Any]:
    """The cells of `nps_columns(answers)` but the shares, for one breakdown."""
    return {
        answers: n.responses,
        "promoters": n.promoters,
        "passives": n.passives,
        "detractors": n.detractors,
        "nps": pct_or_none(n.score),
        "small_sample": n.small_sample,
    }
