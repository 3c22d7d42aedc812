"""The simulated book of bench/quality_bench.py: believable, deterministic, usage and billing."""

import calendar
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.db.models import Max, Min

from accounts.models import Account
from signals.models import (
    EmailMessage,
    Invoice,
    SentimentEntry,
    SubscriptionLine,
    Ticket,
    UsageRecord,
)
from signals.revenue import churn_dates
from surveys.models import SurveyResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import quality_sim  # noqa: E402

# Four months of usage to the held-out day, billing 45 days beyond.
SMALL = quality_sim.Calendar(date(2026, 1, 1), date(2026, 5, 1), date(2026, 6, 15))


@pytest.fixture(scope="module")
def book():
    return quality_sim.simulate(300, SMALL, seed=7)


@pytest.fixture(scope="module")
def bigger():
    # Statistics need more accounts than the database test loads; numpy alone is fast.
    return quality_sim.simulate(3000, SMALL, seed=11)


def anniversary(anchor: date, on: date) -> bool:
    """Whether `on` is a whole number of calendar months after `anchor` (day of month kept,
    clamped to the month's length)."""
    length = calendar.monthrange(on.year, on.month)[1]
    return on > anchor and on.day == min(anchor.day, length)


def test_same_seed_same_book():
    a = quality_sim.simulate(200, SMALL, seed=3)
    b = quality_sim.simulate(200, SMALL, seed=3)
    assert np.array_equal(a.lines, b.lines)
    assert all(np.array_equal(x, y) for x, y in zip(a.usage, b.usage, strict=True))
    assert not np.array_equal(a.lines, quality_sim.simulate(200, SMALL, seed=4).lines)


def test_the_book_keeps_growing_with_a_young_quarter(bigger):
    day = SMALL.held_out
    active = bigger.active_on(day)
    age = bigger.index(day) - bigger.start[active]
    assert 2700 <= active.sum() <= 3300
    assert 0.15 <= (age < 90).mean() <= 0.35  # arrivals throughout
    assert age.max() > 2 * 365  # and customers of several years
    # New accounts kept arriving every month of the usage period.
    first = bigger.index(SMALL.usage_start)
    arrivals = np.bincount((bigger.start[bigger.start >= first] - first) // 30)
    assert (arrivals[:4] > 50).all()


def test_monthly_churn_is_realistic_and_highest_for_new_accounts(bigger):
    rates, young, old = [], [0, 0], [0, 0]
    for month in range(1, 5):
        s = bigger.index(date(2026, month, 1))
        e = bigger.index(date(2026, month + 1, 1))
        on = (bigger.start <= s) & ((bigger.churn < 0) | (bigger.churn > s))
        gone = on & (bigger.churn > s) & (bigger.churn <= e)
        rates.append(gone.sum() / on.sum())
        is_young = (s - bigger.start) < 90
        young = [young[0] + (gone & is_young).sum(), young[1] + (on & is_young).sum()]
        old = [old[0] + (gone & ~is_young).sum(), old[1] + (on & ~is_young).sum()]
    assert 0.01 <= np.mean(rates) <= 0.04
    assert young[0] / young[1] > 1.5 * old[0] / old[1]


def test_churn_happens_only_at_renewals(bigger):
    churned = np.flatnonzero(bigger.churn >= 0)
    assert len(churned) > 100
    for i in churned.tolist():
        on = bigger.day(bigger.churn[i])
        paid = bigger.day(bigger.paid_start[i])
        trial_end = bool(bigger.trial[i]) and on == paid
        assert trial_end or anniversary(paid, on), (i, paid, on)


def test_usage_reflects_satisfaction_only_noisily(bigger):
    """Usage per seat goes with the hidden satisfaction, but far from perfectly."""
    day = bigger.index(SMALL.held_out)
    active = np.flatnonzero(bigger.active_on(SMALL.held_out))
    acc, when, metric, value = bigger.usage
    logins = (metric == quality_sim.METRICS.index("logins")) & (when > day - 30)
    per_seat = np.bincount(acc[logins], weights=value[logins], minlength=len(bigger.start))
    per_seat = per_seat[active] / bigger.seats[active]
    r = np.corrcoef(per_seat, bigger.satisfaction_held_out[active])[0, 1]
    assert 0.1 < r < 0.7


@pytest.mark.django_db
@pytest.mark.postgres
def test_loaded_book_has_only_usage_and_billing(book):
    counts = quality_sim.load(book)

    assert Account.objects.count() == counts["accounts"] == len(book.external_id)
    assert SubscriptionLine.objects.count() == counts["lines"] > counts["accounts"]
    assert UsageRecord.objects.count() == counts["usage"] > 10_000
    for model in (Invoice, Ticket, EmailMessage, SurveyResponse, SentimentEntry):
        assert not model.objects.exists(), model.__name__
    # Every metric is there, and within the usage export's dates.
    assert set(UsageRecord.objects.values_list("metric", flat=True).distinct()) == set(
        quality_sim.METRICS
    )
    span = UsageRecord.objects.aggregate(first=Min("date"), last=Max("date"))
    assert span == {"first": SMALL.usage_start, "last": SMALL.held_out}
    assert not UsageRecord.objects.filter(value__lte=0).exists()  # zeros are not exported
    # Trials are free lines at the start; every paid line is priced by seats.
    trials = SubscriptionLine.objects.filter(is_trial=True)
    assert trials.exists() and not trials.exclude(mrr=0).exists()
    assert not SubscriptionLine.objects.filter(is_trial=False, mrr__lte=0).exists()
    # About the asked-for number of accounts active on the held-out day.
    assert 250 <= Account.objects.active_on(SMALL.held_out).count() <= 350


@pytest.mark.django_db
@pytest.mark.postgres
def test_loaded_lines_are_monthly_and_churn_is_the_last_ones_end(book):
    quality_sim.load(book)
    lines: dict[int, list[SubscriptionLine]] = {}
    for line in SubscriptionLine.objects.order_by("account_id", "start_date"):
        lines.setdefault(line.account_id, []).append(line)
    churned = churn_dates()
    assert churned, "the book has churn"
    for account_id, own in lines.items():
        assert len({line.subscription_id for line in own}) == 1
        # Back to back, one a month (a trial first, maybe), only the last one open.
        for before, after in zip(own, own[1:], strict=False):
            assert before.end_date == after.start_date
        paid = [line for line in own if not line.is_trial]
        assert all(line.end_date for line in own[:-1])
        anchor = paid[0].start_date if paid else None
        for line in paid:
            if line.end_date:
                assert anniversary(anchor, line.end_date)
                assert 28 <= (line.end_date - line.start_date).days <= 31
        if own[-1].end_date is None:
            assert account_id not in churned
        else:
            assert churned[account_id] == own[-1].end_date
            if own[-1].is_trial:
                assert own[-1].end_date - own[-1].start_date == timedelta(days=14)
    # Active users, a gauge, never exceed the seats billed (MRR ÷ the segment's price; a
    # trial still running has the seats it signed up with).
    price = dict(zip(quality_sim.SEGMENTS, quality_sim.PRICE_PER_SEAT, strict=True))
    seats = {
        a.pk: max(float(line.mrr) for line in lines[a.pk]) / price[a.segment] or a.licensed_seats
        for a in Account.objects.all()
    }
    peak = (
        UsageRecord.objects.filter(metric="active_users")
        .values("account_id")
        .annotate(peak=Max("value"))
        .values_list("account_id", "peak")
    )
    assert all(value <= seats[account_id] + 1e-6 for account_id, value in peak)
