"""CSV import of accounts and signal data, for the command and the upload page (the API sends
its rows through the same checks and writes: `signals.ingest`).

Every row is validated (types, ranges, cross-field rules that mirror the database constraints,
references to accounts, keys repeated inside the file) and upserted on the kind's natural key,
all in one transaction. A bad row is reported as `FILE:LINE: column: reason`; by default a file
with any bad row writes nothing (the transaction is rolled back), with `skip_invalid` the good
rows land and the bad ones are listed.

Speed matters (a usage file can have millions of rows): rows are parsed in chunks by a worker
thread while the main thread writes the previous chunk, rows stay plain lists, and the write
side works column by column. See bench/import_bench.py.
"""

import gc
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext, gettext_noop

from signals.formats import CsvFormat, adapt_kind, sniff_delimiter
from signals.ingest import Ingest
from signals.kinds import KINDS
from signals.mapping import Mapping, check_sources, mapped_rows
from signals.messages import Message
from signals.reading import FileError, RowError, first_line, read_csv
from signals.upsert import UpsertCounts, is_write_conflict
from signals.validating import check_header

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------- results


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
        return import_summary(
            source=self.source, kind=self.kind, rows=self.rows, written=self.written,
            created=self.created, updated=self.updated, errors=len(self.errors),
        )  # fmt: skip


def import_summary(
    *, source: str, kind: str, rows: int, written: int, created: int, updated: int, errors: int
) -> str:
    """What an import did, in one sentence in the active language (a job's page says it again
    from the job's figures, in its reader's)."""
    values = {"source": source, "kind": kind, "rows": rows, "written": written,
              "created": created, "updated": updated, "unchanged": written - created - updated,
              "errors": errors}  # fmt: skip
    # The counts are read as "N row(s)" in English; the translations word them so that any
    # number fits (a sentence with two counts has no single plural form).
    if errors and not written:
        return (
            gettext("%(source)s: %(errors)s error(s) in %(rows)s row(s); nothing was imported.")
            % values
        )
    if not rows:
        return gettext("%(source)s: the file has a header but no rows; nothing to import.") % values
    if errors:
        return (
            gettext(
                "%(source)s: %(written)s of %(rows)s %(kind)s row(s) imported (%(created)s new, "
                "%(updated)s updated, %(unchanged)s unchanged); %(errors)s error(s), bad rows "
                "skipped."
            )
            % values
        )
    return (
        gettext(
            "%(source)s: %(written)s of %(rows)s %(kind)s row(s) imported (%(created)s new, "
            "%(updated)s updated, %(unchanged)s unchanged)."
        )
        % values
    )


# ---------------------------------------------------------------- importing

WRITE_CONFLICT = gettext_noop(
    "other imports were writing the same rows at that moment; import it again"
)
REFUSED_BY_DATABASE = gettext_noop("the database refused the rows (the server log says why)")


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
    mapping: Mapping | None = None,
    fmt: CsvFormat | None = None,
) -> ImportResult:
    """Validate and import one CSV file of `kind`. Nothing is written unless it all checks out
    (or, with `skip_invalid`, the good rows are written and the bad ones reported).

    With a `mapping`, the file's columns are read as the mapping says (any header); `fmt`
    (else the mapping's) says the delimiter (sniffed when not given), date and number formats.
    `progress(n)` is called as rows are read and again as they are written."""
    with _no_garbage_collection():
        return _csv_import(KINDS[kind], raw, source, skip_invalid, progress, mapping, fmt)


def open_rows(raw: bytes, kind, mapping: Mapping | None, fmt: CsvFormat | None):
    """(kind adapted to the file's formats, header, rows, header errors) of a file, mapped when
    a mapping is given. FileError when it cannot be read."""
    fmt = fmt or (mapping.format if mapping else CsvFormat())
    delimiter = fmt.delimiter or sniff_delimiter(first_line(raw))
    header, rows = read_csv(raw, delimiter, keep_case=mapping is not None)
    if mapping is not None:
        errors = check_sources(mapping, header)
        if errors:
            return kind, header, rows, errors
        header, rows = mapped_rows(mapping, header, rows)
    default = delimiter == "," and fmt.date_format == "iso" and not fmt.decimal_comma
    kind = kind if default else adapt_kind(kind, fmt, delimiter)
    return kind, header, rows, check_header(kind, header)


def _csv_import(kind, raw, source, skip_invalid, progress, mapping, fmt) -> ImportResult:
    result = ImportResult(kind=kind.name, source=source, skip_invalid=skip_invalid)
    try:
        kind, header, rows, result.errors = open_rows(raw, kind, mapping, fmt)
    except FileError as exc:
        result.errors = [exc.as_row_error()]
        return result
    if result.errors:
        return result
    ingest = Ingest(kind, header)
    result.account_ids = ingest.account_ids  # filled as chunks are written
    read = 0
    counts = UpsertCounts()
    try:
        # One transaction: chunks are written as they are checked, and rolled back if a bad
        # row turns up later (unless skip_invalid), so nothing of a bad file stays.
        with transaction.atomic():
            for lines, chunk in _in_background(ingest.check(rows)):
                if progress:
                    progress(ingest.rows_read - read)
                    read = ingest.rows_read
                columns = ingest.resolve(lines, chunk)
                if ingest.failed and not skip_invalid:
                    continue  # doomed: read on only to report every bad row
                good = ingest.write(columns, lines)
                if progress:
                    progress(good)
            if progress:
                progress(ingest.rows_read - read)
            result.errors = ingest.errors
            if result.errors and not skip_invalid:
                transaction.set_rollback(True)
                ingest.start()  # nothing written after all
            else:
                counts = ingest.finish()
    except FileError as exc:
        # Broken quoting stops the reading at that line: report it after the bad rows found
        # before it, and write nothing (the chunks already written are rolled back).
        result.errors = [*ingest.errors, exc.as_row_error()]
        return result
    except DatabaseError as exc:
        # Validation mirrors the constraints, so this is unexpected; say so rather than fail.
        # The database's own words (SQL, tables, constraints) go to the log, not to the page.
        if is_write_conflict(exc):
            reason = Message(WRITE_CONFLICT)
        else:
            logger.exception("%s: the database refused the rows of %s", kind.name, source)
            reason = Message(REFUSED_BY_DATABASE)
        result.errors.append(RowError(0, "(file)", reason))
        return result
    finally:
        result.rows = ingest.rows_read
    result.written, result.created, result.updated = ingest.written, counts.created, counts.updated
    return result


def count_lines(raw: bytes) -> int:
    """Data rows in a file, roughly (for a progress bar's total)."""
    return max(raw.count(b"\n") - 1 + (0 if raw.endswith(b"\n") else 1), 0)
