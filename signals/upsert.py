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

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from itertools import islice, repeat
from operator import eq, itemgetter
from types import NoneType
from typing import Any
from uuid import UUID

import numpy as np
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils import timezone
from psycopg import errors, pq
from psycopg.adapt import PyFormat

logger = logging.getLogger(__name__)

# Rows per COPY: big enough that per-statement costs vanish, small enough to bound the memory
# of the sorted copy of one chunk.
COPY_CHUNK = 100_000
# Errors of a transaction PostgreSQL aborted to let another one through: run it again.
WRITE_CONFLICTS = (errors.DeadlockDetected, errors.SerializationFailure)
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


def bulk_upsert_columns(
    model: type[models.Model],
    columns: Sequence[str],
    values: Sequence[Sequence[Any]],
    *,
    key: Sequence[str],
    update: Sequence[str],
) -> UpsertCounts:
    """bulk_upsert of rows given column by column: one sequence of values for each of
    `columns`, all as long (a producer holding its data so saves making and unmaking rows)."""
    if len({len(column) for column in values}) > 1:
        raise ValueError("Columns of different lengths.")
    with transaction.atomic():
        upsert = Upsert(model, columns=columns, key=key, update=update)
        for start in range(0, len(values[0]) if values else 0, COPY_CHUNK):
            upsert.write_columns([column[start : start + COPY_CHUNK] for column in values])
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
            self.write_columns(_transposed(rows))

    def write_columns(self, columns: Sequence[Sequence[Any]]) -> None:
        """Upsert rows given column by column (one sequence of values per column, all as long).

        Bulk producers hold their data this way; it lets each column's values be checked (and
        converted where needed) a column at a time by C-level map() before the binary COPY."""
        if not columns or not columns[0]:
            return
        columns = _in_key_order(columns, self.key_positions)
        if not self.started:
            self.started = True
            if not self.postgres:
                self.rows_before = self.table.model._default_manager.count()
        if self.postgres:
            if self.all_new:
                # A first import into an empty table is the big one: plain COPY is a third
                # faster than staging plus INSERT ... ON CONFLICT. At the first row that exists
                # already, that chunk is rolled back and this import upserts from then on; when
                # the chunk's first or last row exists (rows written again), it does at once.
                self.all_new = not _ends_exist(self.table, columns, self.key_positions)
                self.all_new = self.all_new and _copy_new_rows(self.table, columns)
                if self.all_new:
                    self.created += len(columns[0])
                    self.changed += len(columns[0])
                    return
                _create_stage(self.table)
            created, changed = _write_postgres(self.table, columns)
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


def _transposed(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The rows column by column (C-level maps: zip(*rows) is several times slower)."""
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError("Rows of different lengths.")
    return [list(map(itemgetter(i), rows)) for i in range(width)]


def _in_key_order(
    columns: Sequence[Sequence[Any]], positions: list[int]
) -> Sequence[Sequence[Any]]:
    """The rows (given column by column) sorted by their key, so that concurrent writers take
    the rows' locks in one order."""
    keys = [columns[position] for position in positions]
    if any(None in values for values in keys):
        return columns  # a NULL key conflicts with nothing (and does not compare): no order
    order = _numeric_order(keys)
    if order is None:
        order = sorted(range(len(columns[0])), key=list(zip(*keys, strict=True)).__getitem__)
    elif all(map(eq, order, range(len(order)))):
        return columns  # in order already
    return [list(map(column.__getitem__, order)) for column in columns]


def _numeric_order(keys: list[Sequence[Any]]) -> list[int] | None:
    """The order sorted() gives rows keyed by integers and dates (both sorts are stable),
    found by numpy; None for keys of other types."""
    arrays = []
    for values in keys:
        types = set(map(type, values))
        try:
            if types == {int}:
                arrays.append(np.array(values, dtype=np.int64))
            elif types == {date}:
                arrays.append(np.fromiter(map(date.toordinal, values), np.int64, len(values)))
            else:
                return None
        except OverflowError:
            return None
    return np.lexsort(arrays[::-1]).tolist()  # lexsort's last key is the first one


def _ends_exist(table: "Table", columns: Sequence[Sequence[Any]], positions: list[int]) -> bool:
    """Whether the first or the last row (in key order) exists already: a cheap sign that the
    rows are written again, for which a COPY straight into the table would fail. Asked only
    for keys of plain integers, dates and text, whose parameters compare with the columns."""
    keys = [columns[position] for position in positions]
    fields = [table.given[position] for position in positions]
    ends = [tuple(values[i] for values in keys) for i in (0, -1)]
    for row in ends:
        for field, value in zip(fields, row, strict=True):
            kind = type(value)
            if kind not in (int, date, str) or kind not in _native_types(field):
                return False  # a parameter the column might refuse (the transaction with it)
            if kind is str and "\x00" in value:
                return False
    q = connection.ops.quote_name
    target = ", ".join(map(q, table.key))
    one = "(" + ", ".join(["%s"] * len(keys)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT FROM {table.db_table} "  # noqa: S608  # nosec B608 - quoted
            f"WHERE ({target}) IN ({one}, {one}))",
            [value for row in ends for value in row],
        )
        return cursor.fetchone()[0]


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
            code = getattr(exc.__cause__, "sqlstate", "")
            logger.warning("%s aborted (%s), retrying in %.2f s", what, code, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")


def is_write_conflict(exc: Exception) -> bool:
    """Whether PostgreSQL aborted the transaction for a deadlock or a serialisation failure."""
    # Django's error wraps psycopg's, which tells the SQLSTATE by its class.
    return isinstance(exc.__cause__, WRITE_CONFLICTS)


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

    @cached_property
    def copy_types(self) -> list[int]:
        """The database type (OID) of each column of column_list, for a binary COPY."""
        types = _column_types(self.db_table)
        return [types[f.column] for f in self.given] + [types[f.column] for f, _ in self.filled]

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

# The Python types each kind of field's binary COPY dumper takes as they are; a column holding
# anything else goes through the field's own get_db_prep_save first, as a save() would.
NATIVE_TYPES: tuple[tuple[type[models.Field], frozenset[type]], ...] = (
    (models.BooleanField, frozenset({bool})),
    (models.FloatField, frozenset({float, int})),
    (models.DecimalField, frozenset({Decimal, int})),
    (models.DateTimeField, frozenset({datetime})),  # before DateField, its base
    (models.DateField, frozenset({date})),
    (models.CharField, frozenset({str})),
    (models.TextField, frozenset({str})),
    (models.UUIDField, frozenset({UUID})),
    (models.IntegerField, frozenset({int})),  # BigIntegerField, SmallIntegerField, ...
    (models.AutoField, frozenset({int})),
    (models.BigAutoField, frozenset({int})),
    (models.BinaryField, frozenset({bytes})),
)


def _native_types(field: models.Field) -> frozenset[type]:
    field = field.target_field if isinstance(field, models.ForeignKey) else field
    for kind, types in NATIVE_TYPES:
        if isinstance(field, kind):
            return types | {type(None)}
    return frozenset()  # JSONField and the rest: always prepared by the field


def _copy_values(
    field: models.Field, values: Sequence[Any]
) -> tuple[Sequence[Any], set[type] | None]:
    """One column of a chunk as the binary COPY dumper of its database type takes it, and the
    set of its values' types where known. The types are checked column-wise (C-level map) so
    that the common case costs no Python loop."""
    types = set(map(type, values))
    if types <= _native_types(field):
        if datetime in types and any(v is not None and v.tzinfo is None for v in values):
            # A time without a zone is in the connection's time zone, as in text COPY.
            zone = connection.timezone
            return [v if v is None or v.tzinfo else v.replace(tzinfo=zone) for v in values], types
        return values, types
    prepare = field.get_db_prep_save
    return [None if value is None else prepare(value, connection) for value in values], None


def _column_types(table: str) -> dict[str, int]:
    """Type OIDs of the columns of `table` (a quoted name), by column name: a binary COPY
    gives each column's type."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid::int FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        return dict(cursor.fetchall())


def _create_stage(table: Table) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table.stage}")
        cursor.execute(
            f"CREATE TEMP TABLE {table.stage} ON COMMIT DROP AS "  # noqa: S608  # nosec B608 - names quoted
            f"SELECT {table.column_list} FROM {table.db_table} WITH NO DATA"
        )


def _copy_new_rows(table: Table, columns: Sequence[Sequence[Any]]) -> bool:
    """COPY rows straight into the table; False, and nothing written, if one exists already."""
    try:
        with transaction.atomic():  # a savepoint to undo it
            _copy(table, table.db_table, columns)
    except IntegrityError as exc:
        if isinstance(exc.__cause__, errors.UniqueViolation):
            return False
        raise
    return True


def _copy(table: Table, into: str, columns: Sequence[Sequence[Any]]) -> None:
    """Binary COPY of rows given column by column (plus the table's filled columns) into the
    table `into`, through psycopg's COPY API (Django has none); its errors become Django's,
    as for any other statement, so that callers can tell a deadlock or a refused row."""
    values, kinds = zip(
        *(_copy_values(field, column) for field, column in zip(table.given, columns, strict=True)),
        strict=True,
    )
    # The columns filled for new rows hold the same value on every row.
    filled = [_copy_values(field, [value])[0][0] for field, value in table.filled]
    kinds = [*kinds, *({type(value)} for value in filled)]
    sql = f"COPY {into} ({table.column_list}) FROM STDIN (FORMAT BINARY)"
    types = list(table.copy_types)  # looked up first: no other statement can run during the COPY
    with connection.wrap_database_errors, connection.cursor() as cursor:
        values = list(values)
        for i, (oid, column) in enumerate(zip(types, values, strict=False)):
            dumped = _dumped_once(cursor.cursor, oid, column, kinds[i])
            if dumped is not None:
                # The bytes of the column's own dumper, passed through as they are.
                values[i], types[i], kinds[i] = dumped, BYTEA, {bytes, NoneType}
        if all(
            k and k <= {bytes, NoneType} for t, k in zip(types, kinds, strict=True) if t == BYTEA
        ):
            _bytes_as_they_are(cursor.cursor)
        # The given columns are all as long (write() checks them); the filled ones repeat.
        rows = zip(*values, *map(repeat, filled), strict=False)
        with cursor.cursor.copy(sql) as copy:
            copy.set_types(types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)


# Values equal only when their dumper writes them alike (unlike Decimal("1.0") and
# Decimal("1.00"), or 1 and True), keyed by themselves or by what tells them apart.
DISTINCT_KEYS: tuple[tuple[frozenset[type], Callable[[Any], Any] | None], ...] = (
    (frozenset({str, NoneType}), None),
    (frozenset({Decimal, NoneType}), str),  # str keeps the exponent
    (frozenset({Decimal, int, NoneType}), repr),  # repr keeps the type too
)
SAMPLE = 1_000  # values looked at to tell whether a column has few distinct ones
BYTEA = 17


def _bytes_as_they_are(cursor: Any) -> None:
    """Have bytea values of this cursor dumped by psycopg's C dumper of bytes, not by its
    DB-API one (a Python call a value, to tell a `Binary` wrapper, which none of the values
    is): the same bytes, several times faster."""
    adapters = cursor.adapters  # the cursor's own: nothing else changes
    adapters.register_dumper(bytes, adapters.get_dumper(bytes, PyFormat.BINARY))


def _dumped_once(
    context: Any, oid: int, values: Sequence[Any], kinds: set[type] | None
) -> list[Any] | None:
    """A column of few distinct values (a colour, an amount) as the bytes its binary dumper
    makes of each, each distinct value dumped once: psycopg's Decimal dumper alone is a fifth
    of a 100,000-row COPY. None for other columns, which write_row dumps value by value."""
    key = next((key for types, key in DISTINCT_KEYS if kinds and kinds <= types), NoneType)
    if key is NoneType:
        return None
    sample = list(islice(values, SAMPLE))
    if len(set(sample if key is None else map(key, sample))) > len(sample) // 4:
        return None  # mostly distinct: nothing to gain
    dump = context.adapters.get_dumper_by_oid(oid, pq.Format.BINARY)(NoneType, context).dump
    keys = values if key is None else list(map(key, values))
    distinct = dict(zip(keys, values, strict=True))  # a value for each key
    dumped = {k: None if v is None else bytes(dump(v)) for k, v in distinct.items()}
    return list(map(dumped.__getitem__, keys))


def _write_postgres(table: Table, columns: Sequence[Sequence[Any]]) -> tuple[int, int]:
    """COPY rows (given column by column) into the staging table, then upsert them from there
    in one statement. Returns (created, created + updated)."""
    _copy(table, table.stage, columns)
    column_list = table.column_list
    with connection.cursor() as cursor:
        # xmax is 0 on a freshly inserted row version and set on an updated one; rows left
        # alone by the WHERE of the conflict clause are not returned at all.
        cursor.execute(
            "WITH written AS ("  # noqa: S608  # nosec B608 - names quoted
            f"INSERT INTO {table.db_table} ({column_list}) SELECT {column_list} FROM {table.stage} "
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
