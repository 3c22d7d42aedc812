"""How a CSV file writes its values: the delimiter (`,` or `;`, sniffed unless told), the date
format (ISO, DD.MM.YYYY, MM/DD/YYYY, DD/MM/YYYY) and the decimal mark (point or comma).

European spreadsheets save CSV with `;` between cells and a decimal comma (`12,5`), and dates
as 31.12.2026. `adapt_kind` gives a kind whose date, date-time and number columns read the
file's formats; a plain ISO file keeps the kind's own (fast) parsers untouched.
"""

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from django.utils.translation import gettext_lazy as _

from accounts.dates import in_window
from signals.cells import NOT_A_DATE, NOT_A_DATETIME, iso_date, iso_datetime, money, number, outside
from signals.kinds import ImportKind
from signals.messages import Message

DELIMITERS = {",": _("comma (,)"), ";": _("semicolon (;)"), "\t": _("tab")}

# name -> (label, regex of the date part, order of its groups)
DATE_FORMATS = {
    "iso": ("YYYY-MM-DD", None, None),
    "dmy_dot": ("DD.MM.YYYY", r"(\d{1,2})\.(\d{1,2})\.(\d{4})", "dmy"),
    "mdy_slash": ("MM/DD/YYYY", r"(\d{1,2})/(\d{1,2})/(\d{4})", "mdy"),
    "dmy_slash": ("DD/MM/YYYY", r"(\d{1,2})/(\d{1,2})/(\d{4})", "dmy"),
}
# An optional time after the date: 14:30, 14:30:05, with or without a space or a T.
TIME_PART = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"


@dataclass(frozen=True)
class CsvFormat:
    delimiter: str = ""  # "" = sniffed from the header line
    date_format: str = "iso"
    decimal_comma: bool | None = None  # None = a comma with `;` files, a point otherwise

    def decimal_comma_for(self, delimiter: str) -> bool:
        return delimiter == ";" if self.decimal_comma is None else self.decimal_comma

    def as_dict(self) -> dict:
        return {
            "delimiter": self.delimiter,
            "date_format": self.date_format,
            "decimal_comma": self.decimal_comma,
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> "CsvFormat":
        data = data or {}
        fmt = cls(
            delimiter=data.get("delimiter") or "",
            date_format=data.get("date_format") or "iso",
            decimal_comma=data.get("decimal_comma"),
        )
        if fmt.delimiter not in ("", *DELIMITERS) or fmt.date_format not in DATE_FORMATS:
            raise ValueError(f"unknown CSV format {data!r}")
        return fmt


def sniff_delimiter(first_line: str) -> str:
    """`;` or tab when the header has more of them (outside quotes) than commas, else `,`."""
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


# ---------------------------------------------------------------- numbers

GROUPED = re.compile(r"-?\d{1,3}(?:\.\d{3})+")  # 1.234.567: dots between groups of three
SPACES = str.maketrans("", "", " \u00a0\u202f'")  # thousands separators spreadsheets write


def comma_decimal(cell: str) -> str:
    """'1.234,5' -> '1234.5'; '12,5' -> '12.5'; '1.234' -> '1234'; '1.5' stays '1.5'."""
    cell = cell.translate(SPACES)
    if "," in cell:
        return cell.replace(".", "").replace(",", ".", 1)
    if GROUPED.fullmatch(cell):
        return cell.replace(".", "")
    return cell


# ---------------------------------------------------------------- dates


def _reader(fmt: str, *, with_time: bool):
    """A parser of dates (or date-times, UTC) written as `fmt`, with an optional HH:MM[:SS]
    after the date (exports add one; a date ignores it)."""
    label, regex, order = DATE_FORMATS[fmt]
    pattern = re.compile(regex + TIME_PART)
    reason, hint = (NOT_A_DATETIME, f"{label} HH:MM") if with_time else (NOT_A_DATE, label)

    def parse(cell: str) -> date | datetime:
        match = pattern.fullmatch(cell)
        value = None
        if match:
            first, second, year, hour, minute, seconds = (int(g or 0) for g in match.groups())
            day = (year, second, first) if order == "dmy" else (year, first, second)
            try:
                value = (
                    datetime(*day, hour, minute, seconds, tzinfo=UTC) if with_time else date(*day)
                )
            except ValueError:
                value = None
        if value is None:
            raise ValueError(Message(reason, cell=cell, format=hint))
        if not in_window(value):
            raise ValueError(outside(cell, utc=with_time))
        return value

    return parse


def date_reader(fmt: str):
    return iso_date if fmt == "iso" else _reader(fmt, with_time=False)


def datetime_reader(fmt: str):
    return iso_datetime if fmt == "iso" else _reader(fmt, with_time=True)


def _then(convert, parse):
    def read(cell: str):
        return parse(convert(cell))

    return read


def adapt_kind(kind: ImportKind, fmt: CsvFormat, delimiter: str) -> ImportKind:
    """`kind` with its date, date-time and number columns reading the file's formats."""
    comma = fmt.decimal_comma_for(delimiter)
    columns = []
    for column in kind.columns:
        parse = column.parse
        if parse is iso_date:
            parse = date_reader(fmt.date_format)
        elif parse is iso_datetime:
            parse = datetime_reader(fmt.date_format)
        elif comma and parse in (number, money):
            parse = _then(comma_decimal, parse)
        columns.append(replace(column, parse=parse) if parse is not column.parse else column)
    return replace(kind, columns=tuple(columns))
