"""Reads of one account's rows, compiled to SQL once per process and run for each account.

The account page makes a dozen small reads of one account's rows (its latest invoices, tickets,
tasks...). The ORM takes longer to compile each of them than the database takes to run it, and
it compiles the same SQL on every visit but for the account's id and the day. `account_rows`
builds the queryset once, for a stand-in account (`ACCOUNT_ID`) and stand-in days (`DAYS`),
keeps its SQL and what the ORM's compiler knows of its columns (the converters, which columns
make which model), and runs the SQL with the real account and days: the rows are what
`list(queryset)` gives: instances with their select_related objects, annotations and the
account they belong to, or the dicts or tuples of values.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
)

from accounts.models import Account

ACCOUNT_ID = -987654321  # stands for the account's id in SQL compiled once
DAYS = (date(1001, 1, 1), date(1002, 2, 2), date(1003, 3, 3))  # and for its days, in order

ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")  # a day (or a time: refused) as SQLite writes it
Build = Callable[..., QuerySet]  # (account, *days) -> the queryset


@dataclass(frozen=True)
class _Made:
    """How a row's columns make a model instance: its own, and its select_related ones."""

    model: type[Model]
    columns: tuple[int, ...]
    names: tuple[str, ...]
    related: tuple[tuple[str, str, "_Made"], ...]  # (field name, its column's name, made)

    def make(self, row: list) -> Model:
        obj = self.model.from_db(connection.alias, self.names, [row[i] for i in self.columns])
        for name, attname, made in self.related:
            setattr(obj, name, None if getattr(obj, attname) is None else made.make(row))
        return obj


def _made(info: dict, select: list) -> _Made:
    related = []
    for rel in info.get("related_klass_infos", []):
        assert not rel["reverse"], "select_related of forward foreign keys only"
        related.append((rel["field"].name, rel["field"].attname, _made(rel, select)))
    columns = tuple(info["select_fields"])
    names = tuple(select[i][0].target.attname for i in columns)
    return _Made(info["model"], columns, names, tuple(related))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    converters: tuple  # (column, (converters, expression)): the database's values to Python's
    made: _Made | None  # None for values
    annotations: tuple[tuple[str, int], ...]
    own_account: bool  # the rows' `account` is the account read for
    kind: type  # the queryset's iterable: instances, dicts, tuples or flat values
    names: tuple[str, ...]  # the dicts' keys


@lru_cache(maxsize=64)
def _compiled(build: Build, days: int, vendor: str) -> _Compiled:
    queryset = build(Account(pk=ACCOUNT_ID), *DAYS[:days])
    kind, query = queryset._iterable_class, queryset.query
    values = kind is not ModelIterable
    assert kind in (ModelIterable, ValuesIterable, ValuesListIterable, FlatValuesListIterable)
    # Django reorders a values_list's columns when its annotations are not last.
    assert kind is not ValuesListIterable or not query.annotation_select, "values_list: columns"
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    dated = [p for p in params if isinstance(p, date) or (isinstance(p, str) and ISO_DAY.match(p))]
    used = {connection.ops.adapt_datefield_value(d) for d in DAYS[:days]}
    # A day worked out from a stand-in (the day before...) would be left in the SQL as it is.
    assert all(p in used for p in dated), "the days are used as they are given"
    return _Compiled(
        sql=sql,
        params=tuple(params),
        converters=tuple(compiler.get_converters([col for col, _, _ in compiler.select]).items()),
        made=None if values else _made(compiler.klass_info, compiler.select),
        annotations=() if values else tuple(compiler.annotation_col_map.items()),
        own_account=not values
        and any(
            f.name == "account" and f.related_model is Account for f in queryset.model._meta.fields
        ),
        kind=kind,
        names=(*query.extra_select, *query.values_select, *query.annotation_select),
    )


def _params(params: tuple, account_id: int, days: tuple[date, ...]) -> list:
    adapt = connection.ops.adapt_datefield_value
    stand_ins = {adapt(d): adapt(day) for d, day in zip(DAYS, days, strict=False)}
    return [
        account_id
        if type(p) is int and p == ACCOUNT_ID
        else stand_ins.get(p, p)
        if isinstance(p, date | str)
        else p
        for p in params
    ]


def _converted(rows: list, converters: tuple) -> list[list]:
    """The rows through the converters, as the compiler applies them (with this thread's
    connection: the SQL may have been compiled on another's)."""
    out = []
    for row in map(list, rows):
        for pos, (convs, expression) in converters:
            value = row[pos]
            for converter in convs:
                value = converter(value, expression, connection)
            row[pos] = value
        out.append(row)
    return out


def account_params(params, account_id: int) -> list:
    """SQL parameters compiled for the stand-in account, with the account's id in its place."""
    return _params(tuple(params), account_id, ())


def account_rows(build: Build, account: Account, *days: date) -> list:
    """`list(build(account, *days))`, run from SQL compiled once. `build` is a module-level
    function whose queryset depends on nothing but the account's id and the days (at most
    three, each used as it is, not a day worked out from one), and gives instances (with
    select_related foreign keys and annotations), values or a values_list."""
    c = _compiled(build, len(days), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(c.sql, _params(c.params, account.pk, days))
        rows = cursor.fetchall()
    if c.converters:
        rows = _converted(rows, c.converters)
    if c.kind is ValuesIterable:
        return [dict(zip(c.names, row, strict=True)) for row in rows]
    if c.kind is ValuesListIterable:
        return [tuple(row) for row in rows]
    if c.kind is FlatValuesListIterable:
        return [row[0] for row in rows]
    out = []
    for row in rows:
        obj = c.made.make(row)
        for name, i in c.annotations:
            setattr(obj, name, row[i])
        if c.own_account:
            obj.account = account
        out.append(obj)
    return out
