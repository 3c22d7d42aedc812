"""Bulk upsert on a natural key: PostgreSQL COPY into a staging table, elsewhere bulk_create.

Both paths are all-or-nothing inside the caller's transaction and leave rows whose values
did not change untouched, so importing the same data twice changes nothing.
"""

import io
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

# SQLite caps the parameters of one statement; stay well under it.
GENERIC_BATCH = 500


def bulk_upsert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    update: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert or update `rows` (dicts of attnames) on the unique `key`; return how many are new."""
    if not rows:
        return 0
    before = model._default_manager.count()
    columns = _insert_columns(model, rows[0])
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _upsert_postgres(model, rows, columns, key, update, progress)
        else:
            _upsert_generic(model, rows, columns, key, update, progress)
    return model._default_manager.count() - before


def _insert_columns(model: type[models.Model], sample: dict[str, Any]) -> list[models.Field]:
    fields = []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in sample:
            continue
        fields.append(field)
    return fields


def _full_row(columns: list[models.Field], row: dict[str, Any], now: datetime) -> list[Any]:
    values = []
    for field in columns:
        if field.attname in row:
            values.append(row[field.attname])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append(now)
        elif field.has_default():
            values.append(field.get_default())
        else:
            values.append(None)
    return values


def _upsert_generic(model, rows, columns, key, update, progress) -> None:
    now = timezone.now()
    names = [f.attname for f in columns]
    auto_now = [f.attname for f in columns if getattr(f, "auto_now", False)]
    manager = model._default_manager
    for start in range(0, len(rows), GENERIC_BATCH):
        chunk = rows[start : start + GENERIC_BATCH]
        # Without ON CONFLICT ... WHERE, skip unchanged rows by hand so a rerun writes nothing.
        existing = {
            tuple(found[k] for k in key): found
            for found in manager.filter(**{f"{key[0]}__in": {row[key[0]] for row in chunk}})
            .values(*key, *update)
        }
        changed = [
            row
            for row in chunk
            if (old := existing.get(tuple(row[k] for k in key))) is None
            or any(old[f] != row.get(f) for f in update)
        ]
        if changed:
            manager.bulk_create(
                [model(**dict(zip(names, _full_row(columns, row, now), strict=True))) for row in changed],
                update_conflicts=True,
                unique_fields=[model._meta.get_field(k).name for k in key],
                update_fields=[model._meta.get_field(f).name for f in (*update, *auto_now)] or None,
            )
        if progress:
            progress(len(chunk))


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (int, float, Decimal, date)):
        return value.isoformat() if isinstance(value, date) else str(value)
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        )
    return text


def _upsert_postgres(model, rows, columns, key, update, progress) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    q = connection.ops.quote_name
    cols = [f.column for f in columns]
    col_list = ", ".join(q(c) for c in cols)
    key_cols = [model._meta.get_field(k).column for k in key]
    update_cols = [model._meta.get_field(f).column for f in update]
    auto_now_cols = [f.column for f in columns if getattr(f, "auto_now", False)]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS healthscore_stage")
        cursor.execute(
            f"CREATE TEMP TABLE healthscore_stage ON COMMIT DROP AS "  # noqa: S608 - names quoted
            f"SELECT {col_list} FROM {table} WITH NO DATA"
        )
        for start in range(0, len(rows), 50_000):
            chunk = rows[start : start + 50_000]
            buffer = io.StringIO()
            buffer.writelines(
                "\t".join(map(_copy_value, _full_row(columns, row, now))) + "\n" for row in chunk
            )
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY healthscore_stage ({col_list}) FROM STDIN", buffer)
            if progress:
                progress(len(chunk))
        if update_cols:
            assignments = ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in (*update_cols, *auto_now_cols))
            changed = " OR ".join(f"{table}.{q(c)} IS DISTINCT FROM EXCLUDED.{q(c)}" for c in update_cols)
            conflict = f"DO UPDATE SET {assignments} WHERE {changed}"
        else:
            conflict = "DO NOTHING"
        cursor.execute(
            f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM healthscore_stage "  # noqa: S608
            f"ON CONFLICT ({', '.join(q(c) for c in key_cols)}) {conflict}"
        )
        cursor.execute("DROP TABLE healthscore_stage")
