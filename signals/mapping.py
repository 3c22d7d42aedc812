"""Column mappings: any CSV file read as one of the import kinds.

A mapping names, for each field of the kind, the file's column it comes from (or a fixed
value), an optional transform (cents to units, an amount per interval to a monthly one, ...)
and an optional table of values (Stripe's `trialing` -> true). `mapped_rows` rewrites each row
into the kind's own columns, as text; the kind's parsers (adapted to the file's date and
number formats, `signals.formats`) then check it like any other file, so errors, the
all-or-nothing rule and the upsert are those of a plain import.

Transforms turn text into text and leave text they cannot read as it is: the kind's parser
then refuses it with its usual reason, quoting the cell.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_noop

from signals.cells import iso_date, iso_datetime, money, number
from signals.formats import CsvFormat
from signals.kinds import KINDS, ImportKind
from signals.messages import Message
from signals.reading import RowError

# ---------------------------------------------------------------- transforms


def _decimal(cell: str) -> Decimal | None:
    try:
        value = Decimal(cell.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def cents(cell: str, *_args: str) -> str:
    """2900 -> 29.00 (Stripe's API and some exports give amounts in the smallest unit)."""
    value = _decimal(cell)
    return cell if value is None else str((value / 100).quantize(Decimal("0.01")))


MONTHS_PER = {"day": Decimal(12) / 365, "week": Decimal(12) / 52, "month": 1, "year": 12}
INTERVALS = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year",
             "annual": "year", "annually": "year", "": "month"}  # fmt: skip


def per_month(cell: str, interval: str = "month", quantity: str = "1", *_args: str) -> str:
    """An amount per billing interval (day, week, month, year) times the quantity, per month."""
    interval = interval.strip().lower()
    months = MONTHS_PER.get(INTERVALS.get(interval, interval))
    value = _decimal(cell)
    count = _decimal(quantity) if quantity.strip() else Decimal(1)
    if value is None or months is None or count is None:
        return cell
    return str((value * count / Decimal(months)).quantize(Decimal("0.01")))


def date_part(cell: str, *_args: str) -> str:
    """'2026-03-01 14:03:22' -> '2026-03-01': the day of an ISO date-time."""
    return cell[:10] if len(cell) > 10 and cell[10] in " T" else cell


ZONE = re.compile(r"(\d{2}:\d{2}(?::\d{2})?)\s*(?:UTC|Z|([+-]\d{2}):?(\d{2}))$")


def timestamp(cell: str, *_args: str) -> str:
    """'2026-03-01 14:03:22 +0100' or '... UTC' -> ISO 8601; epoch seconds -> ISO 8601 (UTC)."""
    if cell.isdigit() and len(cell) >= 9:
        return datetime.fromtimestamp(int(cell), UTC).isoformat()
    return ZONE.sub(lambda m: m[1] + (f"{m[2]}:{m[3]}" if m[2] else "+00:00"), cell)


def minutes_after(cell: str, start: str = "", *_args: str) -> str:
    """A time in minutes after the `start` column's date-time (Zendesk's "First reply time in
    minutes") -> that date-time, ISO 8601."""
    minutes = _decimal(cell)
    try:
        began = iso_datetime(timestamp(start))
    except ValueError:
        return cell if minutes is None else start  # the start's own error then shows
    return cell if minutes is None else (began + timedelta(minutes=float(minutes))).isoformat()


def by_size(cell: str, *_args: str) -> str:
    """Employees -> segment: under 100 SMB, under 1,000 mid-market, else enterprise."""
    value = _decimal(cell.replace(" ", "").replace(",", ""))
    if value is None:
        return cell
    return "smb" if value < 100 else "mid_market" if value < 1000 else "enterprise"


TRANSFORMS: dict[str, Callable[..., str]] = {
    "cents": cents,
    "per_month": per_month,
    "date": date_part,
    "timestamp": timestamp,
    "minutes_after": minutes_after,
    "segment_by_size": by_size,
}

# ---------------------------------------------------------------- mappings


@dataclass(frozen=True)
class Source:
    """Where one field's text comes from."""

    column: str = ""  # the file's column (any case); "" = none
    transform: str = ""  # a TRANSFORMS name
    args: tuple[str, ...] = ()  # other columns the transform reads, in order
    values: dict[str, str] = field(default_factory=dict)  # cell (any case) -> text; "*" = others
    default: str = ""  # when there is no column or the cell is blank
    fallback: str = ""  # another column, read when this one is blank

    def as_dict(self) -> dict:
        data = {"column": self.column}
        for name in ("transform", "args", "values", "default", "fallback"):
            if getattr(self, name):
                data[name] = list(self.args) if name == "args" else getattr(self, name)
        return data

    @classmethod
    def from_dict(cls, data: dict | str) -> "Source":
        if isinstance(data, str):
            return cls(column=data)
        transform = data.get("transform", "")
        if transform and transform not in TRANSFORMS:
            raise ValueError(f"unknown transform '{transform}'")
        return cls(
            column=data.get("column", ""),
            transform=transform,
            args=tuple(data.get("args", ())),
            values={str(k).lower(): str(v) for k, v in data.get("values", {}).items()},
            default=str(data.get("default", "")),
            fallback=data.get("fallback", ""),
        )

    def columns(self) -> list[str]:
        return [name for name in (self.column, self.fallback, *self.args) if name]


@dataclass(frozen=True)
class Mapping:
    kind: str
    fields: dict[str, Source]
    format: CsvFormat = CsvFormat()

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "fields": {name: source.as_dict() for name, source in self.fields.items()},
            "format": self.format.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Mapping":
        kind = KINDS.get(data.get("kind", ""))
        if kind is None:
            raise ValueError(f"unknown kind '{data.get('kind')}'")
        known = {c.name for c in kind.columns}
        fields = {}
        for name, source in (data.get("fields") or {}).items():
            if name not in known:
                raise ValueError(f"{kind.name} has no field '{name}'")
            fields[name] = Source.from_dict(source)
        return cls(kind.name, fields, CsvFormat.from_dict(data.get("format")))

    def with_format(self, fmt: CsvFormat) -> "Mapping":
        return Mapping(self.kind, self.fields, fmt)


COLUMN_NOT_IN_FILE = gettext_noop(
    "the mapping reads column '%(column)s', which the file does not have"
)
NOT_MAPPED = gettext_noop("required field is not mapped")


def check_sources(mapping: Mapping, header: Sequence[str]) -> list[RowError]:
    """Header errors: a mapped column the file lacks, a required field left unmapped."""
    present = {name.lower() for name in header}
    errors = []
    for name, source in mapping.fields.items():
        missing = [column for column in source.columns() if column.lower() not in present]
        if missing:
            errors.append(RowError(1, name, Message(COLUMN_NOT_IN_FILE, column=missing[0])))
    kind = KINDS[mapping.kind]
    unmapped = [
        name
        for name in kind.required
        if name not in mapping.fields
        or not (mapping.fields[name].column or mapping.fields[name].default)
    ]
    if unmapped:
        errors.append(RowError(1, ", ".join(unmapped), Message(NOT_MAPPED)))
    return errors


def _field_reader(source: Source, position: dict[str, int]) -> Callable[[Sequence[str]], str]:
    """cells -> the field's text."""
    index = position[source.column.lower()] if source.column else None
    second = position[source.fallback.lower()] if source.fallback else None
    extra = [position[name.lower()] for name in source.args]
    transform = TRANSFORMS[source.transform] if source.transform else None
    values, default = source.values, source.default
    other = values.get("*")

    def read(cells: Sequence[str]) -> str:
        cell = cells[index].strip() if index is not None else ""
        if not cell and second is not None:
            cell = cells[second].strip()
        if not cell:
            return values.get("", default)
        if transform is not None:
            cell = transform(cell, *(cells[i].strip() for i in extra))
        if values:
            cell = values.get(cell.lower(), cell if other is None else other)
        return cell

    return read


def mapped_rows(
    mapping: Mapping, header: Sequence[str], rows: Iterator[tuple[int, list[str]]]
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The kind's header (the mapped fields) and each row rewritten into it. A row of another
    width than the file's header goes through as it is, for the checker to report."""
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        position.setdefault(name.lower(), index)
    names = list(mapping.fields)
    readers = [_field_reader(mapping.fields[name], position) for name in names]
    width = len(header)

    def rewritten() -> Iterator[tuple[int, list[str]]]:
        for line, cells in rows:
            if len(cells) != width:
                yield line, cells
            else:
                yield line, [read(cells) for read in readers]

    return names, rewritten()


# ---------------------------------------------------------------- proposing a mapping

# Names other tools give the fields (compared lower-case, letters and digits only).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "account": ("account id", "customer id", "customer", "company id", "organization",
                "organization id", "external id", "account external id", "client id"),
    "external_id": ("id", "record id", "account id", "company id", "customer id", "key"),
    "name": ("company name", "account name", "company", "customer name", "organization"),
    "owner": ("account owner", "company owner", "owner username", "csm", "success manager"),
    "segment": ("tier", "size"),
    "lifecycle_stage": ("lifecycle", "stage", "lifecycle stage"),
    "licensed_seats": ("seats", "licenses", "licences", "quantity"),
    "subscription_id": ("subscription", "subscription id", "id", "contract id"),
    "product": ("plan", "plan name", "product name", "price"),
    "mrr": ("monthly recurring revenue", "amount", "monthly amount", "mrr amount"),
    "start_date": ("start", "start (utc)", "start date (utc)", "started at", "created (utc)"),
    "end_date": ("ended at (utc)", "ended at", "end", "cancelled at", "canceled at (utc)"),
    "is_trial": ("trial", "trialing", "in trial"),
    "date": ("day", "event date", "timestamp"),
    "metric": ("event", "event name", "feature"),
    "value": ("count", "amount", "total", "quantity"),
    "invoice_number": ("number", "invoice", "invoice id", "id"),
    "issued_on": ("date (utc)", "invoice date", "created", "date", "issued"),
    "due_on": ("due date (utc)", "due date", "due"),
    "paid_on": ("paid at (utc)", "paid at", "paid date", "payment date"),
    "amount": ("amount due", "total", "amount paid", "invoice amount"),
    "ticket_id": ("id", "ticket", "ticket number", "conversation id", "case number"),
    "subject": ("title", "summary"),
    "priority": ("urgency", "severity"),
    "opened_at": ("created at", "created", "opened", "conversation started at", "date opened"),
    "first_response_at": ("first reply at", "first response", "conversation first replied at"),
    "resolved_at": ("solved at", "closed at", "resolved", "conversation last closed at"),
    "csat": ("satisfaction score", "rating", "conversation rating", "satisfaction"),
    "message_id": ("id", "message"),
    "sent_at": ("sent", "date sent"),
    "respondent": ("email", "e-mail", "respondent email", "contact email"),
    "responded_on": ("date", "submitted at", "response date", "created at"),
    "score": ("nps", "nps score", "rating"),
    "comment": ("feedback", "reason", "verbatim", "text"),
    "recorded_on": ("date",),
    "sentiment": ("health", "colour", "color", "rag"),
    "note": ("comment", "notes"),
    "author": ("csm", "recorded by", "user"),
}  # fmt: skip

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _normal(name: str) -> str:
    return _NOT_ALNUM.sub("", name.lower())


def _fits(column_parse: Callable, samples: list[str]) -> bool:
    """Whether every non-blank sample reads as the field's type (dates, numbers)."""
    filled = [s.strip() for s in samples if s.strip()]
    if not filled or column_parse not in (iso_date, iso_datetime, number, money):
        return False
    try:
        for cell in filled:
            column_parse(date_part(cell) if column_parse is iso_date else cell)
    except ValueError:
        return False
    return True


def propose(kind: ImportKind, header: Sequence[str], samples: list[list[str]]) -> Mapping:
    """A first mapping: a column named like the field (or a synonym) first; then, for date
    and number fields still open, a column whose sample values all read as that type."""
    normal = [_normal(name) for name in header]
    taken: set[int] = set()
    fields: dict[str, Source] = {}
    for column in kind.columns:
        names = [_normal(column.name), *(_normal(s) for s in SYNONYMS.get(column.name, ()))]
        for wanted in names:
            index = next((i for i, n in enumerate(normal) if n == wanted and i not in taken), None)
            if index is not None:
                taken.add(index)
                fields[column.name] = _source_for(column.parse, header[index], samples, index)
                break
    for column in kind.columns:
        if column.name in fields:
            continue
        for index, name in enumerate(header):
            values = [row[index] for row in samples if index < len(row)]
            if index not in taken and _fits(column.parse, values):
                taken.add(index)
                fields[column.name] = _source_for(column.parse, name, samples, index)
                break
    ordered = {c.name: fields[c.name] for c in kind.columns if c.name in fields}
    return Mapping(kind.name, ordered)


def _source_for(parse: Callable, name: str, samples: list[list[str]], index: int) -> Source:
    # A date field fed from a date-time column takes the day.
    cells = [row[index].strip() for row in samples if index < len(row)]
    if parse is iso_date and any(len(cell) > 10 for cell in cells):
        return Source(column=name, transform="date")
    return Source(column=name)
