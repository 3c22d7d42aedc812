"""Usage and e-mail over a range of days, measured on numpy arrays: the backfill's heaviest
sources (a usage fact per account, metric and day) without a Python object per fact.

The usage facts of the range fill an array with an axis of days (one per account, metric and
day); each day's window is then a difference of prefix sums along that axis. E-mails are
counted per account and day straight from each batch of facts, and each day's open rates given
as a `ValueArray` (`DayAccounts`), with no dict per day. On PostgreSQL the server packs the
facts' fixed-width columns into one value, which numpy reads as it is: e-mails in one
(`fact_columns`), usage in one per metric (`fact_groups`); elsewhere they come through the
ORM. (A binary COPY, `fact_batches`, costs a message and a Python step a row: 8 s for the
8 million usage facts of a 10-day block at 100,000 accounts, against 2 s packed.)

The values are those of the one-day measures in `scoring.measures`, to the bit: whole-number
sums are exact in float64 below 2**53, and a usage series with a fraction in it is summed
window by window with `math.fsum`, as `usage_range` always did.
"""

import math
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

import numpy as np
import psycopg
from django.db import connection, transaction
from django.db.models import F, Func, IntegerField, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from scoring.maths import Method
from scoring.measures import Scope, _window, end_of, per_metric, usage_values
from scoring.models import Source
from scoring.value_arrays import ValueArray
from signals.models import EmailMessage, UsageRecord

EXACT = 2.0**53  # below this, float64 adds whole numbers exactly
NEVER = 1 << 30  # the day offset of an e-mail never opened
BATCH = 50_000  # facts converted at a time off PostgreSQL
COPY_BUFFER = 8 << 20  # bytes of COPY rows read at a time
TYPES = {"q": "i8", "i": "i4", "d": "f8"}


def _record_type(kinds: str) -> np.dtype:
    """A binary COPY row of fixed-width columns: the column count, then each column's length
    and value, big-endian. `kinds`: a letter a column, q bigint, i integer, d float8."""
    fields = [("count", ">i2")]
    for i, kind in enumerate(kinds):
        fields += [(f"size{i}", ">i4"), (f"c{i}", ">" + TYPES[kind])]
    return np.dtype(fields)


def fact_batches(rows: QuerySet, kinds: str) -> Iterator[list[np.ndarray]]:
    """The columns of the values_list `rows` (no NULLs; types as `kinds`) a batch at a time,
    by binary COPY: the server's rows, a message each, are gathered into a buffer that numpy
    reads in place a few megabytes at a time (no Python object a fact)."""
    record = _record_type(kinds)
    sql, params = rows.query.sql_with_params()
    buffer, skip = bytearray(), 19  # signature, flags and extension length precede the rows

    def batch() -> list[np.ndarray]:
        whole = (len(buffer) - skip) // record.itemsize
        found = np.frombuffer(buffer, dtype=record, count=whole, offset=skip)
        if not (found["count"] == len(kinds)).all():
            raise ValueError("binary COPY: a row of another shape (a NULL?)")
        columns = [found[f"c{i}"].astype(TYPES[k]) for i, k in enumerate(kinds)]
        del found  # a view of the buffer, which must be free to shrink
        del buffer[: skip + whole * record.itemsize]
        return columns

    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params) as copy,
    ):
        for row in copy:
            buffer += row
            if len(buffer) >= COPY_BUFFER:
                yield batch()
                skip = 0
    if buffer.endswith(b"\xff\xff"):  # the trailer: a column count of -1
        del buffer[-2:]
    yield batch()
    if buffer:
        raise ValueError("binary COPY: the rows did not end where they should")


PACKED_FACTS = 20_000_000  # facts of a metric packed into one value: 20 M x 20 bytes
PACKED_MEMORY = "512MB"  # work_mem of a query of packed facts (a limit, not an allocation)
BOUND_PARAMETERS = 65_535  # the most a statement bound on the server may have
SENDS = {"q": "int8send(f.{}::int8)", "i": "int4send(f.{}::int4)", "d": "float8send(f.{}::float8)"}


def fact_columns(rows: QuerySet, kinds: str) -> list[np.ndarray]:
    """The columns of the values_list `rows` (no NULLs; types as `kinds`) on PostgreSQL, in
    one value: the server packs each row's columns, as binary, into one bytea (string_agg),
    which numpy reads as it is. Several times faster than a COPY, which sends a message a
    row; for facts of a few million rows at most (a bytea holds up to 1 GB)."""
    sql, params = rows.query.sql_with_params()
    packed, names = _packing(kinds)
    # Only the ORM's own SQL (its values as parameters) and our column names go in.
    query = f"SELECT string_agg({packed}, ''::bytea), count(*) FROM ({sql}) AS f({names})"  # noqa: S608  # nosec B608
    [(data, count)] = _packed_query(query, params)
    return _unpacked(data, count, kinds)


def _packed_query(query: str, params) -> list[tuple]:
    """The rows of a query of packed facts, with the memory to hold the packed values (else
    the server spills them to disk on the way, 1.7 times slower) and, where the parameters
    allow a server-side binding, in binary: as text each byte comes as two hex digits for
    psycopg to decode."""
    connection.ensure_connection()
    binary = len(params) < BOUND_PARAMETERS
    with (
        transaction.atomic(),
        connection.wrap_database_errors,
        psycopg.Cursor(connection.connection) if binary else connection.cursor() as cursor,
    ):
        cursor.execute(f"SET LOCAL work_mem = '{PACKED_MEMORY}'")
        if binary:
            cursor.execute(query, params, binary=True)
        else:
            cursor.execute(query, params)
        return cursor.fetchall()


def _packing(kinds: str) -> tuple[str, str]:
    """The SQL that packs a row's columns c0, c1, ... (of `kinds`) as binary, and their names."""
    names = [f"c{i}" for i in range(len(kinds))]
    packed = " || ".join(SENDS[k].format(n) for k, n in zip(kinds, names, strict=True))
    return packed, ", ".join(names)


def fact_groups(rows: QuerySet, kinds: str) -> dict[str, list[np.ndarray]]:
    """`fact_columns` of the values_list `rows` whose first field is text to group them by:
    {group: its columns}, each group's rows packed into one value, in one query."""
    sql, params = rows.query.sql_with_params()
    packed, names = _packing(kinds)
    query = (
        f"SELECT g, string_agg({packed}, ''::bytea), count(*) "  # noqa: S608  # nosec B608
        f"FROM ({sql}) AS f(g, {names}) GROUP BY g"
    )
    groups = _packed_query(query, params)
    return {group: _unpacked(data, count, kinds) for group, data, count in groups}


def _unpacked(data: bytes | None, count: int, kinds: str) -> list[np.ndarray]:
    names = [f"c{i}" for i in range(len(kinds))]
    record = np.dtype([(n, ">" + TYPES[k]) for k, n in zip(kinds, names, strict=True)])
    found = np.frombuffer(data or b"", dtype=record)
    if len(found) != count:  # a NULL makes its row's bytes NULL: string_agg leaves it out
        raise ValueError("packed facts: a row with a NULL")
    return [found[n].astype(TYPES[k]) for k, n in zip(kinds, names, strict=True)]


def _day_runs(first: date, last: date, accounts: int) -> list[tuple[date, date]]:
    """`first` to `last` in runs short enough that a metric's packed facts (at most one a day
    for each of `accounts`) stay well below the 1 GB a value may hold."""
    span = (last - first).days + 1
    days = min(span, max(1, PACKED_FACTS // max(1, accounts)))
    return [
        (first + timedelta(days=n), min(last, first + timedelta(days=n + days - 1)))
        for n in range(0, span, days)
    ]


def by_copy() -> bool:
    """Whether facts are read by binary COPY (PostgreSQL) rather than through the ORM."""
    return connection.vendor == "postgresql"


def _orm_batches(rows: Iterator[tuple], convert) -> Iterator[list[np.ndarray]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(convert(row))
        if len(batch) == BATCH:
            yield [np.array(c) for c in zip(*batch, strict=True)]
            batch = []
    if batch:
        yield [np.array(c) for c in zip(*batch, strict=True)]


def _days_from(day, first: date) -> Func:
    """Days from `first` to the date `day` (a field name or expression): date - date."""
    day = F(day) if isinstance(day, str) else day
    return Func(
        day,
        Value(first),
        template="(%(expressions)s)",
        arg_joiner=" - ",
        output_field=IntegerField(),
    )


def _positions(ids: np.ndarray, accounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `accounts` is in the sorted `ids`, and which of them are there at all."""
    if len(ids) and ids[0] >= 0 and ids[-1] < 4 * len(ids) + 1_000_000:
        # Dense ids (pks, as a book's mostly are): a table from id to place, a gather each.
        place = np.full(int(ids[-1]) + 2, -1, dtype=np.int64)
        place[ids] = np.arange(len(ids))
        at = place[np.clip(accounts, -1, len(place) - 1)]
        return np.maximum(at, 0), at >= 0
    at = np.minimum(np.searchsorted(ids, accounts), len(ids) - 1)
    return at, ids[at] == accounts


def _windows(prefix: np.ndarray, ends: Sequence[int], width: int) -> np.ndarray:
    """From prefix sums along the last axis (0 first), the sum over the `width` days ending at
    each of `ends`, never before day 0: the window axis last."""
    ends_ = np.asarray(ends)
    return prefix[..., ends_ + 1] - prefix[..., np.maximum(0, ends_ - width + 1)]


def _prefix(values: np.ndarray, dtype=None) -> np.ndarray:
    """Sums along the last axis of the values before each position (0 first), written in
    place: the cube is a few hundred megabytes, and fresh memory costs page faults."""
    prefix = np.empty((*values.shape[:-1], values.shape[-1] + 1), dtype=dtype or values.dtype)
    prefix[..., 0] = 0
    np.cumsum(values, axis=-1, out=prefix[..., 1:])
    return prefix


# ---------------------------------------------------------------- usage


class _UsageCube:
    """The usage facts of the range: `values` and `present` by (account, metric, day)."""

    def __init__(self, signal, first: date, last: date, scope: Scope, ids: np.ndarray):
        rows = UsageRecord.objects.filter(date__gte=first, date__lte=last, **scope)
        if signal.metric:
            rows = rows.filter(metric=signal.metric)
        span = 0
        if len(ids):  # the accounts' range of ids bounds how many facts a day may have
            rows = rows.filter(account_id__gte=int(ids[0]), account_id__lte=int(ids[-1]))
            span = int(ids[-1] - ids[0]) + 1
        facts = self._facts(rows, first, last, span)
        self.metrics = sorted(facts)
        shape = (len(ids), len(self.metrics), (last - first).days + 1)
        self.values = np.zeros(shape)
        self.present = np.zeros(shape, dtype=bool)
        if not len(ids):
            return
        values, present = self.values.reshape(-1), self.present.reshape(-1)  # views
        for metric, name in enumerate(self.metrics):
            for account, day, value in facts[name]:
                at, known = _positions(ids, account)
                flat = (at * len(self.metrics) + metric) * shape[2] + day
                values[flat[known]] = value[known]
                present[flat[known]] = True

    @staticmethod
    def _facts(rows: QuerySet, first: date, last: date, accounts: int) -> dict[str, list]:
        """{metric: batches of (account, day from `first`, value)}. On PostgreSQL one query
        a run of days, the server packing each metric's facts into one value (`fact_groups`:
        a COPY costs a message a row, and a Python step to read each)."""
        if by_copy():
            rows = rows.annotate(day_no=_days_from("date", first)).order_by()
            found: dict[str, list[list[np.ndarray]]] = {}
            for start, end in _day_runs(first, last, accounts):
                run = rows.filter(date__gte=start, date__lte=end)
                packed = fact_groups(
                    run.values_list("metric", "account_id", "day_no", "value"), "qid"
                )
                for metric, columns in packed.items():
                    found.setdefault(metric, []).append(columns)
            return found
        found = {}
        facts = rows.values_list("metric", "account_id", "date", "value").iterator(20_000)
        for metric, account, day, value in facts:
            found.setdefault(metric, [[]])[0].append((account, (day - first).days, value))
        return {
            m: [[np.array(c) for c in zip(*batch[0], strict=True)]] for m, batch in found.items()
        }

    def sums(self, ends: list[int], width: int) -> np.ndarray:
        """Each (account, metric)'s sum over the windows: exact, as `math.fsum` would give."""
        sums = _windows(_prefix(self.values), ends, width)
        whole = (self.values == np.floor(self.values)).all(axis=-1)
        whole &= self.values.sum(axis=-1) < EXACT
        for a, m in zip(*np.nonzero(~whole), strict=True):
            series = self.values[a, m].tolist()
            sums[a, m] = [math.fsum(series[max(0, e - width + 1) : e + 1]) for e in ends]
        return sums

    def windows(self, signal, ends: list[int], width: int) -> tuple[np.ndarray, list]:
        """Per account and window: whether it has a row in it, and the value `_usage` gives
        (a float, or per metric a row of floats with NaN for a metric without a row)."""
        counts = _windows(_prefix(self.present, np.int32), ends, width)
        found = (counts > 0).any(axis=1)
        used = self.values > 0
        if signal.source == Source.USAGE_FREQUENCY:
            active = used.any(axis=1)
            return found, _windows(_prefix(active, np.int32), ends, width).astype(np.float64)
        if signal.source == Source.USAGE_BREADTH:
            positive = _windows(_prefix(used, np.int32), ends, width) > 0
            return found, positive.sum(axis=1).astype(np.float64)
        sums = np.where(counts > 0, self.sums(ends, width), np.nan)
        if per_metric(signal):
            return found, sums
        return found, _metric_totals(sums)


def _metric_totals(sums: np.ndarray) -> np.ndarray:
    """Each account's sum over its metrics with rows (NaN: none), as `math.fsum` would give."""
    totals = np.nansum(sums, axis=1)
    inexact = ~((sums == np.floor(sums)) | np.isnan(sums)).all(axis=1) | (totals >= EXACT)
    for a, i in zip(*np.nonzero(inexact), strict=True):
        totals[a, i] = math.fsum(v for v in sums[a, :, i].tolist() if not math.isnan(v))
    return totals


def _by_account(ids, found, values, metrics) -> list[dict]:
    """Per window, {account: value} (or {account: {metric: value}}) for accounts found."""
    windows = []
    for i in range(found.shape[1]):
        rows = np.nonzero(found[:, i])[0]
        accounts = ids[rows].tolist()
        if values.ndim == 2:
            windows.append(dict(zip(accounts, values[rows, i].tolist(), strict=True)))
            continue
        windows.append(
            {
                a: {m: v for m, v in zip(metrics, row, strict=True) if not math.isnan(v)}
                for a, row in zip(accounts, values[rows, :, i].tolist(), strict=True)
            }
        )
    return windows


def _day_values(signal, day: date, account_ids: list[int], starts, ids, found, values, metrics):
    """`usage_values` of a window that is not a trend, on arrays: the window's value of each of
    `account_ids` (`found`, `values`: per account of `ids`), over the days the account existed
    for a volume, scaled up to the window for days active. Same operations, same order; the
    values in the order of `account_ids`."""
    window = signal.window_days
    at = np.searchsorted(ids, account_ids)
    ages = [(day - starts[a]).days if a in starts else window for a in account_ids]
    days = np.clip(np.asarray(ages, dtype=np.float64) + 1, 1, window)  # `days_in_window`
    values, found = values[at], found[at]
    if signal.source == Source.USAGE_VOLUME:
        values = (values / (days[:, None] if values.ndim == 2 else days)) * 1.0
    elif signal.source == Source.USAGE_FREQUENCY:
        values = values / days * window
    if values.ndim == 1:
        return ValueArray(ids=account_ids, array=np.where(found, values, 0.0))
    # An account without rows has {}: no metric, which its row of NaN says already.
    return ValueArray(ids=account_ids, array=values, metrics=tuple(metrics))


def usage_range(signal, days, account_ids, scope, starts) -> dict:
    window = signal.window_days
    trend = signal.method == Method.TREND
    first = _window(days[0], window, shift=1 if trend else 0)[0]
    ids = np.array(sorted({a for d in days for a in account_ids[d]}), dtype=np.int64)
    cube = _UsageCube(signal, first, days[-1], scope, ids)
    ends = [(d - first).days for d in days]
    found, values = cube.windows(signal, ends, window)
    if not trend:
        return {
            d: _day_values(
                signal, d, account_ids[d], starts[d], ids, found[:, i], values[..., i], cube.metrics
            )
            for i, d in enumerate(days)
        }
    current = _by_account(ids, found, values, cube.metrics)
    before = [e - window for e in ends]
    found, values = cube.windows(signal, before, window)
    found[:, np.asarray(before) < 0] = False
    previous = _by_account(ids, found, values, cube.metrics)
    return {
        d: usage_values(signal, d, account_ids[d], starts[d], current[i], previous[i])
        for i, d in enumerate(days)
    }


# ---------------------------------------------------------------- e-mail


class DayAccounts:
    """The accounts of each of `days`: `ids`, the sorted ids of all of them, and `at`, each
    day's accounts' positions in `ids`; `arrays` gives each day's values as a `ValueArray`."""

    def __init__(self, days: Sequence[date], account_ids):
        lists = [np.fromiter(account_ids[d], np.int64, len(account_ids[d])) for d in days]
        every = np.sort(np.concatenate(lists), kind="stable")  # merges sorted runs fast
        self.ids = every[np.r_[True, every[1:] != every[:-1]]] if len(every) else every
        self.at = [np.searchsorted(self.ids, own) for own in lists]
        self.days, self.account_ids = days, account_ids

    def arrays(self, values: np.ndarray) -> dict:
        """{day: ValueArray} of each day's accounts from `values` by (account of `ids`, day)."""
        return {
            d: ValueArray(ids=self.account_ids[d], array=values[at, i])
            for i, (d, at) in enumerate(zip(self.days, self.at, strict=True))
        }


def _local_days(moments: Sequence[datetime | None], first: date) -> list[int]:
    return [NEVER if m is None else (timezone.localdate(m) - first).days for m in moments]


def _mail_facts(rows: QuerySet, first: date) -> Iterator[list[np.ndarray]]:
    """(account, day sent, day opened or NEVER) of each e-mail, days counted from `first` in the
    site's time zone: sent before the end of a day is sent by that day (`end_of`)."""
    if by_copy():
        rows = rows.annotate(
            sent_no=_days_from(TruncDate("sent_at"), first),
            opened_no=Coalesce(_days_from(TruncDate("opened_at"), first), Value(NEVER)),
        )
        yield fact_columns(rows.order_by().values_list("account_id", "sent_no", "opened_no"), "qii")
        return
    facts = rows.values_list("account_id", "sent_at", "opened_at").iterator(20_000)
    yield from _orm_batches(facts, lambda r: (r[0], *_local_days(r[1:], first)))


def email_range(signal, days, account_ids, scope, starts) -> dict:
    """`email_open_rate` for each day: per account, e-mails sent in the window and, of them,
    those opened by the day's end, counted per day over each batch of facts."""
    window = signal.window_days
    first = _window(days[0], window)[0]
    accounts = DayAccounts(days, account_ids)
    ids = accounts.ids
    sent = np.zeros((len(ids), len(days)), dtype=np.int64)
    opened = np.zeros((len(ids), len(days)), dtype=np.int64)
    rows = EmailMessage.objects.filter(
        sent_at__gte=end_of(first - timedelta(days=1)), sent_at__lt=end_of(days[-1]), **scope
    )
    ends = [(d - first).days for d in days]
    for account, sent_day, opened_day in _mail_facts(rows, first) if len(ids) else []:
        at, known = _positions(ids, account)
        at, sent_day, opened_day = at[known], sent_day[known], opened_day[known]
        for i, e in enumerate(ends):
            inside = (sent_day <= e) & (sent_day > e - window)
            sent[:, i] += np.bincount(at[inside], minlength=len(ids))
            seen = inside & (opened_day <= e)  # opened by the day's end
            opened[:, i] += np.bincount(at[seen], minlength=len(ids))
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(sent > 0, opened.astype(np.float64) / sent * 100, np.nan)
    return accounts.arrays(rates)
