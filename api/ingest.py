"""Bulk writes through the API: JSON rows in, the CSV import's validation and upsert.

A row is a JSON object named by the CSV columns of its kind (`signals.kinds.KINDS`). Each
value is turned into the text a CSV cell would hold (null -> empty, true -> "true", 12.5 ->
"12.5") and then goes through exactly the code a CSV file goes through (`signals.ingest`) —
the same parsers, cross-field rules, reference look-ups and upsert on the natural key — so an
API row and a CSV row with the same content give the same result and the same error text.

A request is all or nothing: any bad row refuses it whole, listing every bad row's index (from
0), field and reason, and nothing is written.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import methodcaller
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from scoring.rescoring import recompute_on_commit
from signals.ingest import Ingest, Writer
from signals.kinds import ImportKind
from signals.messages import Message
from signals.reading import RowError
from signals.upsert import UpsertCounts, is_write_conflict, retry_on_conflict
from signals.validating import REPEATED_KEY as REPEATED_LINE
from signals.validating import check_header

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
CELL_TYPES = {str, int, float, bool, type(None)}
LIST_COLUMNS = {"tags"}  # a list of names is one cell: "a; b"
NOT_A_CELL = _("must be text, a number, true, false or null")
NOT_NAMES = _("must be text or a list of texts")
NUL = _("contains a NUL character, which text cannot hold")
NOT_UNICODE = _("is not valid Unicode text")
NOT_AN_OBJECT = _("must be an object of field: value")
REPEATED_KEY = gettext_noop("repeats the key of row %(line)s")
TOO_MANY_ROWS = gettext_noop("has %(rows)s rows; send at most %(most)s")
UNKNOWN_ACCOUNT = gettext_noop("unknown account '%(name)s'")


@dataclass(frozen=True)
class BadRow:
    index: int | None  # None: about the request as a whole (e.g. an unknown field)
    field: str | Message
    reason: str | Message  # put into words (str()) when answered, in the caller's language


class WriteConflict(Exception):
    """Other requests kept writing the same rows at the same moment, retries included; nothing
    was written, and sending the request again is expected to work."""


class RowsRefused(Exception):
    """The request had bad rows; nothing was written."""

    def __init__(self, errors: list[BadRow]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class IngestResult:
    kind: str
    rows: int
    created: int = 0
    updated: int = 0
    account_ids: set[int] = field(default_factory=set)

    @property
    def unchanged(self) -> int:
        return self.rows - self.created - self.updated


def _cell(value: Any) -> str | None:
    """The CSV cell for a JSON value, or None when it cannot be one."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def _names_cell(value: Any) -> str | None:
    """The cell for a list of names (tags), or for one value as `_cell` reads it."""
    if isinstance(value, list):
        return "; ".join(value) if all(isinstance(v, str) for v in value) else None
    return None if isinstance(value, bool | int | float) else _cell(value)


def _header(rows: Sequence[Any]) -> list[str]:
    """Every field named by any row, in order of first appearance. A field left out of every
    row is not touched on existing rows (as a column left out of a CSV file); one left out of
    only some rows is blank on those."""
    names: dict[str, None] = {}
    for row in rows:
        if isinstance(row, dict):
            names.update(dict.fromkeys(row))
    return list(names)


def _cells(rows: Sequence[Any], header: list[str]) -> tuple[list[tuple[str, ...]], list[BadRow]]:
    """Rows as tuples of CSV cells in header order; values that cannot be cells are reported.

    Column by column, so that the common case (a column of strings, or of numbers) is a few
    C-level passes rather than a Python loop over every value."""
    errors = [
        BadRow(index, "(row)", NOT_AN_OBJECT)
        for index, row in enumerate(rows)
        if not isinstance(row, dict)
    ]
    if errors:  # check the other rows all the same, to report every bad row at once
        rows = [row if isinstance(row, dict) else {} for row in rows]
    columns: list[list[str]] = []
    for name in header:
        values = list(map(methodcaller("get", name), rows))
        kinds = set(map(type, values))
        if name in LIST_COLUMNS and not kinds <= {str}:
            values = list(map(_names_cell, values))
            if None in values:
                errors.extend(
                    BadRow(index, name, NOT_NAMES)
                    for index, value in enumerate(values)
                    if value is None
                )
                continue
        elif not kinds <= {str}:
            values = list(map(_cell, values))
            if not kinds <= CELL_TYPES:
                errors.extend(
                    BadRow(index, name, NOT_A_CELL)
                    for index, value in enumerate(values)
                    if value is None
                )
                continue
        # Text the database cannot store (a CSV file with it is refused as a whole when read).
        joined = "".join(values)
        if "\x00" in joined or not _encodable(joined):
            errors.extend(
                BadRow(index, name, NUL if "\x00" in value else NOT_UNICODE)
                for index, value in enumerate(values)
                if "\x00" in value or not _encodable(value)
            )
        columns.append(values)
    if errors:
        return [], sorted(errors, key=lambda e: e.index or 0)
    return list(zip(*columns, strict=True)), []


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800", which JSON allows
        return False
    return True


def _bad(error: RowError) -> BadRow:
    # The CSV path numbers file lines; here `line` carries the row's index.
    reason = error.reason
    if isinstance(reason, Message) and reason.text == REPEATED_LINE:
        reason = Message(REPEATED_KEY, **reason.values)
    return BadRow(error.line, error.column, reason)


__all__ = ["MAX_ROWS", "BadRow", "RowsRefused", "WriteConflict", "Writer", "rows_ingest"]


def rows_ingest(
    *,
    kind: ImportKind,
    rows: Sequence[Any],
    scope: QuerySet[Account] | None = None,
    write: Writer | None = None,
) -> IngestResult:
    """Validate `rows` (JSON objects) of `kind` and upsert them, all or nothing.

    `scope`: when given, every row's account must be in it (a CSM writes only to their own
    accounts); a row naming another account is refused as if the account did not exist.
    Raises RowsRefused listing every bad row. Touched accounts are rescored after the commit.
    """
    if len(rows) > MAX_ROWS:
        raise RowsRefused(
            [BadRow(None, "(request)", Message(TOO_MANY_ROWS, rows=len(rows), most=MAX_ROWS))]
        )
    if not rows:
        return IngestResult(kind=kind.name, rows=0)
    header = _header(rows)
    header_errors = [BadRow(None, e.column, e.reason) for e in check_header(kind, header)]
    if header_errors:
        raise RowsRefused(header_errors)
    cells, errors = _cells(rows, header)
    if errors:
        raise RowsRefused(errors)

    ingest = Ingest(kind, header, writer=write)
    # One chunk: the whole request (at most MAX_ROWS rows).
    lines, good = next(ingest.check(enumerate(cells), size=len(cells) + 1), ([], []))
    account_column = ingest.account_column
    if good and account_column is not None:
        _look_up_accounts_first(ingest, {row[account_column] for row in good})
    columns = ingest.resolve(lines, good) if good else []
    refused = [_bad(e) for e in ingest.errors]
    if not refused and scope is not None and account_column is not None and columns:
        refused = _outside_scope(scope, lines, cells, account_column, columns[account_column])
    if refused:
        raise RowsRefused(sorted(refused, key=lambda e: e.index or 0))  # stable: column order

    result = IngestResult(kind=kind.name, rows=len(rows))
    if not columns:
        return result

    def write_all() -> UpsertCounts:
        with transaction.atomic():
            ingest.start()  # again, after an attempt the database aborted
            ingest.write(columns, lines)
            counts = ingest.finish()
            if account_column is not None:
                result.account_ids = set(ingest.account_ids)
            elif kind.model is Account:
                external_ids = columns[header.index("external_id")]
                result.account_ids = set(
                    Account.objects.filter(external_id__in=external_ids).values_list(
                        "pk", flat=True
                    )
                )
            if result.account_ids:
                recompute_on_commit(sorted(result.account_ids), timezone.localdate())
        return counts

    try:
        # Concurrent writers of the same rows can still meet (the contacts writer, or other
        # writers of the table): the one PostgreSQL aborts runs again.
        counts = retry_on_conflict(write_all, what=f"{kind.name} ingest")
    except DatabaseError as exc:
        if is_write_conflict(exc):
            raise WriteConflict from None
        # Validation mirrors the constraints, so this is unexpected. The details (SQL, table
        # and constraint names) are for the log, not for the client.
        logger.exception("%s ingest: the database refused %d rows", kind.name, len(rows))
        raise RowsRefused(
            [BadRow(None, "(request)", _("the database refused the rows; nothing was written"))]
        ) from None
    result.created, result.updated = counts.created, counts.updated
    return result


def _look_up_accounts_first(ingest: Ingest, external_ids: set[str]) -> None:
    """Tell the ingest the accounts' ids in one statement taking the names as one array
    (PostgreSQL). Django's IN (...) binds and processes each of up to 10,000 names on its own,
    a third of a request's time; the CSV import pays that once per file, a request each time.
    Names not found are left to the ingest, which reports them as it does for a CSV file."""
    if connection.vendor != "postgresql" or not external_ids:
        return
    table = connection.ops.quote_name(Account._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT external_id, id FROM {table} WHERE external_id = ANY(%s)",  # noqa: S608  # nosec B608
            [list(external_ids)],
        )
        ingest.references.accounts_known(dict(cursor.fetchall()))


def _outside_scope(
    scope: QuerySet[Account],
    lines: list[int],
    cells: list[tuple[str, ...]],
    account_column: int,
    account_ids: Sequence[int],
) -> list[BadRow]:
    wanted = set(account_ids)
    allowed = set(scope.filter(pk__in=wanted).values_list("pk", flat=True))
    if allowed >= wanted:
        return []
    # Same words as for an account that does not exist: another CSM's book is not revealed.
    return [
        BadRow(line, "account", Message(UNKNOWN_ACCOUNT, name=cells[line][account_column].strip()))
        for line, account_id in zip(lines, account_ids, strict=True)
        if account_id not in allowed
    ]
