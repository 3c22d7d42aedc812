"""What the recompute of a day reads before it scores: the accounts active that day, their MRR
and the day each became a customer. `day_facts` asks the database for one day (three
queries); `day_facts_range`, for a backfill, reads the accounts and subscription lines once and
works each day out from them, with the rules of `Account.objects.active_on`,
`signals.revenue.mrr_by_account` and `customer_since` (tests/scoring/test_backfill.py holds
the two to the same facts)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from accounts.models import Account
from scoring.measures import Scope, Values, account_scope
from scoring.subscription_arrays import Dates, Decimals, lines_read, run_starts
from signals.revenue import customer_since, mrr_by_account


@dataclass
class DayFacts:
    """The active accounts (pk, segment, lifecycle stage), their MRR and first subscription
    days, and — from a backfill's range pass — every signal's raw values by signal pk."""

    active: list[dict]
    mrr: dict
    starts: dict
    raw: dict[int, Values] | None = None
    by_card: dict[int, list[int]] | None = None  # `accounts_by_card`, where known already
    listed: list[int] | None = None  # every account's pk (a backfill reads them once)
    deletions: tuple | None = None  # `deletions_mark` from before these were read


def day_facts(as_of: date, scope: Scope) -> DayFacts:
    active = list(
        Account.objects.active_on(as_of)
        .filter(**account_scope(scope))
        .order_by("pk")  # the snapshots are written in key order: none to sort then
        .values("pk", "segment", "lifecycle_stage")
    )
    return DayFacts(
        active=active,
        mrr=mrr_by_account(as_of, scope=scope),
        starts=customer_since(as_of, scope=scope),
    )


def day_facts_range(days: Sequence[date]) -> dict[date, DayFacts]:
    """`day_facts` of each of `days` for the whole book, from one read of the accounts and of
    the subscription lines started by the last day, worked out on arrays
    (`scoring.subscription_arrays`). Active accounts come in order of pk, an account's row
    being one dict shared by every day (read, never written). A day's MRR and start days are
    the day before's, copied and changed where they differ: few do from one day to the next."""
    last = max(days)
    lines = lines_read(last, {})
    rows = Account.objects.values_list("pk", "segment", "lifecycle_stage")
    by_pk = {pk: {"pk": pk, "segment": s, "lifecycle_stage": stage} for pk, s, stage in rows}
    accounts = [by_pk.get(pk) for pk in lines.ids.tolist()]
    known = np.array([row is not None for row in accounts], dtype=bool)  # not deleted since
    runs = run_starts(lines)
    decimals, dates = Decimals(), Dates(lines.epoch)
    mrr, starts = {}, {}
    had_mrr = np.full(len(lines.ids), NONE)  # each account's MRR in cents in `mrr`
    had_since = np.full(len(lines.ids), NONE)  # its start day in `starts`
    facts = {}
    for day in days:
        n = lines.day(day)
        cents, covered = lines.mrr_on(n)
        has_mrr = np.where(covered & known, cents, NONE)
        # Each account's latest line started by the day ends the run it became a customer in.
        begun = lines.sums((lines.start <= n).astype(np.int64))
        since = runs[np.maximum(lines.first + begun - 1, 0)]
        has_since = np.where((begun > 0) & known, since, NONE)
        mrr = _changed(mrr, lines.ids, had_mrr, has_mrr, decimals)
        starts = _changed(starts, lines.ids, had_since, has_since, dates)
        had_mrr, had_since = has_mrr, has_since
        active = np.flatnonzero(has_mrr != NONE).tolist()
        facts[day] = DayFacts(
            active=list(map(accounts.__getitem__, active)), mrr=mrr, starts=starts
        )
    return facts


NONE = np.iinfo(np.int64).min  # no entry: an account without MRR or start day


def _changed(held: dict, ids: np.ndarray, had: np.ndarray, has: np.ndarray, objects) -> dict:
    """A copy of `held` (the `objects` of the numbers `had`, by account) with the numbers
    `has` instead where they differ."""
    changed = np.flatnonzero(had != has)
    gone, now = changed[has[changed] == NONE], changed[has[changed] != NONE]
    result = held.copy()
    for pk in ids[gone].tolist():
        del result[pk]
    result.update(zip(ids[now].tolist(), map(objects.__getitem__, has[now].tolist()), strict=True))
    return result
