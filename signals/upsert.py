"""Bulk upsert on a natural key: PostgreSQL COPY (straight into the table while every row is
new, else into a staging table and INSERT ... ON CONFLICT), SQLite multi-row INSERT.

Both paths are all-or-nothing inside the caller's transaction and leave rows whose values
did not change untouched (no write, `updated_at` kept), so importing the same data twice
changes nothing.

Rows are written in the order of their key, so that two imports touching the same rows lock
them in the same order: one waits for the other instead of each waiting for the other (a
deadlock). What is left — a deadlock across chunks of two big files, or with another writer —
PostgreSQL breaks by aborting one transaction; `retry_on_conflict` runs it again.
"""

import io
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from operator import methodcaller
from typing import Any

from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# Rows per COPY: big enough that per-statement costs vanish, small enough to bound the memory
# of the text built for one COPY (~4 MB for usage rows).
COPY_CHUNK = 100_000
NULL = r"\N"
UNIQUE_VIOLATION = "23505"  # SQLSTATE
# SQLSTATEs of a transaction PostgreSQL aborted to let another one through: run it again.
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
RETRIES = 3


@dataclass(frozen=True)
class UpsertCounts:
    created: int = 0  # rows that did not exist
    updated: int = 0  # rows that existed with other values (unchanged rows are not counted)


def bulk_upsert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: Sequence[str],
    update: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> UpsertCounts:
    """Insert or update `rows` (values in the order of the attnames `columns`) on the unique
    `key`, all or nothing. See Upsert."""
    with transaction.atomic():
        upsert = Upsert(model, columns=columns, key=key, update=update)
        for start in range(0, len(rows), COPY_CHUNK):
            chunk = rows[start : start + COPY_CHUNK]
            upsert.write(chunk)
            if progress:
                progress(len(chunk))
        return upsert.finish()


class Upsert:
    """Insert or update rows on a unique key, fed chunk by chunk inside one transaction.

    Existing rows get only the `update` columns, and only when one of them differs (so their
    auto_now columns move only then); new rows get the model's defaults for the columns not
    given. Call finish() at the end, inside the same transaction."""

    def __init__(
        self,
        model: type[models.Model],
        *,
        columns: Sequence[str],
        key: Sequence[str],
        update: Sequence[str],
    ):
        now = timezone.now()
        # Every other column, with the value a new row gets (primary keys come from the database).
        filled = [
            (field, _new_row_value(field, now))
            for field in model._meta.concrete_fields
            if field.attname not in columns and not field.primary_key
        ]
        given = [model._meta.get_field(name) for name in columns]
        key_columns = [model._meta.get_field(name).column for name in key]
        # Where the key's values are among the given columns, in key order.
        self.key_positions = [[f.column for f in given].index(c) for c in key_columns]
        self.table = Table(
            model=model,
            given=given,
            filled=filled,
            key=key_columns,
            update=[model._meta.get_field(name).column for name in update],
            touch=[f.column for f, _ in filled if getattr(f, "auto_now", False)],
        )
        self.postgres = connection.vendor == "postgresql"
        # PostgreSQL: COPY straight into the table while no row has met an existing one.
        self.all_new = True
        self.started = False
        self.created = 0
        self.changed = 0  # created + updated
        self.rows_before = 0  # SQLite only

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Upsert rows: sequences of values in the order of `columns`."""
        if rows:
            self.write_columns(list(zip(*rows, strict=True)))

    def write_columns(self, columns: Sequence[Sequence[Any]]) -> None:
        """Upsert rows given column by column (one sequence of values per column, all as long).

        Bulk producers hold their data this way; it lets the COPY text be built a column at a
        time by C-level map() instead of a Python loop over rows."""
        if not columns or not columns[0]:
            return
        columns = _in_key_order(columns, self.key_positions)
        if not self.started:
            self.started = True
            if not self.postgres:
                self.rows_before = self.table.model._default_manager.count()
        if self.postgres:
            text = _copy_chunk(self.table, columns)
            if self.all_new:
                # A first import into an empty table is the big one: plain COPY is a third
                # faster than staging plus INSERT ... ON CONFLICT. At the first row that exists
                # already, that chunk is rolled back and this import upserts from then on.
                self.all_new = _copy_new_rows(self.table, text)
                if self.all_new:
                    self.created += len(columns[0])
                    self.changed += len(columns[0])
                    return
                _create_stage(self.table)
            created, changed = _write_postgres(self.table, text)
            self.created += created
        else:
            changed = _write_sqlite(self.table, list(zip(*columns, strict=True)))
        self.changed += changed

    def finish(self) -> UpsertCounts:
        if not self.started:
            return UpsertCounts()
        if self.postgres:
            if not self.all_new:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE {self.table.stage}")
        else:  # SQLite counts inserted and updated rows alike; it has one writer, so count
            self.created = self.table.model._default_manager.count() - self.rows_before
        return UpsertCounts(created=self.created, updated=self.changed - self.created)


def _in_key_order(
    columns: Sequence[Sequence[Any]], positions: list[int]
) -> Sequence[Sequence[Any]]:
    """The rows (given column by column) sorted by their key, so that concurrent writers take
    the rows' locks in one order."""
    keys = [columns[position] for position in positions]
    if any(None in values for values in keys):
        return columns  # a NULL key conflicts with nothing (and does not compare): no order
    order = sorted(range(len(columns[0])), key=list(zip(*keys, strict=True)).__getitem__)
    return [list(map(column.__getitem__, order)) for column in columns]


def retry_on_conflict(write: Callable[[], Any], *, what: str = "write") -> Any:
    """Run `write` (which opens and commits its own transaction) again, up to RETRIES times in
    all, when PostgreSQL aborts it for a deadlock or a serialisation failure, after a short
    random pause so that the two writers do not meet again. Inside an outer transaction nothing
    can be retried (it is aborted as a whole): the error goes up."""
    for attempt in range(1, RETRIES + 1):
        try:
            return write()
        except OperationalError as exc:
            if not is_write_conflict(exc) or attempt == RETRIES or connection.in_atomic_block:
                raise
            pause = random.uniform(0.05, 0.15) * attempt  # jittered, growing
            code = getattr(exc.__cause__, "pgcode", "")
            logger.warning("%s aborted (%s), retrying in %.2f s", what, code, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")


def is_write_conflict(exc: Exception) -> bool:
    """Whether PostgreSQL aborted the transaction for a deadlock or a serialisation failure."""
    return getattr(exc.__cause__, "pgcode", None) in (DEADLOCK_DETECTED, SERIALIZATION_FAILURE)


def _new_row_value(field: models.Field, now: datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()  # "" for text fields that are not nullable, as Django does


@dataclass
class Table:
    model: type[models.Model]
    given: list[models.Field]  # columns the rows carry
    filled: list[tuple[models.Field, Any]]  # columns filled with one value for new rows
    key: list[str]
    update: list[str]
    touch: list[str]  # auto_now columns: set when a row really changes

    @property
    def db_table(self) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    @property
    def stage(self) -> str:
        """The session's temporary staging table for this table (PostgreSQL)."""
        return connection.ops.quote_name(f"stage_{self.model._meta.db_table}")

    @property
    def column_list(self) -> str:
        columns = [f.column for f in self.given] + [f.column for f, _ in self.filled]
        return ", ".join(map(connection.ops.quote_name, columns))

    def conflict_clause(self, distinct: str) -> str:
        """ON CONFLICT ... that updates a row only when a value differs (`distinct` is the
        null-safe "differs" operator of the database)."""
        q = connection.ops.quote_name
        target = f"ON CONFLICT ({', '.join(map(q, self.key))})"
        if not self.update:
            return f"{target} DO NOTHING"
        assignments = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in (*self.update, *self.touch))
        changed = " OR ".join(
            f"{self.db_table}.{q(c)} {distinct} excluded.{q(c)}" for c in self.update
        )
        return f"{target} DO UPDATE SET {assignments} WHERE {changed}"  # nosec B608


# ---------------------------------------------------------------- PostgreSQL


def _copy_text(value: str) -> str:
    value = value.replace("\\", "\\\\").replace("\t", "\\t")
    return value.replace("\n", "\\n").replace("\r", "\\r")


def _copy_formatter(field: models.Field) -> Callable[[Any], str]:
    """A C-level value -> COPY text function for a column without NULLs."""
    if isinstance(field, models.BooleanField):
        return {True: "t", False: "f"}.__getitem__
    if isinstance(field, models.DateField):  # DateTimeField included: both have isoformat
        return methodcaller("isoformat")
    if isinstance(field, models.JSONField):
        return partial(json.dumps, cls=field.encoder)
    return str  # numbers and keys; text is escaped separately, see _copy_column


def _copy_column(field: models.Field, values: Sequence[Any]) -> list[str]:
    """COPY text of one column of a chunk, built column-wise so the per-value work stays in C."""
    format_ = _copy_formatter(field)
    if type(field) is models.DateField:
        # A file repeats the same few days: format each distinct day once, then look them up.
        format_ = {day: NULL if day is None else day.isoformat() for day in set(values)}.get
        return list(map(format_, values))
    if None in values:
        texts = [NULL if value is None else format_(value) for value in values]
    else:
        texts = list(map(format_, values))
    if isinstance(field, models.CharField | models.TextField | models.JSONField):
        joined = "".join(texts)  # one scan finds whether any value needs escaping at all
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            texts = [
                text if value is None else _copy_text(text)
                for text, value in zip(texts, values, strict=True)
            ]
    return texts


def _copy_chunk(table: Table, columns: Sequence[Sequence[Any]]) -> str:
    """COPY text (tab-separated lines) of rows given column by column."""
    # The columns filled for new rows are the same on every line: a constant line ending.
    ending = "".join("\t" + _copy_column(field, [value])[0] for field, value in table.filled) + "\n"
    texts = [
        _copy_column(field, values) for field, values in zip(table.given, columns, strict=True)
    ]
    # zip(*texts) turns the columns of text back into lines.
    return ending.join(map("\t".join, zip(*texts, strict=True))) + ending


def _create_stage(table: Table) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table.stage}")
        cursor.execute(
            f"CREATE TEMP TABLE {table.stage} ON COMMIT DROP AS "  # noqa: S608  # nosec B608 - names quoted
            f"SELECT {table.column_list} FROM {table.db_table} WITH NO DATA"
        )


def _copy_new_rows(table: Table, text: str) -> bool:
    """COPY rows straight into the table; False, and nothing written, if one exists already."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint to undo it
            _copy(cursor, f"COPY {table.db_table} ({table.column_list}) FROM STDIN", text)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "pgcode", None) == UNIQUE_VIOLATION:
            return False
        raise
    return True


def _copy(cursor, sql: str, text: str) -> None:
    """COPY through psycopg2 itself (Django has no COPY); its errors become Django's, as for
    any other statement, so that callers can tell a deadlock or a refused row."""
    with connection.wrap_database_errors:
        cursor.cursor.copy_expert(sql, io.StringIO(text), size=1 << 20)


def _write_postgres(table: Table, text: str) -> tuple[int, int]:
    """COPY rows (as COPY text) into the staging table, then upsert them from there in one
    statement. Returns (created, created + updated)."""
    columns = table.column_list
    with connection.cursor() as cursor:
        _copy(cursor, f"COPY {table.stage} ({columns}) FROM STDIN", text)
        # xmax is 0 on a freshly inserted row version and set on an updated one; rows left
        # alone by the WHERE of the conflict clause are not returned at all.
        cursor.execute(
            "WITH written AS ("  # noqa: S608  # nosec B608 - names quoted
            f"INSERT INTO {table.db_table} ({columns}) SELECT {columns} FROM {table.stage} "
            f"{table.conflict_clause('IS DISTINCT FROM')} RETURNING xmax = 0 AS created) "
            "SELECT count(*) FILTER (WHERE created), count(*) FROM written"
        )
        created, changed = cursor.fetchone()
        cursor.execute(f"TRUNCATE {table.stage}")
    return created, changed


# ---------------------------------------------------------------- SQLite (local runs, tests)


def _write_sqlite(table: Table, rows: Sequence[Sequence[Any]]) -> int:
    """Multi-row INSERT ... ON CONFLICT; returns the rows inserted or updated."""
    fields = table.given + [field for field, _ in table.filled]
    filled_values = [field.get_db_prep_save(value, connection) for field, value in table.filled]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(connection.features.max_query_params // len(fields), 1)
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params: list[Any] = []
            for row in chunk:
                params.extend(
                    field.get_db_prep_save(value, connection)
                    for field, value in zip(table.given, row, strict=True)
                )
                params.extend(filled_values)
            cursor.execute(
                f"INSERT INTO {table.db_table} ({table.column_list}) "  # noqa: S608  # nosec B608 - quoted
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"{table.conflict_clause('IS NOT')}",
                params,
            )
            changed += cursor.rowcount
    return changed
