"""What the recompute of a day reads before it scores: the accounts active that day, their MRR
and the day each became a customer. `day_facts` asks the database for one day (three
queries); `day_facts_range`, for a backfill, reads the accounts and subscription lines once and
works each day out from them, with the rules of `Account.objects.active_on`,
`signals.revenue.mrr_by_account` and `customer_since` (tests/scoring/test_backfill.py holds
the two to the same facts)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from accounts.models import Account
from scoring.measures import Scope, Values, account_scope
from signals.models import SubscriptionLine
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
        .values("pk", "segment", "lifecycle_stage")
    )
    return DayFacts(
        active=active,
        mrr=mrr_by_account(as_of, scope=scope),
        starts=customer_since(as_of, scope=scope),
    )


def _since(lines: list[tuple], day: date) -> date | None:
    """`customer_since` of one account: the start of the run of lines (latest start first)
    that reaches `day`'s latest line; lines that touch or overlap make one run."""
    since = reach = None
    for start, end, _ in lines:
        if start > day:
            continue
        if since is None:
            since = reach = start
        elif end is None or end >= reach:
            since = reach = min(since, start)
        else:
            break
    return since


def day_facts_range(days: Sequence[date]) -> dict[date, DayFacts]:
    """`day_facts` of each of `days` for the whole book, from one read of the accounts and of
    the subscription lines started by the last day. Accounts come in order of pk."""
    accounts = list(
        Account.objects.order_by("pk").values("pk", "segment", "lifecycle_stage", "churned_on")
    )
    lines: dict[int, list[tuple]] = {}
    rows = (
        SubscriptionLine.objects.filter(start_date__lte=max(days))
        .order_by("account_id", "-start_date")
        .values_list("account_id", "start_date", "end_date", "mrr")
    )
    for account_id, start, end, mrr in rows.iterator(chunk_size=20_000):
        lines.setdefault(account_id, []).append((start, end, mrr))
    facts = {}
    for day in days:
        active, mrr, starts = [], {}, {}
        for account in accounts:
            own = lines.get(account["pk"])
            if not own:
                continue
            if (since := _since(own, day)) is not None:
                starts[account["pk"]] = since
            churned = account["churned_on"] is not None and account["churned_on"] <= day
            covering = [m for s, e, m in own if s <= day and (e is None or e > day)]
            if covering and not churned:
                active.append({k: account[k] for k in ("pk", "segment", "lifecycle_stage")})
                mrr[account["pk"]] = sum(covering, Decimal(0))
        facts[day] = DayFacts(active=active, mrr=mrr, starts=starts)
    return facts
