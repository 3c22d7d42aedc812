"""The subscription lines of a range of days as numpy arrays, for the backfill's day facts and
revenue trend (`scoring.day_facts`, `scoring.measures_range`): one read, then each day's
covering lines and MRR sums without a Python object per line.

Days are counted from the range's last day (`Lines.day`); MRR is held in whole cents (the field
has two decimal places), so that sums are exact and give the Decimal (`Decimals`) or the float
(cents / 100, correctly rounded as `float(Decimal)` is) that the one-day queries give. On
PostgreSQL the lines come by binary COPY (`scoring.measures_arrays.fact_batches`), elsewhere
through the ORM.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db.models import BigIntegerField, DecimalField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Cast, Coalesce

from accounts.models import Account
from scoring.measures import Scope, account_scope
from scoring.measures_arrays import _days_from, _orm_batches, by_copy, fact_batches
from signals.models import SubscriptionLine

NEVER = 1 << 30  # the end of an open line, the churn day of an account never churned


@dataclass(frozen=True, eq=False)
class Lines:
    """Lines sorted by account and start. `ids`: the accounts with lines (ascending), `first`:
    where each one's lines begin; `owner`: each line's account as an index into `ids`. `live`
    ends a line on its end day or its account's churn day recorded by hand, whichever is
    first (`mrr_by_account` leaves churned accounts out)."""

    epoch: date
    ids: np.ndarray
    first: np.ndarray
    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray
    live: np.ndarray
    cents: np.ndarray

    def day(self, d: date) -> int:
        return (d - self.epoch).days

    def mrr_on(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each account's MRR in cents on day `n`, and whether a line covers it then — none
        from its churn day recorded by hand on."""
        live = (self.start <= n) & (self.live > n)
        return self.sums(np.where(live, self.cents, 0)), self.sums(live.astype(np.int64)) > 0

    def sums(self, per_line: np.ndarray) -> np.ndarray:
        """Each account's sum of `per_line` (integers: exact)."""
        if not len(self.ids):
            return np.zeros(0, dtype=np.int64)
        return np.add.reduceat(per_line, self.first)

    def aligned(self, per_account: np.ndarray, accounts: np.ndarray) -> np.ndarray:
        """`per_account` (one value for each of `ids`) for `accounts`: 0 for one without lines."""
        if not len(self.ids):
            return np.zeros(len(accounts), dtype=per_account.dtype)
        at = np.minimum(np.searchsorted(self.ids, accounts), len(self.ids) - 1)
        return np.where(self.ids[at] == accounts, per_account[at], 0)


class Decimals(dict):
    """{cents: the Decimal of that MRR}, each made once: two decimal places, as the database
    sums them and as Python sums the lines' Decimals."""

    def __missing__(self, cents: int) -> Decimal:
        self[cents] = value = Decimal(cents).scaleb(-2)
        return value


def lines_read(last: date, scope: Scope, *, ended_after: date | None = None) -> Lines:
    """The lines in `scope` started by `last` (and, with `ended_after`, open or ending after
    it), with the churn days recorded by hand on their accounts; days counted from `last`."""
    epoch = last
    rows = SubscriptionLine.objects.filter(start_date__lte=last, **scope)
    if ended_after is not None:
        rows = rows.filter(Q(end_date__isnull=True) | Q(end_date__gt=ended_after))
    if by_copy():
        cents = ExpressionWrapper(F("mrr") * 100, output_field=DecimalField())
        rows = rows.annotate(
            start_no=_days_from("start_date", epoch),
            end_no=Coalesce(_days_from("end_date", epoch), Value(NEVER)),
            cents=Cast(cents, BigIntegerField()),
        )
        batches = fact_batches(
            rows.order_by().values_list("account_id", "start_no", "end_no", "cents"), "qiiq"
        )
    else:
        facts = rows.values_list("account_id", "start_date", "end_date", "mrr").iterator(20_000)
        batches = _orm_batches(
            facts,
            lambda r: (
                r[0],
                (r[1] - epoch).days,
                NEVER if r[2] is None else (r[2] - epoch).days,
                int(r[3] * 100),
            ),
        )
    columns = [np.zeros(0, dtype=np.int64) for _ in range(4)]
    for batch in batches:
        columns = [
            np.concatenate([c, b.astype(np.int64)]) for c, b in zip(columns, batch, strict=True)
        ]
    account, start, end, cents = columns
    order = np.lexsort((start, account))
    account, start, end, cents = account[order], start[order], end[order], cents[order]
    ids, first, owner = np.unique(account, return_index=True, return_inverse=True)
    churned = Account.objects.filter(churned_on__isnull=False, **account_scope(scope))
    churn = np.full(len(ids), NEVER, dtype=np.int64)
    for pk, on in churned.values_list("pk", "churned_on"):
        at = np.searchsorted(ids, pk)
        if at < len(ids) and ids[at] == pk:
            churn[at] = (on - epoch).days
    return Lines(
        epoch=epoch,
        ids=ids,
        first=first,
        owner=owner,
        start=start,
        end=end,
        live=np.minimum(end, churn[owner]),
        cents=cents,
    )


def run_starts(lines: Lines) -> np.ndarray:
    """For each line, the start of the run of its account's lines it ends, walking back in
    time (`signals.revenue.run_start`): an earlier line belongs to the run if it reaches the
    run's earliest start so far; lines that start on the same day go together."""
    n = len(lines.start)
    if not n:
        return np.zeros(0, dtype=np.int64)
    new_account = np.zeros(n, dtype=bool)
    new_account[lines.first] = True
    new_day = new_account.copy()
    new_day[1:] |= lines.start[1:] != lines.start[:-1]
    day_first = np.flatnonzero(new_day)
    reach = np.maximum.reduceat(lines.end, day_first)  # the latest end of each start day
    # A start day begins a run when every line of the account's start day before it ended
    # before it (a gap).
    gap = np.zeros(len(day_first), dtype=bool)
    gap[1:] = reach[:-1] < lines.start[day_first[1:]]
    gap |= new_account[day_first]
    begins = np.zeros(n, dtype=bool)
    begins[day_first[gap]] = True
    head = np.maximum.accumulate(np.where(begins, np.arange(n), 0))
    return lines.start[head]


class Dates(dict):
    """{day number: its date}, each made once."""

    def __init__(self, epoch: date):
        super().__init__()
        self.epoch = epoch

    def __missing__(self, n: int) -> date:
        self[n] = value = self.epoch + timedelta(days=n)
        return value
