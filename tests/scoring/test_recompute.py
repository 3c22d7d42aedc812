"""The recompute service on a real database: as-of correctness, idempotency, bounded queries."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring.explanations import explained
from scoring.models import HealthSnapshot, Scorecard, SignalDefinition
from scoring.recompute import health_recompute, id_chunks, scorecard_for
from tests.factories import (
    AccountFactory,
    EmailMessageFactory,
    InvoiceFactory,
    SentimentEntryFactory,
    SubscriptionLineFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageRecordFactory,
    UserFactory,
)

DAY = date(2026, 6, 30)


def snapshot_rows(day=DAY):
    return list(
        HealthSnapshot.objects.filter(date=day)
        .order_by("account_id")
        .values(
            "account_id",
            "score",
            "colour",
            "coverage",
            "parts",
            "mrr",
            "critical_override",
            "scorecard_version",
        )
    )


def healthy_account(owner=None, usage=100.0):
    account = AccountFactory(owner=owner or UserFactory())
    SubscriptionLineFactory(account=account, start_date=date(2025, 1, 1), mrr=Decimal("1000"))
    for n in range(10):
        UsageRecordFactory(account=account, date=DAY - timedelta(days=n), value=usage)
    InvoiceFactory(
        account=account,
        issued_on=date(2026, 5, 1),
        due_on=date(2026, 5, 31),
        paid_on=date(2026, 5, 20),
    )
    SurveyResponseFactory(account=account, responded_on=date(2026, 6, 1), score=10)
    EmailMessageFactory(
        account=account,
        sent_at=datetime(2026, 6, 10, tzinfo=UTC),
        opened_at=datetime(2026, 6, 10, 12, tzinfo=UTC),
    )
    SentimentEntryFactory(account=account, recorded_on=date(2026, 6, 20), sentiment="green")
    # A resolved ticket: the book has support data, so "no open ticket" is measured (and good).
    TicketFactory(
        account=account,
        opened_at=datetime(2026, 6, 1, 9, tzinfo=UTC),
        resolved_at=datetime(2026, 6, 2, 9, tzinfo=UTC),
    )
    return account


def book(n):
    owner = UserFactory()
    return [healthy_account(owner, usage=float(i)) for i in range(n)]


def test_healthy_account_is_green_with_full_coverage(default_scorecard):
    account = healthy_account(usage=50)
    healthy_account(usage=10)  # someone to be better than
    health_recompute(as_of=DAY)
    snap = HealthSnapshot.objects.get(account=account, date=DAY)
    assert snap.colour == "green"
    assert snap.coverage == 1.0
    assert snap.mrr == Decimal("1000.00")
    assert snap.scorecard_version == default_scorecard.version
    assert {c["key"] for c in explained(snap).components} == {
        "usage",
        "account_age",
        "revenue_trend",
        "invoices",
        "tickets",
        "nps",
        "email",
        "sentiment",
    }


def test_account_turns_red_when_invoice_is_60_days_overdue(default_scorecard):
    account = healthy_account(usage=1000)
    healthy_account(usage=1)
    InvoiceFactory(account=account, issued_on=date(2026, 4, 1), due_on=DAY - timedelta(days=60))
    health_recompute(as_of=DAY)
    snap = HealthSnapshot.objects.get(account=account, date=DAY)
    assert snap.colour == "red"
    assert snap.critical_override == "invoices"
    invoices = next(c for c in explained(snap).components if c["key"] == "invoices")
    assert invoices["raw"] == 60
    assert invoices["score"] == 0
    assert snap.score > 40  # the mean alone would not have made it red
    assert "critical" in explained(snap).drivers[0]


def test_a_new_account_in_a_usage_and_billing_book_is_scored_not_grey(default_scorecard):
    account = AccountFactory()
    SubscriptionLineFactory(account=account, start_date=DAY - timedelta(days=5))
    UsageRecordFactory(account=account, date=DAY)
    health_recompute(as_of=DAY)
    snap = HealthSnapshot.objects.get(account=account, date=DAY)
    assert snap.score is not None
    assert snap.coverage == 1.0  # usage, age and revenue trend: all the book measures
    states = {c["key"]: c["state"] for c in explained(snap).components}
    assert states == {
        "usage": "scored",
        "account_age": "scored",
        "revenue_trend": "scored",  # against its MRR on its first day
        "invoices": "not_measured",
        "tickets": "not_measured",
        "nps": "not_measured",
        "email": "not_measured",
        "sentiment": "not_measured",
    }
    age = next(c for c in explained(snap).components if c["key"] == "account_age")
    assert (age["raw"], age["score"]) == (5, pytest.approx(2.8))


def test_an_account_lacking_data_the_rest_of_the_book_has_is_grey(default_scorecard):
    Scorecard.objects.filter(pk=default_scorecard.pk).update(min_coverage=0.7)
    healthy_account()  # the book has invoices, NPS, e-mail, sentiment and tickets
    lacking = AccountFactory()
    SubscriptionLineFactory(account=lacking, start_date=date(2025, 1, 1))
    UsageRecordFactory(account=lacking, date=DAY)
    health_recompute(as_of=DAY)
    snap = HealthSnapshot.objects.get(account=lacking, date=DAY)
    assert snap.colour == "grey"
    assert snap.score is None
    # usage 30 + age 10 + revenue 10 + tickets 10 of the 100 the book measures
    assert snap.coverage == pytest.approx(0.6)


def test_only_accounts_active_that_day_get_a_snapshot(default_scorecard):
    active = healthy_account()
    ended = AccountFactory()
    SubscriptionLineFactory(account=ended, start_date=date(2025, 1, 1), end_date=DAY)
    not_started = AccountFactory()
    SubscriptionLineFactory(account=not_started, start_date=DAY + timedelta(days=1))
    health_recompute(as_of=DAY)
    assert list(HealthSnapshot.objects.values_list("account_id", flat=True)) == [active.pk]


def test_a_fact_dated_after_the_day_never_changes_its_snapshot(default_scorecard):
    account = healthy_account(usage=20)
    healthy_account(usage=30)
    health_recompute(as_of=DAY)
    before = snapshot_rows()
    later = DAY + timedelta(days=1)
    later_dt = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)  # first instant after DAY
    UsageRecordFactory(account=account, date=later, value=10_000)
    InvoiceFactory(account=account, issued_on=later, due_on=later)
    TicketFactory(account=account, priority="critical", opened_at=later_dt)
    SurveyResponseFactory(account=account, responded_on=later, score=0)
    EmailMessageFactory(account=account, sent_at=later_dt)
    SentimentEntryFactory(account=account, recorded_on=later, sentiment="red")
    SubscriptionLineFactory(account=account, start_date=later, mrr=Decimal("5"))
    health_recompute(as_of=DAY)
    assert snapshot_rows() == before


def test_rerunning_a_day_gives_identical_rows(default_scorecard):
    book(5)
    health_recompute(as_of=DAY)
    first = list(HealthSnapshot.objects.order_by("account_id", "date").values())
    health_recompute(as_of=DAY)
    second = list(HealthSnapshot.objects.order_by("account_id", "date").values())
    assert second == first  # same ids, same values


def test_changes_are_described_against_the_previous_snapshot(default_scorecard):
    account = healthy_account(usage=50)
    healthy_account(usage=10)
    health_recompute(as_of=DAY - timedelta(days=1))
    SentimentEntryFactory(account=account, recorded_on=DAY, sentiment="red")
    health_recompute(as_of=DAY)
    snap = HealthSnapshot.objects.get(account=account, date=DAY)
    assert any(
        "CSM sentiment fell from 100/100 to 0/100" in line for line in explained(snap).changes
    )


def test_query_count_does_not_grow_with_accounts(default_scorecard):
    def queries_for(n, day):
        book(n)
        with CaptureQueriesContext(connection) as ctx:
            health_recompute(as_of=day)
        HealthSnapshot.objects.all().delete()
        from accounts.models import Account

        Account.objects.all().delete()
        # Bulk inserts are split into batches that SQLite can take; everything else is fixed:
        # active accounts, MRR, previous snapshots, one or two aggregates per signal, the
        # stale-snapshot delete and the upsert's own bookkeeping.
        return [
            q["sql"].split()[0] for q in ctx.captured_queries if not q["sql"].startswith("INSERT")
        ]

    queries_for(3, DAY)  # the first run records the scorecard's version and the metric names
    small = queries_for(10, DAY)
    large = queries_for(200, DAY)
    assert small == large
    assert len(large) < 40


def test_recompute_of_some_accounts_leaves_the_others_alone(default_scorecard):
    a, b = book(2)
    health_recompute(as_of=DAY, accounts=[a.pk])
    assert list(HealthSnapshot.objects.values_list("account_id", flat=True)) == [a.pk]


def test_chunks_cover_every_active_account_once(default_scorecard):
    accounts = book(7)
    chunks = id_chunks(as_of=DAY, size=3)
    assert len(chunks) == 3
    # Contiguous from 0 to past every id: nothing falls between or after the chunks.
    assert chunks[0][0] == 0
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))
    assert chunks[-1][1] > max(a.pk for a in accounts)
    for lo, hi in chunks:
        health_recompute(as_of=DAY, id_range=(lo, hi))
    assert sorted(HealthSnapshot.objects.values_list("account_id", flat=True)) == sorted(
        a.pk for a in accounts
    )
    chunked = snapshot_rows()
    health_recompute(as_of=DAY)
    assert snapshot_rows() == chunked  # chunks rank against the same book-wide percentiles


def test_a_snapshot_of_an_account_churned_by_hand_is_removed(default_scorecard):
    account = healthy_account()
    health_recompute(as_of=DAY)
    account.churned_on = DAY
    account.save()
    result = health_recompute(as_of=DAY)
    assert result.removed == 1
    assert not HealthSnapshot.objects.exists()


def test_most_specific_scorecard_wins(default_scorecard):
    seg = Scorecard.objects.create(name="Enterprise", segment="enterprise")
    both = Scorecard.objects.create(
        name="Ent onboarding", segment="enterprise", lifecycle_stage="onboarding"
    )
    stage = Scorecard.objects.create(name="Onboarding", lifecycle_stage="onboarding")
    cards = [default_scorecard, seg, both, stage]
    assert scorecard_for({"segment": "enterprise", "lifecycle_stage": "onboarding"}, cards) == both
    assert scorecard_for({"segment": "enterprise", "lifecycle_stage": "mature"}, cards) == seg
    assert scorecard_for({"segment": "smb", "lifecycle_stage": "onboarding"}, cards) == stage
    assert (
        scorecard_for({"segment": "smb", "lifecycle_stage": "mature"}, cards) == default_scorecard
    )


def test_disabled_and_zero_weight_signals(default_scorecard):
    account = healthy_account(usage=5)
    healthy_account(usage=50)
    SignalDefinition.objects.filter(scorecard=default_scorecard, key="usage").update(enabled=False)
    health_recompute(as_of=DAY)
    snap = HealthSnapshot.objects.get(account=account, date=DAY)
    assert "usage" not in {c["key"] for c in explained(snap).components}
    assert snap.colour == "green"
