"""The optional "goals on track" and "advocacy" signals: their raw values as of a day, worked by
hand, and what they do to a score once an admin adds them to a scorecard."""

from datetime import date, timedelta

import pytest

from scoring.defaults import DEFAULT_SIGNALS, optional_signal
from scoring.explanations import explained
from scoring.measures import advocacy, facts_in_window, goals_on_track
from scoring.models import HealthSnapshot, SignalDefinition
from scoring.recompute import health_recompute
from signals.models import Goal, Referral
from tests.factories import AccountFactory
from tests.scoring.test_recompute import healthy_account

DAY = date(2026, 6, 30)


def goal(account, kpi, status, due_on, set_on=None):
    return Goal.objects.create(
        account=account, kpi=kpi, target=10, status=status, due_on=due_on, set_on=set_on
    )


def signal(card, key):
    return SignalDefinition(scorecard=card, **optional_signal(key))


@pytest.fixture
def card(default_scorecard):
    return default_scorecard


def test_goals_on_track_is_the_share_on_track_or_met_and_an_open_goal_past_due_is_missed(db, card):
    a, b, c = AccountFactory(), AccountFactory(), AccountFactory()
    goal(a, "seats", "on_track", DAY + timedelta(days=30))  # on track
    goal(a, "reports", "met", DAY - timedelta(days=10))  # met, due within 90 days: counts
    goal(a, "training", "at_risk", DAY + timedelta(days=5))  # at risk
    goal(a, "sso", "on_track", DAY - timedelta(days=1))  # still open past its day: missed
    goal(a, "old", "met", DAY - timedelta(days=90))  # due 90 days ago: no longer counts
    goal(a, "later", "on_track", DAY + timedelta(days=60), set_on=DAY + timedelta(days=1))
    goal(b, "seats", "missed", DAY - timedelta(days=3))

    values = goals_on_track(signal(card, "goals"), DAY, [a.pk, b.pk, c.pk], {}, {})

    # a: 2 of 4 (seats, reports) — the set-later and the long-ago goals do not count.
    assert values == {a.pk: 50.0, b.pk: 0.0, c.pk: None}


def test_goals_set_on_the_day_count_and_not_the_day_before(db, card):
    a = AccountFactory()
    goal(a, "seats", "on_track", DAY + timedelta(days=30), set_on=DAY)
    goals = signal(card, "goals")

    assert goals_on_track(goals, DAY, [a.pk], {}, {}) == {a.pk: 100.0}
    assert goals_on_track(goals, DAY - timedelta(days=1), [a.pk], {}, {}) == {a.pk: None}


def test_advocacy_counts_the_referrals_of_the_window_and_none_is_zero(db, card):
    a, b = AccountFactory(), AccountFactory()
    for n, day in enumerate([DAY, DAY - timedelta(days=364), DAY - timedelta(days=365)]):
        Referral.objects.create(account=a, referred_company=f"Co {n}", referred_on=day)
    Referral.objects.create(account=b, referred_company="Later", referred_on=DAY + timedelta(1))

    values = advocacy(signal(card, "advocacy"), DAY, [a.pk, b.pk], {}, {})

    assert values == {a.pk: 2.0, b.pk: 0.0}  # the 365-days-old one and tomorrow's are out


def test_a_book_without_goals_or_referrals_does_not_measure_them(db, card):
    for key in ("goals", "advocacy"):
        (facts,) = facts_in_window(signal(card, key), DAY)
        assert not facts.exists()
    goal(AccountFactory(), "seats", "met", DAY)
    (facts,) = facts_in_window(signal(card, "goals"), DAY)
    assert facts.exists()


def test_the_default_scorecard_leaves_them_out():
    assert {row[2] for row in DEFAULT_SIGNALS}.isdisjoint({"goals_on_track", "advocacy"})


def test_an_admin_adds_goals_on_track_to_a_scorecard_and_it_scores(card):
    good, poor = healthy_account(usage=50), healthy_account(usage=50)
    goal(good, "seats", "on_track", DAY + timedelta(days=10))
    goal(poor, "seats", "at_risk", DAY + timedelta(days=10))
    goal(poor, "sso", "met", DAY - timedelta(days=5))
    signal(card, "goals").save()
    signal(card, "advocacy").save()
    Referral.objects.create(account=good, referred_company="Hooli", referred_on=DAY)

    health_recompute(as_of=DAY)

    def component(account, key):
        snapshot = explained(HealthSnapshot.objects.get(account=account, date=DAY))
        return next(c for c in snapshot.components if c["key"] == key)

    assert (component(good, "goals")["raw"], component(good, "goals")["score"]) == (100.0, 100.0)
    assert (component(poor, "goals")["raw"], component(poor, "goals")["score"]) == (50.0, 50.0)
    # One referral of the two that score full marks: 50; none is 0.
    assert component(good, "advocacy")["score"] == 50.0
    assert component(poor, "advocacy")["score"] == 0.0
    good_score = HealthSnapshot.objects.get(account=good, date=DAY).score
    assert good_score > HealthSnapshot.objects.get(account=poor, date=DAY).score
