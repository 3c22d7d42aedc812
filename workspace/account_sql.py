"""Reads of one account's rows, compiled to SQL once per process and run for each account.

The account page makes a dozen small reads of one account's rows (its latest invoices, tickets,
goals...). The ORM takes longer to compile each of them than the database takes to run it, and
it compiles the same SQL on every visit but for the account's id. `account_rows` builds the
queryset once, for a stand-in account (`ACCOUNT_ID`), and runs its SQL with each account's id;
`Model.objects.raw` makes the instances, through the database's converters, as the queryset
would.
"""

from collections.abc import Callable
from functools import lru_cache

from django.db import connection
from django.db.models import Model, QuerySet

from accounts.models import Account

ACCOUNT_ID = -987654321  # stands for the account's id in SQL compiled once

Build = Callable[[Account], QuerySet]


@lru_cache(maxsize=64)
def _compiled(build: Build, vendor: str) -> tuple[type[Model], str, tuple]:
    queryset = build(Account(pk=ACCOUNT_ID))
    sql, params = queryset.query.sql_with_params()
    return queryset.model, sql, params


def account_params(params: tuple, account_id: int) -> list:
    """SQL parameters compiled for the stand-in account, with the account's id in its place."""
    return [account_id if type(p) is int and p == ACCOUNT_ID else p for p in params]


def account_rows(build: Build, account: Account) -> list:
    """`list(build(account))`, run from SQL compiled once. `build` is a module-level function
    whose queryset depends on the account's id alone and reads the model's own columns (no
    select_related, no annotations): `raw` reads no more. Each row's `account` is the one
    given, as a related manager's rows have it."""
    model, sql, params = _compiled(build, connection.vendor)
    rows = list(model.objects.raw(sql, account_params(params, account.pk)))
    for row in rows:
        row.account = account
    return rows
