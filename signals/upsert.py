"""Bulk upsert on a natural key: PostgreSQL COPY into a staging table, SQLite multi-row INSERT.

Both paths are all-or-nothing inside the caller's transaction and leave rows whose values
did not change untouched (no write, `updated_at` kept), so importing the same data twice
changes nothing.
"""

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import methodcaller
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

# Rows per COPY: big enough that per-statement costs vanish, small enough to bound the memory
# of the text built for one COPY (~4 MB for usage rows).
COPY_CHUNK = 100_000
NULL = r"\N"


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
    `key`. Existing rows get only the `update` columns, and only when one of them differs;
    new rows get the model's defaults for the columns not given."""
    if not rows:
        return UpsertCounts()
    given = [model._meta.get_field(name) for name in columns]
    # Every other column, with the value a new row gets (primary keys come from the database).
    now = timezone.now()
    filled = [
        (field, _new_row_value(field, now))
        for field in model._meta.concrete_fields
        if field.attname not in columns and not field.primary_key
    ]
    table = Table(
        model=model,
        given=given,
        filled=filled,
        key=[model._meta.get_field(name).column for name in key],
        update=[model._meta.get_field(name).column for name in update],
        # auto_now columns move with a real change, and only then.
        touch=[f.column for f, _ in filled if getattr(f, "auto_now", False)],
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _upsert_postgres(table, rows, progress)
        return _upsert_sqlite(table, rows, progress)


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
    touch: list[str]

    @property
    def db_table(self) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    @property
    def insert_columns(self) -> list[str]:
        return [f.column for f in self.given] + [f.column for f, _ in self.filled]

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
        return f"{target} DO UPDATE SET {assignments} WHERE {changed}"


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
    return str  # numbers and keys; text is escaped separately, see _copy_column


def _copy_column(field: models.Field, values: Sequence[Any]) -> list[str]:
    """COPY text of one column of a chunk, built column-wise so the per-value work stays in C."""
    format_ = _copy_formatter(field)
    if None in values:
        texts = [NULL if value is None else format_(value) for value in values]
    else:
        texts = list(map(format_, values))
    if isinstance(field, models.CharField | models.TextField):
        joined = "".join(texts)  # one scan finds whether any value needs escaping at all
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            texts = [
                text if value is None else _copy_text(text)
                for text, value in zip(texts, values, strict=True)
            ]
    return texts


def _copy_chunk(table: Table, chunk: Sequence[Sequence[Any]]) -> str:
    # The columns filled for new rows are the same on every line: a constant line ending.
    ending = "".join(
        "\t" + _copy_column(field, [value])[0] for field, value in table.filled
    ) + "\n"
    # zip(*rows) turns rows into columns and back; every row has a value for every column.
    columns = [
        _copy_column(field, values)
        for field, values in zip(table.given, zip(*chunk, strict=True), strict=True)
    ]
    return ending.join(map("\t".join, zip(*columns, strict=True))) + ending


def _upsert_postgres(table: Table, rows, progress) -> UpsertCounts:
    q = connection.ops.quote_name
    col_list = ", ".join(map(q, table.insert_columns))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS healthscore_stage")
        cursor.execute(
            f"CREATE TEMP TABLE healthscore_stage ON COMMIT DROP AS "  # noqa: S608 - names quoted
            f"SELECT {col_list} FROM {table.db_table} WITH NO DATA"
        )
        for start in range(0, len(rows), COPY_CHUNK):
            chunk = rows[start : start + COPY_CHUNK]
            cursor.cursor.copy_expert(
                f"COPY healthscore_stage ({col_list}) FROM STDIN",
                io.StringIO(_copy_chunk(table, chunk)),
                size=1 << 20,
            )
            if progress:
                progress(len(chunk))
        # xmax is 0 on a freshly inserted row version and set on an updated one; rows left
        # alone by the WHERE of the conflict clause are not returned at all.
        cursor.execute(
            f"WITH written AS ("  # noqa: S608 - names quoted
            f"INSERT INTO {table.db_table} ({col_list}) SELECT {col_list} FROM healthscore_stage "
            f"{table.conflict_clause('IS DISTINCT FROM')} RETURNING xmax = 0 AS created) "
            f"SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) "
            f"FROM written"
        )
        created, updated = cursor.fetchone()
        cursor.execute("DROP TABLE healthscore_stage")
    return UpsertCounts(created=created, updated=updated)


# ---------------------------------------------------------------- SQLite (local runs, tests)


def _upsert_sqlite(table: Table, rows, progress) -> UpsertCounts:
    fields = table.given + [field for field, _ in table.filled]
    filled_values = [
        field.get_db_prep_save(value, connection) for field, value in table.filled
    ]
    column_list = ", ".join(map(connection.ops.quote_name, table.insert_columns))
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(connection.features.max_query_params // len(fields), 1)
    manager = table.model._default_manager
    before = manager.count()
    changed = 0  # SQLite counts inserted and updated rows alike
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
                f"INSERT INTO {table.db_table} ({column_list}) "  # noqa: S608 - names quoted
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"{table.conflict_clause('IS NOT')}",
                params,
            )
            changed += cursor.rowcount
            if progress:
                progress(len(chunk))
    created = manager.count() - before
    return UpsertCounts(created=created, updated=changed - created)
