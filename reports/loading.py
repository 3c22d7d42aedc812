"""Loads shared by several reports: the revenue book, the sampled snapshot days and the
outcomes (churn) that scores are judged against. A few queries each, for the whole book."""

import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import NamedTuple

from accounts.models import Account
from reports.retention import Customer, Line
from reports.tables import HORIZONS, MAX_OBSERVATION_DAYS, SAMPLE_STEP_DAYS, ReportFilters
from scoring.explanations import scores_reader, version_configs
from scoring.models import HealthSnapshot
from signals.models import SubscriptionLine
from signals.revenue import churn_dates

# ---------------------------------------------------------------- loading the revenue book


def customers_load(segment: str = "") -> dict[int, Customer]:
    """Every account of the segment with its subscription lines, in two queries."""
    accounts = Account.objects.order_by()
    lines = SubscriptionLine.objects.order_by()
    if segment:
        accounts = accounts.filter(segment=segment)
        lines = lines.filter(account__segment=segment)
    customers = {
        pk: Customer(
            id=pk,
            churned_on=churned_on,
            segment=seg,
            churn_reason=reason,
            name=name,
            external_id=external_id,
        )
        for pk, churned_on, seg, reason, name, external_id in accounts.values_list(
            "pk", "churned_on", "segment", "churn_reason", "name", "external_id"
        )
    }
    rows = lines.values_list(
        "account_id", "product", "mrr", "start_date", "end_date", "is_trial", "subscription_id"
    )
    for account_id, product, mrr, start, end, trial, sub in rows.iterator(chunk_size=5000):
        customer = customers.get(account_id)
        if customer is not None:  # None: the account was created after the first query
            customer.lines.append(Line(product, mrr, start, end, trial, sub))
    return customers


class Snapshot(NamedTuple):
    account_id: int
    day: date
    score: float | None
    colour: str
    components: dict[str, float | None]
    critical: bool = False  # red because a critical signal was red, whatever the score
    scorecard_id: int | None = None


def sampled_days(first: date, last: date, *, step: int) -> list[date]:
    """Days from `first` to `last`, one every `step` days counting back from the latest day in
    that range with a snapshot (one indexed query). The nightly job scores every day, so the
    days found back from it carry snapshots; a day without any simply adds nothing."""
    snapshots = HealthSnapshot.objects.filter(date__gte=first, date__lte=last)
    latest = snapshots.order_by("-date").values_list("date", flat=True).first()
    if latest is None:
        return []
    count = (latest - first).days // step + 1
    return [latest - timedelta(days=step * k) for k in range(count)][::-1]


def observation_days(filters: ReportFilters) -> list[date]:
    """Snapshot days of the period old enough for the shortest horizon to have passed: one a
    week counting back from the latest, or one every two, three… weeks over a long period, so
    that there are at most MAX_OBSERVATION_DAYS."""
    last = min(filters.last_day, filters.today - timedelta(days=min(HORIZONS)))
    weeks = max(1, math.ceil(((last - filters.first_day).days + 1) / (7 * MAX_OBSERVATION_DAYS)))
    return sampled_days(filters.first_day, last, step=SAMPLE_STEP_DAYS * weeks)


def snapshots_load(days: Sequence[date], *, segment: str = "") -> list[Snapshot]:
    """The snapshots of `days` with each component's score, in two queries and one for each
    scorecard version among them; no explanation is rendered."""
    if not days:
        return []
    rows = HealthSnapshot.objects.filter(date__in=list(days)).order_by()
    if segment:
        rows = rows.filter(account__segment=segment)
    values = rows.values_list(
        "account_id", "date", "score", "colour", "critical_override", "scorecard_id",
        "scorecard_version", "parts",
    )  # fmt: skip
    readers: dict = {}
    result = []
    for account, day, score, colour, override, card, version, parts in values.iterator(
        chunk_size=5000
    ):
        key = (card, version)
        if key not in readers:
            readers[key] = scores_reader(version_configs([key])[key])
        components = readers[key](parts)
        result.append(Snapshot(account, day, score, colour, components, bool(override), card))
    return result


Outcomes = dict[int, list[tuple[Snapshot, bool]]]


def outcomes(
    snapshots: Iterable[Snapshot],
    churned_on: dict[int, date],
    *,
    horizons: Sequence[int] = HORIZONS,
    today: date,
) -> Outcomes:
    """For each horizon, (snapshot, churned within `horizon` days after its day) of the
    snapshots whose whole horizon has passed by today — a later day's "not churned" is not
    known yet."""
    result: Outcomes = {h: [] for h in horizons}
    last_day = {h: today - timedelta(days=h) for h in horizons}
    for s in snapshots:
        churned = churned_on.get(s.account_id)
        if churned is not None and churned <= s.day:
            continue  # already gone (a churn recorded by hand after the snapshot was made)
        after = (churned - s.day).days if churned is not None else None
        for h in horizons:
            if s.day <= last_day[h]:
                result[h].append((s, after is not None and after <= h))
    return result


def churn_dates_known(today: date) -> dict[int, date]:
    """Churn dates on or before today (billing may know of a contract ending next month)."""
    return {pk: day for pk, day in churn_dates().items() if day <= today}
