"""CSV import of accounts and signal data, shared by the command, the upload page and the API.

A file is read whole, every row is validated (types, ranges, cross-field rules that mirror the
database constraints, references to accounts, keys repeated inside the file), and only then
written in one transaction with an upsert on the kind's natural key. A bad row is reported as
`FILE:LINE: column: reason`; by default a file with any bad row writes nothing, with
`skip_invalid` the good rows land and the bad ones are listed.
"""

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, models, transaction

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
from signals.upsert import bulk_upsert
from surveys.models import SurveyResponse, SurveyType

# ---------------------------------------------------------------- cell parsers
# Each takes a stripped, non-empty cell and returns a value or raises ValueError(reason).


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
    if not math.isfinite(value):
        raise ValueError(f"'{cell}' is not a finite number")
    if value < 0:
        raise ValueError(f"{cell} is negative; it must be 0 or more")
    return value


def money(cell: str) -> Decimal:
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise ValueError(f"'{cell}' is not a number") from None
    if not value.is_finite():
        raise ValueError(f"'{cell}' is not a finite number")
    if value < 0:
        raise ValueError(f"{cell} is negative; it must be 0 or more")
    if value >= Decimal("1e10") or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"{cell} needs at most 10 digits before and 2 after the point")
    return value


def iso_date(cell: str) -> date:
    try:
        return date.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a date; use YYYY-MM-DD") from None


def iso_datetime(cell: str) -> datetime:
    try:
        value = datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a date-time; use YYYY-MM-DDTHH:MM:SS+00:00") from None
    # A time without a zone is taken as UTC, the zone billing and help-desk exports use.
    return value if value.tzinfo else value.replace(tzinfo=dt_timezone.utc)


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


# Cross-field rules: (column, test on the parsed row, reason). The test is skipped when a
# value it needs is missing.
Rule = tuple[str, Callable[[dict[str, Any]], bool], str]


def after(later: str, earlier: str, *, strictly: bool = False) -> Rule:
    def ok(row: dict[str, Any]) -> bool:
        a, b = row.get(later), row.get(earlier)
        return a is None or b is None or (a > b if strictly else a >= b)

    word = "after" if strictly else "on or after"
    return (later, ok, f"must be {word} {earlier}")


@dataclass(frozen=True)
class ImportKind:
    name: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key, as column names
    rules: tuple[Rule, ...] = ()
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
    written: int = 0  # rows upserted
    created: int = 0  # of which new
    errors: list[RowError] = field(default_factory=list)
    skip_invalid: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unchanged_or_updated(self) -> int:
        return self.written - self.created

    def error_lines(self) -> list[str]:
        return [error.format(self.source) for error in self.errors]

    def summary(self) -> str:
        if self.errors and not self.written:
            return (
                f"{self.source}: {len(self.errors)} error(s) in {self.rows} row(s); nothing was imported."
            )
        text_ = (
            f"{self.source}: {self.written} of {self.rows} {self.kind} row(s) imported "
            f"({self.created} new, {self.unchanged_or_updated} updated or unchanged)"
        )
        if self.errors:
            text_ += f"; {len(self.errors)} error(s), bad rows skipped"
        return text_ + "."


class FileError(Exception):
    """The file as a whole cannot be read (not UTF-8, not CSV, empty, wrong header)."""


# ---------------------------------------------------------------- reading


def read_csv(raw: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Decode and split a CSV file; return its header and (line number, cells) of each data row."""
    if not raw.strip():
        raise FileError("the file is empty; expected a header row naming the columns")
    if b"\x00" in raw[:65536]:
        raise FileError("this is not a CSV text file (it contains binary data)")
    try:
        content = raw.decode("utf-8-sig")  # -sig drops the byte-order mark Excel writes
    except UnicodeDecodeError as exc:
        raise FileError(f"the file is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise FileError(f"the header row cannot be read: {exc}") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileError(f"line {reader.line_num}: this is not valid CSV: {exc}") from None
            if cells and any(cell.strip() for cell in cells):
                yield reader.line_num, cells

    return header, rows()


def check_header(kind: ImportKind, header: list[str]) -> list[RowError]:
    known = {c.name for c in kind.columns}
    errors = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, "column appears twice in the header"))
        seen.add(name)
    unknown = [name for name in header if name not in known]
    missing = [name for name in kind.required if name not in header]
    if unknown:
        errors.append(
            RowError(1, ", ".join(n or "(blank)" for n in unknown),
                     f"unknown column; {kind.name} files take: {', '.join(c.name for c in kind.columns)}")
        )
    if missing:
        hint = " (is this a CSV file of the right kind?)" if not (known & set(header)) else ""
        errors.append(RowError(1, ", ".join(missing), f"required column is missing{hint}"))
    return errors


# ---------------------------------------------------------------- validating


@dataclass
class Validated:
    rows: list[dict[str, Any]]  # attname -> value, ready to upsert
    errors: list[RowError]
    count: int  # rows seen


def validate_rows(
    kind: ImportKind,
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    progress: Callable[[int], None] | None = None,
) -> Validated:
    """Parse and check every row; resolve account and user references; find repeated keys."""
    plan = [(index, kind.column(name)) for index, name in enumerate(header)]
    width = len(header)
    parsed: list[tuple[int, dict[str, Any]]] = []
    errors: list[RowError] = []
    first_seen: dict[tuple, int] = {}
    count = 0
    for line, cells in rows:
        count += 1
        if progress and count % 10_000 == 0:
            progress(10_000)
        if len(cells) != width:
            errors.append(RowError(line, "(row)", f"has {len(cells)} cells; the header has {width}"))
            continue
        values: dict[str, Any] = {}
        bad = False
        for index, column in plan:
            cell = cells[index].strip()
            if not cell:
                if column.required:
                    errors.append(RowError(line, column.name, "is required"))
                    bad = True
                values[column.name] = column.blank
                continue
            try:
                values[column.name] = column.parse(cell)
            except ValueError as exc:
                errors.append(RowError(line, column.name, str(exc)))
                bad = True
        if bad:
            continue
        rule_failed = False
        for column_name, ok, reason in kind.rules:
            if not ok(values):
                errors.append(RowError(line, column_name, reason))
                rule_failed = True
        if rule_failed:
            continue
        key = tuple(values[name] for name in kind.key)
        if key in first_seen:
            errors.append(
                RowError(line, ", ".join(kind.key), f"repeats the key of line {first_seen[key]}")
            )
            continue
        first_seen[key] = line
        parsed.append((line, values))
    if progress:
        progress(count % 10_000)
    good, reference_errors = _resolve_references(parsed)
    errors.extend(reference_errors)
    errors.sort(key=lambda e: e.line)
    return Validated(rows=good, errors=errors, count=count)


def _lookup(model: type[models.Model], field_name: str, names: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    names_list = sorted(names)
    for start in range(0, len(names_list), 900):  # SQLite caps the parameters of one query
        chunk = names_list[start : start + 900]
        found.update(
            model._default_manager.filter(**{f"{field_name}__in": chunk}).values_list(field_name, "pk")
        )
    return found


def _resolve_references(parsed: list[tuple[int, dict[str, Any]]]) -> tuple[list[dict], list[RowError]]:
    if not parsed:
        return [], []
    present = [name for name in _REFERENCES if name in parsed[0][1]]
    lookups: dict[str, dict[str, int]] = {}
    for name in present:
        wanted = {values[name] for _, values in parsed if values[name] is not None}
        if name == "account":
            lookups[name] = _lookup(Account, "external_id", wanted)
        else:
            lookups[name] = _lookup(get_user_model(), "username", wanted)
    good: list[dict] = []
    errors: list[RowError] = []
    for line, values in parsed:
        ok = True
        for name in present:
            ref = values.pop(name)
            if ref is None:
                values[_REFERENCES[name]] = None
                continue
            pk = lookups[name].get(ref)
            if pk is None:
                what = "account" if name == "account" else "user"
                errors.append(RowError(line, name, f"unknown {what} '{ref}'"))
                ok = False
            values[_REFERENCES[name]] = pk
        if ok:
            good.append(values)
    return good, errors


# ---------------------------------------------------------------- writing


def rows_write(
    kind: ImportKind,
    rows: list[dict[str, Any]],
    *,
    header: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Upsert validated rows; only the columns given are updated on existing rows. Returns new rows."""
    key = [_REFERENCES.get(name, name) for name in kind.key] + [name for name, _ in kind.fixed]
    update = [_REFERENCES.get(name, name) for name in header if name not in kind.key]
    for row in rows:
        row.update(kind.fixed)
    return bulk_upsert(kind.model, rows, key=key, update=update, progress=progress)


def csv_import(
    *,
    kind: str,
    raw: bytes,
    source: str = "<upload>",
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate and import one CSV file of `kind`. Nothing is written unless it all checks out
    (or, with `skip_invalid`, the good rows are written and the bad ones reported)."""
    import_kind = KINDS[kind]
    result = ImportResult(kind=kind, source=source, skip_invalid=skip_invalid)
    try:
        header, rows = read_csv(raw)
        header_errors = check_header(import_kind, header)
        if header_errors:
            result.errors = header_errors
            return result
        validated = validate_rows(import_kind, header, rows, progress=progress)
    except FileError as exc:
        result.errors = [RowError(0, "(file)", str(exc))]
        return result
    result.rows = validated.count
    result.errors = validated.errors
    if result.errors and not skip_invalid:
        return result
    try:
        with transaction.atomic():
            result.created = rows_write(
                import_kind, validated.rows, header=header, progress=progress
            )
    except DatabaseError as exc:
        # Validation mirrors the constraints, so this is unexpected; say so rather than fail.
        result.errors.append(RowError(0, "(file)", f"the database refused the rows: {exc}"))
        result.created = 0
        return result
    result.written = len(validated.rows)
    return result


def count_lines(raw: bytes) -> int:
    """Data rows in a file, roughly (for a progress bar's total)."""
    return max(raw.count(b"\n") - 1 + (0 if raw.endswith(b"\n") else 1), 0)

