"""A backfill measures each signal for a whole range of days in one pass: what it writes must be
what the recompute of each day, one at a time, writes."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from scoring import measures_arrays
from scoring.day_facts import day_facts_range
from scoring.maths import Method
from scoring.measures import end_of, measure
from scoring.measures_range import RANGE_MEASURES, measure_days
from scoring.models import HealthSnapshot, SignalDefinition, Source
from scoring.recompute import (
    accounts_by_card,
    day_facts,
    health_backfill,
    health_recompute,
    load_scorecards,
    signals_of,
)
from signals.models import Goal, Referral, Ticket
from tests.factories import (
    AccountFactory,
    EmailMessageFactory,
    InvoiceFactory,
    SentimentEntryFactory,
    SubscriptionLineFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageRecordFactory,
)

FIRST, LAST = date(2026, 6, 1), date(2026, 6, 20)
DAYS = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
FIELDS = (
    "account_id", "date", "score", "colour", "coverage", "parts", "critical_override", "mrr",
    "scorecard_id", "scorecard_version",
)  # fmt: skip

ARRAY_SOURCES = {
    Source.USAGE_VOLUME, Source.USAGE_FREQUENCY, Source.USAGE_BREADTH, Source.EMAIL_OPEN_RATE,
    Source.INVOICE_OVERDUE, Source.NPS,
}  # fmt: skip

# Signals beyond the default scorecard's, so that every range measure is held to its twin.
EXTRA = [
    ("frequency", Source.USAGE_FREQUENCY, "", Method.PERCENTILE, None, None, 14),
    ("breadth", Source.USAGE_BREADTH, "", Method.THRESHOLD, 0, 3, 7),
    ("logins-trend", Source.USAGE_VOLUME, "logins", Method.TREND, -50, 50, 7),
    ("usage-trend", Source.USAGE_VOLUME, "", Method.TREND, -50, 50, 5),
    ("seats", Source.LICENCE_UTILISATION, "", Method.THRESHOLD, 0, 100, 10),
    ("idle", Source.DAYS_SINCE_ACTIVITY, "", Method.THRESHOLD, 14, 0, 14),
    ("csat", Source.CSAT, "", Method.THRESHOLD, 1, 5, 30),
    ("goals", Source.GOALS_ON_TRACK, "", Method.THRESHOLD, 0, 100, 7),
    ("advocacy", Source.ADVOCACY, "", Method.THRESHOLD, 0, 2, 10),
]


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def build_book(card) -> None:
    """Thirty accounts with facts that come and go over the range: usage with gaps and a
    metric some never use, fractional gauges, young accounts and one churning, price changes,
    invoices paid late or never, tickets opened and resolved, answers, e-mails, sentiment."""
    for key, source, metric, method, poor, good, window in EXTRA:
        SignalDefinition.objects.create(
            scorecard=card, key=key, label=key.title(), source=source, metric=metric,
            method=method, poor=poor, good=good, window_days=window, weight=5,
            direction="lower_better" if key == "idle" else "higher_better",
        )  # fmt: skip
    rng = random.Random(14)
    for n in range(30):
        account = AccountFactory(licensed_seats=rng.choice([0, 20, 50]))
        start = FIRST - timedelta(days=rng.choice([400, 400, 60, 10])) + timedelta(days=n % 5)
        if n == 7:
            start = FIRST + timedelta(days=6)  # becomes a customer inside the range
        end = FIRST + timedelta(days=12) if n == 3 else None  # churns inside the range
        price_change = FIRST + timedelta(days=rng.randrange(20)) if n % 3 == 0 else None
        SubscriptionLineFactory(
            account=account, start_date=start, end_date=price_change or end, mrr=Decimal(500 + n)
        )
        if price_change:
            SubscriptionLineFactory(
                account=account, start_date=price_change, end_date=end, mrr=Decimal(700 + n)
            )
        for k in range(60):
            day = LAST - timedelta(days=k)
            if day < start or rng.random() < 0.3:
                continue
            UsageRecordFactory(account=account, date=day, metric="logins", value=rng.randrange(9))
            UsageRecordFactory(
                account=account, date=day, metric="active_users", value=rng.randrange(30) + 0.5
            )
            if n % 4:
                UsageRecordFactory(
                    account=account, date=day, metric="reports", value=rng.randrange(3)
                )
        for k in range(3):
            issued = FIRST - timedelta(days=40) + timedelta(days=15 * k)
            paid = issued + timedelta(days=rng.choice([5, 45, 400]))
            InvoiceFactory(
                account=account, issued_on=issued, due_on=issued + timedelta(days=30), paid_on=paid
            )
        if n % 2:
            opened = FIRST - timedelta(days=rng.randrange(20)) + timedelta(days=rng.randrange(25))
            TicketFactory(
                account=account,
                priority=rng.choice(["high", "critical", "low"]),
                opened_at=at(opened, 8 + n % 9),
                resolved_at=at(opened + timedelta(days=rng.randrange(15)), 17) if n % 3 else None,
                csat=rng.choice([None, 3, 5]),
            )
        for k in range(3):
            SurveyResponseFactory(
                account=account,
                respondent=f"c{k % 2}@{n}.example",
                responded_on=FIRST - timedelta(days=100) + timedelta(days=rng.randrange(120)),
                score=rng.randrange(11),
            )
        for _ in range(4):
            sent = FIRST - timedelta(days=60) + timedelta(days=rng.randrange(80))
            EmailMessageFactory(
                account=account,
                sent_at=at(sent),
                opened_at=at(sent + timedelta(days=rng.randrange(4)))
                if rng.random() < 0.5
                else None,
            )
        own = random.Random(n)  # the book's draws above stay as they were
        for k in range(n % 4):
            set_on = FIRST - timedelta(days=10) + timedelta(days=own.randrange(25))
            Goal.objects.create(
                account=account,
                kpi=f"kpi {k}",
                target=10,
                set_on=None if k == 2 else set_on,
                due_on=set_on + timedelta(days=own.randrange(12)),
                status=own.choice(["on_track", "at_risk", "met", "missed"]),
            )
            Referral.objects.create(
                account=account,
                referred_company=f"Co {k}",
                referred_on=FIRST - timedelta(days=12) + timedelta(days=own.randrange(30)),
            )
        for _ in range(2):
            SentimentEntryFactory(
                account=account,
                recorded_on=FIRST - timedelta(days=30) + timedelta(days=rng.randrange(45)),
                sentiment=rng.choice(["green", "yellow", "red"]),
            )


def as_dicts(by_day: dict) -> dict:
    """A range measure's values of each day as the one-day measure's dict (a range measure
    may give a ValueArray, which reads as one)."""
    return {d: dict(values.items()) for d, values in by_day.items()}


def snapshots() -> list[dict]:
    return list(HealthSnapshot.objects.order_by("date", "account_id").values(*FIELDS))


def test_every_range_measure_gives_what_the_one_day_measure_gives(default_scorecard):
    build_book(default_scorecard)
    [card] = load_scorecards()
    facts = {d: day_facts(d, {}) for d in DAYS}
    ids = {d: accounts_by_card(facts[d].active, [card]).get(card.pk, []) for d in DAYS}
    starts = {d: facts[d].starts for d in DAYS}
    sources = set()
    for signal in signals_of(card):
        ranged = as_dicts(measure_days(signal, DAYS, ids, {}, starts))
        for d in DAYS:
            assert ranged[d] == measure(signal, d, ids[d], {}, starts[d]), (signal.key, d)
        sources.add(signal.source)
    assert sources == set(RANGE_MEASURES)  # every source with a range measure was compared


@pytest.mark.postgres
def test_a_backfill_writes_what_recomputing_each_day_writes(default_scorecard):
    build_book(default_scorecard)
    results = health_backfill(DAYS)
    assert [r.day for r in results] == DAYS
    backfilled = snapshots()
    assert {s["colour"] for s in backfilled} >= {"green", "yellow", "red"}
    assert len(backfilled) > 20 * 25  # the young account joins, the churned one leaves

    HealthSnapshot.objects.all().delete()
    cache.clear()
    for day in DAYS:
        health_recompute(as_of=day)
    assert snapshots() == backfilled


@pytest.mark.postgres
def test_the_array_measures_read_the_same_facts_by_copy_and_through_the_orm(
    default_scorecard, monkeypatch
):
    """On PostgreSQL the facts come packed into one value by the server (usage one per metric
    and run of days, here a day), subscription lines by binary COPY; elsewhere all through the
    ORM. A tiny COPY buffer cuts rows across many batches."""
    build_book(default_scorecard)
    [card] = load_scorecards()
    facts = {d: day_facts(d, {}) for d in DAYS}
    ids = {d: accounts_by_card(facts[d].active, [card]).get(card.pk, []) for d in DAYS}
    starts = {d: facts[d].starts for d in DAYS}
    chosen = [s for s in signals_of(card) if s.source in ARRAY_SOURCES]
    assert {s.source for s in chosen} == ARRAY_SOURCES
    monkeypatch.setattr(measures_arrays, "COPY_BUFFER", 97)
    monkeypatch.setattr(measures_arrays, "PACKED_FACTS", 1)  # usage read a day at a time
    by_copy = [as_dicts(measure_days(s, DAYS, ids, {}, starts)) for s in chosen]
    monkeypatch.setattr(measures_arrays, "by_copy", lambda: False)
    assert [as_dicts(measure_days(s, DAYS, ids, {}, starts)) for s in chosen] == by_copy
    assert any(by_copy[0][d] for d in DAYS)  # the facts were there to read


def test_the_facts_of_a_range_are_those_of_each_day(default_scorecard):
    """Active accounts, MRR and customer-since days, worked out for a range from one read of
    the lines, as the day's own queries give them (an account joins, one churns, prices move)."""
    build_book(default_scorecard)
    churned = AccountFactory(churned_on=FIRST + timedelta(days=4))  # by hand, line left open
    SubscriptionLineFactory(account=churned, start_date=FIRST - timedelta(days=90), end_date=None)
    returned = AccountFactory()  # left, then came back after a gap: a new run
    SubscriptionLineFactory(
        account=returned, start_date=FIRST - timedelta(days=90), end_date=FIRST - timedelta(days=30)
    )
    SubscriptionLineFactory(account=returned, start_date=FIRST + timedelta(days=2), end_date=None)
    ranged = day_facts_range(DAYS)
    for d in DAYS:
        one = day_facts(d, {})
        assert sorted(ranged[d].active, key=lambda a: a["pk"]) == sorted(
            one.active, key=lambda a: a["pk"]
        ), d
        assert (ranged[d].mrr, ranged[d].starts) == (one.mrr, one.starts), d
    assert churned.pk not in {a["pk"] for a in ranged[LAST].active}
    assert ranged[LAST].starts[returned.pk] == FIRST + timedelta(days=2)


def test_an_account_deleted_during_a_backfill_keeps_no_snapshot(default_scorecard):
    """The snapshots' foreign keys have no database constraint: an account deleted after the
    block's facts were read must not keep the snapshots of the days written after it went."""
    build_book(default_scorecard)
    doomed = HealthSnapshot.objects.none()

    def delete_one(result):
        nonlocal doomed
        if result.day == FIRST:
            account = AccountFactory._meta.model.objects.order_by("pk").first()
            doomed = HealthSnapshot.objects.filter(account_id=account.pk)
            assert doomed.exists()
            account.delete()

    health_backfill(DAYS, on_day=delete_one)
    assert HealthSnapshot.objects.filter(date=LAST).exists()
    assert not doomed.exists()


def on(n: int) -> date:
    return FIRST + timedelta(days=n)


def build_lines_book() -> dict[str, int]:
    """Accounts whose subscription lines meet the rules of MRR, revenue trend and customer-since
    days inside the range: prices that move in the window, MRRs in cents whose float sum is
    not their sum, lines that end on a day, churns, gaps, free trials, lines that start on the
    same day. {name: account pk}."""
    old = FIRST - timedelta(days=200)
    book = {
        "steps": [(old, on(3), "99.99"), (on(3), on(8), "120.10"), (on(8), None, "80.05")],
        "cents": [(old, None, "0.10"), (old, None, "0.20"), (on(5), None, "0.70")],
        "ends": [(old, on(10), "250.00")],
        "gap": [(old, FIRST - timedelta(days=20), "150.00"), (on(4), None, "175.50")],
        "trial then paid": [(FIRST - timedelta(days=5), on(5), "0"), (on(5), None, "49.99")],
        "trial only": [(on(2), None, "0")],
        "same day": [(on(2), None, "10.01"), (on(2), None, "20.02"), (on(9), None, "5")],
        "unpaid first": [(on(1), None, "0"), (on(3), None, "5.00"), (on(6), None, "7.00")],
        # Two lines start on one day, one reaching the next line: a customer since that day.
        "tie": [(old, FIRST - timedelta(days=60), "1"), (old, on(1), "2"), (on(1), None, "3")],
        # A gap stops the walk back, even with an open line before it.
        "open before a gap": [
            (old, None, "40.00"),
            (FIRST - timedelta(days=30), FIRST - timedelta(days=20), "5"),
            (FIRST - timedelta(days=10), None, "6.66"),
        ],
        "joins late": [(on(15), None, "300")],
        "none": [],
    }
    pks = {}
    for name, lines in book.items():
        account = AccountFactory(churned_on=on(6) if name == "ends" else None)
        for start, end, mrr in lines:
            SubscriptionLineFactory(
                account=account, start_date=start, end_date=end, mrr=Decimal(mrr)
            )
        pks[name] = account.pk
    churned = AccountFactory(churned_on=on(6))  # by hand, the line left open, one billed after
    SubscriptionLineFactory(account=churned, start_date=old, end_date=None, mrr=Decimal("300"))
    SubscriptionLineFactory(account=churned, start_date=on(7), end_date=None, mrr=Decimal("20"))
    pks["churned"] = churned.pk
    return pks


@pytest.mark.parametrize("window", [3, 7, 30])
def test_the_revenue_trend_of_a_range_is_that_of_each_day(db, window):
    pks = build_lines_book()
    signal = SignalDefinition(source=Source.REVENUE_TREND, window_days=window)
    ids = {d: list(pks.values()) for d in DAYS}
    ranged = as_dicts(measure_days(signal, DAYS, ids, {}, {d: {} for d in DAYS}))
    for d in DAYS:
        assert ranged[d] == measure(signal, d, ids[d], {}, {}), d
    assert len({v for d in DAYS for v in ranged[d].values()}) > 5  # the lines move


def test_the_facts_of_a_range_hold_to_the_rules_of_lines(db):
    pks = build_lines_book()
    ranged = day_facts_range(DAYS)
    for d in DAYS:
        one = day_facts(d, {})
        assert [a["pk"] for a in ranged[d].active] == sorted(a["pk"] for a in one.active), d
        assert ranged[d].mrr == one.mrr and ranged[d].starts == one.starts, d
    assert str(ranged[on(5)].mrr[pks["cents"]]) == "1.00"  # as Python sums the lines' Decimals
    assert str(ranged[LAST].mrr[pks["trial only"]]) == "0.00"
    assert pks["ends"] not in ranged[on(6)].mrr  # churned by hand before its line ends
    assert pks["churned"] in ranged[on(5)].mrr and pks["churned"] not in ranged[on(6)].mrr
    assert ranged[LAST].starts[pks["tie"]] == FIRST - timedelta(days=200)
    assert ranged[LAST].starts[pks["open before a gap"]] == FIRST - timedelta(days=10)
    assert ranged[on(3)].starts[pks["gap"]] == FIRST - timedelta(days=200)
    assert ranged[on(4)].starts[pks["gap"]] == on(4)
    assert pks["joins late"] not in ranged[on(14)].starts
    assert pks["none"] not in ranged[LAST].starts


def test_range_measures_keep_the_rules_on_the_edges(default_scorecard):
    """Facts on the very edges of a day or a window: an invoice paid on the day or due on it
    (not overdue), several overdue (the oldest counts); a ticket resolved at the end of the day
    (still open that day); a contact answering again (the latest answer counts); an e-mail
    opened after the day; a sentiment entry on the window's first day."""
    day = FIRST + timedelta(days=5)
    account = AccountFactory()
    SubscriptionLineFactory(account=account, start_date=FIRST - timedelta(days=400), end_date=None)
    late = AccountFactory()  # its first invoice comes inside the range
    SubscriptionLineFactory(account=late, start_date=FIRST - timedelta(days=400), end_date=None)
    invoice = dict(account=account, issued_on=FIRST - timedelta(days=40))
    InvoiceFactory(**invoice, due_on=day, paid_on=None)  # due on the day
    InvoiceFactory(**invoice, due_on=day - timedelta(days=3), paid_on=day)  # paid on the day
    InvoiceFactory(**invoice, due_on=day - timedelta(days=2), paid_on=None)
    InvoiceFactory(issued_on=day, due_on=day, account=late)
    TicketFactory(
        account=account,
        priority="high",
        opened_at=datetime(FIRST.year, FIRST.month, FIRST.day, 6, 30, 15, 123, tzinfo=UTC),
        resolved_at=end_of(day),
    )
    TicketFactory(account=account, priority="critical", opened_at=at(day, 13))
    answer = dict(account=account, respondent="same@customer.example")
    SurveyResponseFactory(**answer, responded_on=day - timedelta(days=3), score=0)
    SurveyResponseFactory(**answer, responded_on=day, score=10)
    SurveyResponseFactory(account=account, responded_on=day - timedelta(days=2), score=7)
    EmailMessageFactory(account=account, sent_at=at(day), opened_at=at(day + timedelta(days=2)))
    EmailMessageFactory(account=account, sent_at=at(day), opened_at=at(day, 11))
    for key, source, *_, window in EXTRA:
        if source in (Source.CSAT, Source.GOALS_ON_TRACK, Source.ADVOCACY):
            SignalDefinition.objects.create(
                scorecard=default_scorecard, key=key, label=key, source=source,
                method=Method.THRESHOLD, poor=0, good=1, window_days=window, weight=5,
            )  # fmt: skip
    TicketFactory(account=account, opened_at=at(FIRST), resolved_at=end_of(day), csat=2)
    SurveyResponseFactory(account=account, survey_type="csat", responded_on=day, score=5)
    goal = dict(account=account, target=10, set_on=None)
    Goal.objects.create(**goal, kpi="on the day", due_on=day, status="on_track")
    Goal.objects.create(**goal, kpi="met", due_on=day - timedelta(days=6), status="met")
    Referral.objects.create(
        account=account, referred_company="Co", referred_on=day - timedelta(days=9)
    )  # on the first day of `day`'s 10-day window
    [card] = load_scorecards()
    facts = {d: day_facts(d, {}) for d in DAYS}
    ids = {d: accounts_by_card(facts[d].active, [card]).get(card.pk, []) for d in DAYS}
    starts = {d: facts[d].starts for d in DAYS}
    signals = {s.source: s for s in signals_of(card)}
    sentiment = signals[Source.SENTIMENT]
    SentimentEntryFactory(
        account=account, recorded_on=day - timedelta(days=sentiment.window_days - 1)
    )  # on the first day of `day`'s window

    def measured(source) -> dict:
        signal = signals[source]
        ranged = as_dicts(measure_days(signal, DAYS, ids, {}, starts))
        for d in DAYS:
            assert ranged[d] == measure(signal, d, ids[d], {}, starts[d]), (source, d)
        return {d: ranged[d][account.pk] for d in DAYS} | {"late": ranged}

    overdue = measured(Source.INVOICE_OVERDUE)
    assert overdue[day - timedelta(days=3)] == 0.0  # the first falls due that day
    assert overdue[day - timedelta(days=2)] == 1.0
    assert overdue[day - timedelta(days=1)] == 2.0  # the oldest of the two overdue
    assert overdue[day] == 2.0  # paid on the day: the next oldest counts
    assert overdue[day + timedelta(days=1)] == 3.0
    late_values = overdue["late"]
    assert late_values[day - timedelta(days=1)][late.pk] is None  # no invoice yet
    assert late_values[day][late.pk] == 0.0
    assert late_values[day + timedelta(days=1)][late.pk] == 1.0
    tickets = measured(Source.OPEN_TICKETS)
    first_age = end_of(day) - Ticket.objects.earliest("opened_at").opened_at
    assert tickets[day] == first_age.total_seconds() / 86400 + 11 / 24
    assert tickets[day + timedelta(days=1)] == 35 / 24  # the first resolved at day's end
    answers = measured(Source.NPS)
    assert answers[day - timedelta(days=1)] == 3.5  # (0 + 7) / 2
    assert answers[day] == 8.5  # the contact's latest answer, 10, replaces the 0
    opened = measured(Source.EMAIL_OPEN_RATE)
    assert opened[day] == opened[day + timedelta(days=1)] == 50.0  # one opened later
    assert opened[day + timedelta(days=2)] == 100.0
    feelings = measured(Source.SENTIMENT)
    assert feelings[day] == 100.0
    assert feelings[day + timedelta(days=1)] is None  # out of the window
    rated = measured(Source.CSAT)
    assert rated[day] == 5.0  # resolved at the day's end: counts the day after
    assert rated[day + timedelta(days=1)] == 3.5
    goals = measured(Source.GOALS_ON_TRACK)
    assert goals[day] == 100.0  # due on the day: still on track
    assert goals[day + timedelta(days=1)] == 0.0  # past due; the met one out of the window
    referrals = measured(Source.ADVOCACY)
    assert referrals[day] == 1.0
    assert referrals[day + timedelta(days=1)] == 0.0
