"""CSV import of accounts and signal data, shared by the command, the upload page and the API.

Every row is validated (types, ranges, cross-field rules that mirror the database constraints,
references to accounts, keys repeated inside the file) and upserted on the kind's natural key,
all in one transaction. A bad row is reported as `FILE:LINE: column: reason`; by default a file
with any bad row writes nothing (the transaction is rolled back), with `skip_invalid` the good
rows land and the bad ones are listed.

Speed matters (a usage file can have millions of rows): rows are parsed in chunks by a worker
thread while the main thread writes the previous chunk, rows stay plain lists, and the write
side works column by column. See bench/import_bench.py.
"""

import codecs
import csv
import gc
import io
import logging
import math
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import call, itemgetter
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, connection, models, transaction

from accounts.dates import OUTSIDE, in_window
from accounts.models import Account, LifecycleStage, Segment
from signals.models import (
    EmailMessage,
    Invoice,
    Sentiment,
    SentimentEntry,
    SubscriptionLine,
    Ticket,
    TicketPriority,
    UsageRecord,
)
from signals.upsert import Upsert, UpsertCounts, is_write_conflict
from surveys.models import SurveyResponse, SurveyType

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------- cell parsers
# Each takes a stripped, non-empty cell and returns a value or raises ValueError(reason).
# They run once per cell of files with millions of cells, so the common case comes first.


def text(max_length: int) -> Callable[[str], str]:
    def parse(cell: str) -> str:
        if len(cell) > max_length:
            raise ValueError(f"is longer than {max_length} characters")
        return cell

    return parse


def whole_number(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    def parse(cell: str) -> int:
        try:
            value = int(cell)
        except ValueError:
            raise ValueError(f"'{cell}' is not a whole number") from None
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            raise ValueError(f"{value} is outside {minimum}–{maximum}")
        return value

    return parse


def number(cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a number") from None
    if 0 <= value < math.inf:  # one test for the common case; NaN fails it too
        return value
    if not math.isfinite(value):
        raise ValueError(f"'{cell}' is not a finite number")
    raise ValueError(f"{cell} is negative; it must be 0 or more")


CENT = Decimal("0.01")


def money(cell: str) -> Decimal:
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise ValueError(f"'{cell}' is not a number") from None
    if not value.is_finite():
        raise ValueError(f"'{cell}' is not a finite number")
    if value < 0:
        raise ValueError(f"{cell} is negative; it must be 0 or more")
    too_precise = value.as_tuple().exponent < -2  # type: ignore[operator]
    # 10.500 is 10.50; 10.005 would be rounded by the database, so it is refused instead.
    if value >= Decimal("1e10") or too_precise and value != value.quantize(CENT):
        raise ValueError(f"{cell} needs at most 10 digits before and 2 after the point")
    return value.quantize(CENT) if too_precise else value


@lru_cache(maxsize=4096)  # a file repeats the same few hundred days over and over
def iso_date(cell: str) -> date:
    try:
        value = date.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a date; use YYYY-MM-DD") from None
    if not in_window(value):
        raise ValueError(f"'{cell}' {OUTSIDE}")
    return value


def iso_datetime(cell: str) -> datetime:
    try:
        value = datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a date-time; use YYYY-MM-DDTHH:MM:SS+00:00") from None
    # A time without a zone is taken as UTC, the zone billing and help-desk exports use.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # Real zones lie within ±14 h; PostgreSQL refuses offsets past ±15:59.
    elif abs(value.utcoffset()) >= timedelta(hours=16):
        raise ValueError(f"'{cell}' has a time-zone offset beyond ±15:59")
    if not in_window(value):
        raise ValueError(f"'{cell}' {OUTSIDE} (in UTC)")
    return value


def choice(choices: type[models.TextChoices]) -> Callable[[str], str]:
    allowed = {value: value for value in choices.values}
    allowed.update({label.lower(): value for value, label in choices.choices})

    def parse(cell: str) -> str:
        value = allowed.get(cell.lower())
        if value is None:
            raise ValueError(f"'{cell}' is not one of: {', '.join(choices.values)}")
        return value

    return parse


def boolean(cell: str) -> bool:
    lowered = cell.lower()
    if lowered in ("true", "1", "yes", "y", "t"):
        return True
    if lowered in ("false", "0", "no", "n", "f"):
        return False
    raise ValueError(f"'{cell}' is not true or false")


def email(cell: str) -> str:
    try:
        validate_email(cell)
    except ValidationError:
        raise ValueError(f"'{cell}' is not an e-mail address") from None
    return cell.lower()


# ---------------------------------------------------------------- kinds


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = False
    blank: Any = None  # value of an empty optional cell
    help: str = ""

    def reader(self) -> Callable[[str], Any]:
        """Raw cell -> value: strips, fills or refuses a blank cell, then parses."""
        parse, blank = self.parse, self.blank
        if self.required:

            def read(cell: str) -> Any:
                cell = cell.strip()
                if cell:
                    return parse(cell)
                raise ValueError("is required")

        else:

            def read(cell: str) -> Any:
                cell = cell.strip()
                return parse(cell) if cell else blank

        return read


@dataclass(frozen=True)
class Rule:
    """A cross-field rule mirroring a database check: `later` must come after `earlier`.

    It is checked only when the file has both columns and both cells are filled."""

    later: str
    earlier: str
    strictly: bool = False

    @property
    def reason(self) -> str:
        return f"must be {'after' if self.strictly else 'on or after'} {self.earlier}"

    def holds(self, later: Any, earlier: Any) -> bool:
        if later is None or earlier is None:
            return True
        return later > earlier if self.strictly else later >= earlier


def after(later: str, earlier: str, *, strictly: bool = False) -> Rule:
    return Rule(later, earlier, strictly)


@dataclass(frozen=True)
class ImportKind:
    name: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key, as column names
    rules: tuple[Rule, ...] = ()  # checked on each row; they mirror the database's checks
    description: str = ""
    fixed: tuple[tuple[str, Any], ...] = ()  # model fields every row of this kind gets

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


ACCOUNT = Column("account", text(64), required=True, help="external id of the account")

KINDS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (
        ImportKind(
            "accounts",
            Account,
            (
                Column("external_id", text(64), required=True, help="the CRM's unique key"),
                Column("name", text(200), required=True),
                Column("owner", text(150), help="username of the CSM"),
                Column("segment", choice(Segment), blank=Segment.SMB),
                Column("lifecycle_stage", choice(LifecycleStage), blank=LifecycleStage.ADOPTION),
                Column("licensed_seats", whole_number(0, 2_000_000_000)),
                Column("churned_on", iso_date, help="recorded churn date; overrides subscriptions"),
                Column("churn_reason", text(200), blank=""),
            ),
            key=("external_id",),
            description="Customer accounts, keyed by external id.",
        ),
        ImportKind(
            "subscriptions",
            SubscriptionLine,
            (
                ACCOUNT,
                Column("subscription_id", text(64), required=True),
                Column("product", text(100), required=True),
                Column("mrr", money, required=True),
                Column("start_date", iso_date, required=True),
                Column("end_date", iso_date, help="empty while the line is open"),
                Column("is_trial", boolean, blank=False),
            ),
            key=("subscription_id", "start_date"),
            rules=(after("end_date", "start_date", strictly=True),),
            description="Subscription lines; a line covers start_date <= day < end_date.",
        ),
        ImportKind(
            "usage",
            UsageRecord,
            (
                ACCOUNT,
                Column("date", iso_date, required=True),
                Column("metric", text(64), required=True, help="any name, e.g. logins"),
                Column("value", number, required=True),
            ),
            key=("account", "metric", "date"),
            description="Daily product-usage metrics.",
        ),
        ImportKind(
            "invoices",
            Invoice,
            (
                ACCOUNT,
                Column("invoice_number", text(64), required=True),
                Column("issued_on", iso_date, required=True),
                Column("due_on", iso_date, required=True),
                Column("paid_on", iso_date, help="empty while unpaid"),
                Column("amount", money, required=True),
            ),
            key=("invoice_number",),
            rules=(after("due_on", "issued_on"), after("paid_on", "issued_on")),
            description="Invoices, paid or not.",
        ),
        ImportKind(
            "tickets",
            Ticket,
            (
                ACCOUNT,
                Column("ticket_id", text(64), required=True),
                Column("subject", text(200), blank=""),
                Column("priority", choice(TicketPriority), blank=TicketPriority.NORMAL),
                Column("opened_at", iso_datetime, required=True),
                Column("first_response_at", iso_datetime),
                Column("resolved_at", iso_datetime),
                Column("csat", whole_number(1, 5)),
            ),
            key=("ticket_id",),
            rules=(after("first_response_at", "opened_at"), after("resolved_at", "opened_at")),
            description="Support tickets.",
        ),
        ImportKind(
            "emails",
            EmailMessage,
            (
                ACCOUNT,
                Column("message_id", text(128), required=True),
                Column("subject", text(200), blank=""),
                Column("sent_at", iso_datetime, required=True),
                Column("opened_at", iso_datetime),
                Column("clicked_at", iso_datetime),
            ),
            key=("message_id",),
            rules=(after("opened_at", "sent_at"), after("clicked_at", "sent_at")),
            description="E-mails sent to the account, opened and clicked.",
        ),
        ImportKind(
            "nps",
            SurveyResponse,
            (
                ACCOUNT,
                Column("respondent", email, required=True, help="e-mail of the contact"),
                Column("responded_on", iso_date, required=True),
                Column("score", whole_number(0, 10), required=True),
                Column("comment", text(5000), blank=""),
            ),
            key=("account", "respondent", "responded_on"),
            description="NPS answers, 0–10.",
            fixed=(("survey_type", SurveyType.NPS),),
        ),
        ImportKind(
            "sentiment",
            SentimentEntry,
            (
                ACCOUNT,
                Column("recorded_on", iso_date, required=True),
                Column("sentiment", choice(Sentiment), required=True),
                Column("note", text(5000), blank=""),
                Column("author", text(150), help="username of the CSM"),
            ),
            key=("account", "recorded_on"),
            description="The CSM's own read: green, yellow or red.",
        ),
    )
}

# Columns that name another row: resolved to ids after parsing, in one query per file.
_REFERENCES = {"account": "account_id", "owner": "owner_id", "author": "author_id"}


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def format(self, source: str) -> str:
        if self.line == 0:  # about the whole file
            return f"{source}: {self.reason}"
        return f"{source}:{self.line}: {self.column}: {self.reason}"


@dataclass
class ImportResult:
    kind: str
    source: str
    rows: int = 0  # data rows read
    written: int = 0  # good rows passed to the upsert
    account_ids: set[int] = field(default_factory=set)  # accounts whose data was written
    created: int = 0  # of which new
    updated: int = 0  # of which existed with other values (the rest were already so)
    errors: list[RowError] = field(default_factory=list)
    skip_invalid: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unchanged(self) -> int:
        return self.written - self.created - self.updated

    @property
    def unchanged_or_updated(self) -> int:
        return self.written - self.created

    def error_lines(self) -> list[str]:
        return [error.format(self.source) for error in self.errors]

    def summary(self) -> str:
        if self.errors and not self.written:
            return (
                f"{self.source}: {len(self.errors)} error(s) in {self.rows} row(s); "
                "nothing was imported."
            )
        if not self.rows:
            return f"{self.source}: the file has a header but no rows; nothing to import."
        text_ = (
            f"{self.source}: {self.written} of {self.rows} {self.kind} row(s) imported "
            f"({self.created} new, {self.updated} updated, {self.unchanged} unchanged)"
        )
        if self.errors:
            text_ += f"; {len(self.errors)} error(s), bad rows skipped"
        return text_ + "."


class FileError(Exception):
    """The file cannot be read as CSV (not UTF-8, binary, empty, broken quoting).

    `line` is the line where reading stopped, or 0 when the fault is the file's as a whole."""

    def __init__(self, reason: str, line: int = 0):
        super().__init__(reason)
        self.line = line

    def as_row_error(self) -> RowError:
        return RowError(self.line, "(row)", str(self))


# ---------------------------------------------------------------- reading

BINARY = (
    "this is not a CSV text file (it contains binary data; "
    "a spreadsheet must be saved as CSV UTF-8)"
)


UTF16 = "the file is UTF-16 text; save it as CSV UTF-8"


def _looks_like_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte-order mark: in mostly-ASCII text every other byte is NUL."""
    sample = raw[:4096]
    half = len(sample) // 2
    high, low = sample[0::2].count(0), sample[1::2].count(0)
    return half > 0 and (high == 0 < low or low == 0 < high) and max(high, low) > half * 0.6


def _csv_reason(exc: csv.Error) -> str:
    # A quote opened and never closed swallows the rest of the file: the csv module then says
    # "unexpected end of data", or, past its cell size limit, "field larger than field limit".
    if "unexpected end of data" in str(exc):
        return "a quoted cell starts here and is never closed"
    if "field larger than field limit" in str(exc):
        return (
            f"a cell here is longer than {csv.field_size_limit():,} characters; "
            "is a quote left open?"
        )
    return f"is not valid CSV: {exc}"


def read_csv(raw: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Decode and split a CSV file; return its header and (line number, cells) of each data row.

    The line number is the line a row starts on (a quoted cell may span lines)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" and some Windows tools write UTF-16 with a byte-order mark,
        # which says for sure what the file is: read it.
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise FileError(UTF16) from None
    if b"\x00" in raw:  # text never holds NUL; spreadsheets, images and archives do
        raise FileError(UTF16 if _looks_like_utf16(raw) else BINARY)
    try:
        content = raw.decode("utf-8-sig")  # -sig drops the byte-order mark Excel writes
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FileError(
            f"the file is not UTF-8 text (line {line}, byte {exc.start + 1}); save it as UTF-8 CSV"
        ) from None
    if not content.strip():
        raise FileError("the file is empty; expected a header row naming the columns")
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as exc:
        raise FileError(_csv_reason(exc), line=1) from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileError(_csv_reason(exc), line=start) from None
            # Blank lines, and rows of blank cells that spreadsheets leave at the end, are not rows.
            if cells and (cells[0].strip() or any(cell.strip() for cell in cells)):
                yield start, cells

    return header, rows()


# An error names at most this many columns or values: a header of a million unknown columns
# must not become a message of megabytes.
LISTED = 20
SHOWN_CELL = 60  # characters of a bad cell quoted in its error


def listed(names: Sequence[str], limit: int = LISTED) -> str:
    """'a, b, c' — or the first `limit` names and '… and N more'."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} … and {len(names) - limit:,} more"


def _shortened(cell: str) -> str:
    return cell if len(cell) <= SHOWN_CELL else f"{cell[:SHOWN_CELL]}… ({len(cell):,} characters)"


def check_header(kind: ImportKind, header: list[str]) -> list[RowError]:
    known = {c.name for c in kind.columns}
    errors = []
    seen: set[str] = set()
    twice: dict[str, None] = {}  # in order of appearance, each name once
    for name in header:
        if name in seen:
            twice[name] = None
        seen.add(name)
    if twice:
        errors.append(RowError(1, listed(list(twice)), "column appears twice in the header"))
    unknown = [name or "(blank)" for name in header if name not in known]
    missing = [name for name in kind.required if name not in header]
    if unknown:
        takes = ", ".join(c.name for c in kind.columns)
        errors.append(
            RowError(1, listed(unknown), f"unknown column; {kind.name} files take: {takes}")
        )
    if missing:
        hint = " (is this a CSV file of the right kind?)" if not (known & set(header)) else ""
        errors.append(RowError(1, ", ".join(missing), f"required column is missing{hint}"))
    return errors


# ---------------------------------------------------------------- validating

# Rows parsed, then written, at a time: the parser works on the next chunk while the
# database takes the previous one.
CHUNK_ROWS = 50_000


class RowChecker:
    """Parses and checks rows (types, ranges, cross-field rules, keys repeated in the file).

    Good rows come out as plain lists in header order, not dicts, and a good row costs one
    pass of the cell readers: this loop runs a million times for a big usage file."""

    def __init__(self, kind: ImportKind, header: Sequence[str]):
        self.columns = [kind.column(name) for name in header]
        self.readers = [column.reader() for column in self.columns]
        self.width = len(header)
        position = {name: index for index, name in enumerate(header)}
        self.rules = [
            (rule, position[rule.later], position[rule.earlier])
            for rule in kind.rules
            if rule.later in position and rule.earlier in position
        ]
        self.key_of = itemgetter(*(position[name] for name in kind.key))
        self.key_names = ", ".join(kind.key)
        self.first_seen: dict[Any, int] = {}  # key -> line, across the whole file
        self.errors: list[RowError] = []
        self.count = 0  # rows read

    def chunks(
        self, rows: Iterable[tuple[int, Sequence[str]]], size: int = CHUNK_ROWS
    ) -> Iterator[tuple[list[int], list[list[Any]]]]:
        """(lines, good rows) by chunks of `size` good rows; bad rows go to self.errors."""
        readers, width, rules, key_of = self.readers, self.width, self.rules, self.key_of
        first_seen, errors = self.first_seen, self.errors
        lines: list[int] = []
        parsed: list[list[Any]] = []
        for line, cells in rows:
            self.count += 1
            if len(cells) != width:
                reason = f"has {len(cells)} cells; the header has {width}"
                errors.append(RowError(line, "(row)", reason))
                continue
            try:
                values = list(map(call, readers, cells))  # each cell through its column's reader
            except ValueError:
                errors.extend(self._cell_errors(line, cells))
                continue
            if rules:
                broken = [
                    RowError(line, rule.later, rule.reason)
                    for rule, later, earlier in rules
                    if not rule.holds(values[later], values[earlier])
                ]
                if broken:
                    errors.extend(broken)
                    continue
            first = first_seen.setdefault(key_of(values), line)
            if first != line:
                errors.append(RowError(line, self.key_names, f"repeats the key of line {first}"))
                continue
            lines.append(line)
            parsed.append(values)
            if len(parsed) == size:
                yield lines, parsed
                lines, parsed = [], []
        if parsed:
            yield lines, parsed

    def _cell_errors(self, line: int, cells: Sequence[str]) -> list[RowError]:
        """Every bad cell of a row that failed (the fast path stops at the first)."""
        errors = []
        for column, read, cell in zip(self.columns, self.readers, cells, strict=True):
            try:
                read(cell)
            except ValueError as exc:
                reason, cell = str(exc), cell.strip()
                if len(cell) > SHOWN_CELL:  # a reason quotes its cell: not all of a huge one
                    reason = reason.replace(cell, _shortened(cell))
                errors.append(RowError(line, column.name, reason))
        return errors


def _lookup(model: type[models.Model], field_name: str, names: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    names_list = sorted(names)
    step = connection.features.max_query_params or len(names_list)  # SQLite caps it (999)
    for start in range(0, len(names_list), step):
        chunk = names_list[start : start + step]
        found.update(
            model._default_manager.filter(**{f"{field_name}__in": chunk}).values_list(
                field_name, "pk"
            )
        )
    return found


class References:
    """Replaces account external ids and usernames by primary keys, chunk by chunk; each name
    is looked up once per file."""

    def __init__(self, header: Sequence[str]):
        self.columns = [(index, name) for index, name in enumerate(header) if name in _REFERENCES]
        # name -> primary key, per column; a blank optional cell (None) stays None.
        self.found: dict[str, dict[str | None, int | None]] = {
            name: {None: None} for _, name in self.columns
        }
        self.errors: list[RowError] = []

    def resolve(self, lines: list[int], columns: list[Sequence[Any]]) -> list[Sequence[Any]]:
        """The chunk's columns with references resolved, less the rows naming an unknown one."""
        for index, name in self.columns:
            found, names = self.found[name], columns[index]
            wanted = set(names) - found.keys()
            if wanted:
                if name == "account":
                    found.update(_lookup(Account, "external_id", wanted))
                else:
                    found.update(_lookup(get_user_model(), "username", wanted))
            if found.keys() >= wanted:  # the common case: map in C, no loop over rows
                columns[index] = list(map(found.__getitem__, names))
                continue
            what = "account" if name == "account" else "user"
            keep = [position for position, ref in enumerate(names) if ref in found]
            self.errors.extend(
                RowError(line, name, f"unknown {what} '{ref}'")
                for line, ref in zip(lines, names, strict=True)
                if ref not in found
            )
            columns[index] = [found.get(ref) for ref in names]
            columns = [[column[position] for position in keep] for column in columns]
            lines = [lines[position] for position in keep]
        return columns


# ---------------------------------------------------------------- importing


def _upserter(kind: ImportKind, header: Sequence[str]) -> Upsert:
    """Upsert of validated rows (header order, then the kind's fixed values). Only the columns
    in the file are updated on existing rows; new rows get the model's defaults for the rest."""
    fixed_names = [name for name, _ in kind.fixed]
    return Upsert(
        kind.model,
        columns=[_REFERENCES.get(name, name) for name in header] + fixed_names,
        key=[_REFERENCES.get(name, name) for name in kind.key] + fixed_names,
        update=[_REFERENCES.get(name, name) for name in header if name not in kind.key],
    )


@contextmanager
def _no_garbage_collection():
    """Pause the cycle collector: a big file makes millions of small lists and tuples, none in
    a cycle, and each automatic collection would walk all of them again (a third of the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_DONE = object()


def _in_background(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Yield what `items` yields, computed ahead in a worker thread.

    Parsing is Python work and writing is mostly waiting for the database (the GIL is free
    meanwhile), so on two cores the parse of one chunk hides behind the write of the one
    before. The worker touches no database: Django connections belong to their thread."""
    handover: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                handover.put(item)
                if stop.is_set():
                    return
            handover.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            handover.put(exc)

    worker = threading.Thread(target=work, name="csv-import-parser", daemon=True)
    worker.start()
    try:
        while (item := handover.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # On an early exit, free the worker: it stops after at most one more item.
        stop.set()
        while worker.is_alive():
            with suppress(queue.Empty):
                handover.get_nowait()
            worker.join(timeout=0.05)


def csv_import(
    *,
    kind: str,
    raw: bytes,
    source: str = "<upload>",
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate and import one CSV file of `kind`. Nothing is written unless it all checks out
    (or, with `skip_invalid`, the good rows are written and the bad ones reported).

    `progress(n)` is called as rows are read and again as they are written."""
    with _no_garbage_collection():
        return _csv_import(KINDS[kind], raw, source, skip_invalid, progress)


def _csv_import(kind, raw, source, skip_invalid, progress) -> ImportResult:
    result = ImportResult(kind=kind.name, source=source, skip_invalid=skip_invalid)
    try:
        header, rows = read_csv(raw)
    except FileError as exc:
        result.errors = [exc.as_row_error()]
        return result
    result.errors = check_header(kind, header)
    if result.errors:
        return result
    checker = RowChecker(kind, header)
    references = References(header)
    upsert = _upserter(kind, header)
    fixed = [value for _, value in kind.fixed]
    # Which accounts the file touched, so the caller can rescore them.
    account_column = header.index("account") if "account" in header else None
    written = read = 0
    counts = UpsertCounts()
    try:
        # One transaction: chunks are written as they are checked, and rolled back if a bad
        # row turns up later (unless skip_invalid), so nothing of a bad file stays.
        with transaction.atomic():
            for lines, chunk in _in_background(checker.chunks(rows)):
                if progress:
                    progress(checker.count - read)
                    read = checker.count
                # Column by column from here on: references resolve, and COPY text is built,
                # with C-level maps instead of Python loops over the rows.
                columns = references.resolve(lines, list(zip(*chunk, strict=True)))
                if (checker.errors or references.errors) and not skip_invalid:
                    continue  # doomed: read on only to report every bad row
                good = len(columns[0])
                columns.extend([value] * good for value in fixed)
                upsert.write_columns(columns)
                if account_column is not None:
                    result.account_ids.update(columns[account_column])
                written += good
                if progress:
                    progress(good)
            if progress:
                progress(checker.count - read)
            result.errors = sorted(checker.errors + references.errors, key=lambda e: e.line)
            if result.errors and not skip_invalid:
                transaction.set_rollback(True)
                written = 0
                result.account_ids.clear()
            else:
                counts = upsert.finish()
    except FileError as exc:
        # Broken quoting stops the reading at that line: report it after the bad rows found
        # before it, and write nothing (the chunks already written are rolled back).
        found = sorted(checker.errors + references.errors, key=lambda e: e.line)
        result.errors = [*found, exc.as_row_error()]
        return result
    except DatabaseError as exc:
        # Validation mirrors the constraints, so this is unexpected; say so rather than fail.
        # The database's own words (SQL, tables, constraints) go to the log, not to the page.
        if is_write_conflict(exc):
            reason = "other imports were writing the same rows at that moment; import it again"
        else:
            logger.exception("%s: the database refused the rows of %s", kind.name, source)
            reason = "the database refused the rows (the server log says why)"
        result.errors.append(RowError(0, "(file)", reason))
        return result
    finally:
        result.rows = checker.count
    result.written, result.created, result.updated = written, counts.created, counts.updated
    return result


def count_lines(raw: bytes) -> int:
    """Data rows in a file, roughly (for a progress bar's total)."""
    return max(raw.count(b"\n") - 1 + (0 if raw.endswith(b"\n") else 1), 0)
