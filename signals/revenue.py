"""Revenue facts derived from subscription lines: active on a day, MRR on a day, churn date.

A line covers day D when start_date <= D < end_date (an open line has no end). An account
churns on the end date of its last line when no line is open and none starts later; a churn
date recorded by a person overrides that. The pure functions work on any objects with
start_date, end_date and mrr; the queries do the same for many accounts at once.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Protocol

from django.db.models import Max, Q, QuerySet, Sum

from accounts.models import Account
from signals.models import SubscriptionLine


class Line(Protocol):
    start_date: date
    end_date: date | None
    mrr: Decimal


def covers(line: Line, day: date) -> bool:
    return line.start_date <= day and (line.end_date is None or day < line.end_date)


def mrr_on(lines: Iterable[Line], day: date, *, churned_on: date | None = None) -> Decimal:
    """MRR on `day`; nothing once a churn recorded by hand has taken effect."""
    if churned_on is not None and churned_on <= day:
        return Decimal("0")
    return sum((line.mrr for line in lines if covers(line, day)), Decimal("0"))


def churn_date(lines: Iterable[Line], *, churned_on: date | None = None) -> date | None:
    """The day the account stopped being a customer, or None while it still is one."""
    if churned_on is not None:
        return churned_on
    lines = list(lines)
    if not lines or any(line.end_date is None for line in lines):
        return None
    return max(line.end_date for line in lines if line.end_date is not None)


def is_active_on(lines: Iterable[Line], day: date, *, churned_on: date | None = None) -> bool:
    if churned_on is not None and churned_on <= day:
        return False
    return any(covers(line, day) for line in lines)


def lines_covering(day: date) -> QuerySet[SubscriptionLine]:
    return SubscriptionLine.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gt=day), start_date__lte=day
    )


def mrr_by_account(
    day: date, account_ids: Iterable[int] | None = None, *, scope: dict | None = None
) -> dict[int, Decimal]:
    """MRR on `day` of every account with a covering line, in one query. Accounts churned by
    hand on or before `day` have none, even if billing left a line open.

    `scope` is a filter on account_id (such as a pk range) for callers scoring many accounts.
    """
    lines = lines_covering(day).filter(**(scope or {})).exclude(account__churned_on__lte=day)
    if account_ids is not None:
        lines = lines.filter(account_id__in=list(account_ids))
    rows = lines.values("account_id").annotate(mrr=Sum("mrr")).values_list("account_id", "mrr")
    return dict(rows)


def customer_since(day: date, *, scope: dict | None = None) -> dict[int, date]:
    """The day each account's current run of subscription lines began, as of `day` — the day it
    became a customer again, for an account that left and came back — from which its age
    counts (`run_start`). One query.

    `scope` is a filter on account_id, as for `mrr_by_account`."""
    lines = (
        SubscriptionLine.objects.filter(start_date__lte=day, **(scope or {}))
        .order_by("account_id", "-start_date")
        .values_list("account_id", "start_date", "end_date")
    )
    return {
        account_id: run_start((start, end) for _, start, end in rows)
        for account_id, rows in groupby(lines.iterator(chunk_size=10_000), key=itemgetter(0))
    }


def run_start(lines: Iterable[tuple[date, date | None]]) -> date:
    """The day the run of one account's lines that holds its latest began: `lines` are its
    (start, end) pairs, the latest start first (at least one). Lines that touch or overlap
    make one run; a gap starts a new one. Lines that start on the same day are taken
    together, so that the order the database gives them in does not matter."""
    since = None
    for start, same_day in groupby(lines, key=itemgetter(0)):
        ends = [end for _, end in same_day]
        # Walking back in time: these lines belong to the run if one reaches its earliest start.
        if since is not None and None not in ends and max(ends) < since:
            break
        since = start
    assert since is not None, "run_start needs a line"
    return since


def churn_dates(account_ids: Iterable[int] | None = None) -> dict[int, date]:
    """Derived churn date of every churned account (manual dates win), in two queries."""
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    result: dict[int, date] = {}
    open_ids = set(
        SubscriptionLine.objects.filter(end_date__isnull=True, account__in=accounts)
        .values_list("account_id", flat=True)
        .distinct()
    )
    last_ends = (
        SubscriptionLine.objects.filter(account__in=accounts)
        .values("account_id")
        .annotate(last_end=Max("end_date"))
        .values_list("account_id", "last_end")
    )
    for account_id, last_end in last_ends:
        if account_id not in open_ids and last_end is not None:
            result[account_id] = last_end
    for account_id, manual in accounts.filter(churned_on__isnull=False).values_list(
        "pk", "churned_on"
    ):
        result[account_id] = manual
    return result


def churns_between(first: date, last: date) -> dict[int, date]:
    """The accounts whose churn date is in (first, last], with that date. Only an account with
    a line ending, or a churn recorded, in that span can have churned in it, so that is all
    this reads (the exit survey and the churn webhook both ask)."""
    candidates = set(
        SubscriptionLine.objects.filter(end_date__gt=first, end_date__lte=last).values_list(
            "account_id", flat=True
        )
    ) | set(
        Account.objects.filter(churned_on__gt=first, churned_on__lte=last).values_list(
            "pk", flat=True
        )
    )
    if not candidates:
        return {}
    return {a: on for a, on in churn_dates(candidates).items() if first < on <= last}
