"""A book with only product usage and subscription lines — what most teams start with."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from scoring.explanations import explained
from scoring.models import HealthSnapshot
from scoring.recompute import health_recompute
from tests.factories import AccountFactory, SubscriptionLineFactory, UsageRecordFactory

DAY = date(2026, 6, 30)


def customer(*, age_days: int, logins_a_day: float, active_users: float, mrr=1000):
    account = AccountFactory()
    start = DAY - timedelta(days=age_days)
    SubscriptionLineFactory(account=account, start_date=start, mrr=Decimal(mrr))
    for n in range(min(30, age_days + 1)):
        day = DAY - timedelta(days=n)
        UsageRecordFactory(account=account, date=day, metric="logins", value=logins_a_day)
        UsageRecordFactory(account=account, date=day, metric="active_users", value=active_users)
    return account


@pytest.fixture
def book(default_scorecard):
    accounts = {
        "busy": customer(age_days=400, logins_a_day=50, active_users=20),
        "quiet": customer(age_days=400, logins_a_day=2, active_users=2),
        "middling": customer(age_days=400, logins_a_day=10, active_users=8),
        # Ten days old and as busy a day as "middling": not ranked as idle for 20 days.
        "new": customer(age_days=9, logins_a_day=10, active_users=8),
    }
    health_recompute(as_of=DAY)
    return {
        name: HealthSnapshot.objects.get(account=account, date=DAY)
        for name, account in accounts.items()
    }


def component(snapshot, key):
    return next(c for c in explained(snapshot).components if c["key"] == key)


def test_nobody_is_grey_and_the_newest_account_is_scored(book):
    assert all(s.score is not None for s in book.values())
    assert {s.colour for s in book.values()} <= {"green", "yellow", "red"}
    assert book["new"].coverage == 1.0


def test_sources_the_book_lacks_are_not_measured_and_never_perfect(book):
    for snapshot in book.values():
        for key in ("invoices", "tickets", "nps", "email", "sentiment"):
            c = component(snapshot, key)
            assert (c["state"], c["score"], c["share"]) == ("not_measured", None, 0.0)


def test_a_gauge_and_a_count_are_scored_one_by_one_never_summed(book):
    usage = component(book["busy"], "usage")
    assert usage["raw"] is None
    assert [m[:2] for m in usage["metrics"]] == [["active_users", 20.0], ["logins", 50.0]]
    # Both metrics rank "busy" first among four accounts: 100 each, and the mean is 100.
    assert usage["score"] == 100.0


def test_a_young_account_is_ranked_by_its_rate_per_day(book):
    new, middling = component(book["new"], "usage"), component(book["middling"], "usage")
    assert [m[1] for m in new["metrics"]] == [m[1] for m in middling["metrics"]]
    assert new["score"] == middling["score"]
    # ... but it is young, and account age says so.
    assert component(book["new"], "account_age")["score"] == pytest.approx(5.0)
    assert component(book["middling"], "account_age")["score"] == 100.0
    assert book["new"].score < book["middling"].score


def test_the_revenue_trend_of_a_young_account_starts_from_its_first_day(book):
    trend = component(book["new"], "revenue_trend")
    assert (trend["state"], trend["raw"]) == ("scored", 0.0)


def test_drivers_never_mention_a_source_the_book_lacks(book):
    text = " ".join(line for s in book.values() for line in explained(s).drivers)
    for label in ("Invoices", "Support tickets", "NPS", "E-mail", "CSM sentiment"):
        assert label not in text
    assert "Product usage (lowest: " in " ".join(explained(book["quiet"]).drivers)


def test_the_account_page_says_the_missing_sources_once(client, book, django_user_model):
    admin = django_user_model.objects.create_user(username="ada", password="x", role="admin")
    client.force_login(admin)
    with time_machine.travel(DAY, tick=False):
        html = client.get(f"/accounts/{book['new'].account_id}/").content.decode()
    start = html.index('id="component-table"')
    table = html[start : html.index("</table>", start)]
    labels = re.findall(r"<tr[^>]*><td>([^<]+)", table)
    assert labels == ["Product usage", "Account age", "Revenue trend"]  # no rows of nothing
    assert html.count('id="not-measured"') == 1
    assert (
        "Not measured in this book yet: Invoices, NPS, CSM sentiment, Support tickets, "
        "E-mail engagement." in html
    )


def test_the_first_sentiment_of_the_book_rescores_everyone(book, default_scorecard):
    """Sentiment was not measured for anyone; once a CSM records the first entry it is, and
    every other account now lacks it — a rescore of that one account alone would leave the
    rest of the book scored by the old rule."""
    from scoring.tasks import recompute_accounts
    from tests.factories import SentimentEntryFactory

    quiet = book["quiet"].account
    SentimentEntryFactory(account=quiet, recorded_on=DAY, sentiment="red")
    recompute_accounts([quiet.pk], DAY.isoformat())
    busy = HealthSnapshot.objects.get(account=book["busy"].account, date=DAY)
    assert component(busy, "sentiment")["state"] == "no_data"
    assert busy.coverage == pytest.approx(50 / 60, abs=1e-4)  # sentiment now counts, without data


def test_a_second_rescore_with_no_new_source_stays_with_its_accounts(book, default_scorecard):
    from scoring.recompute import health_recompute as recompute

    result = recompute(as_of=DAY, accounts=[book["quiet"].account_id])
    assert not result.sources_changed


def test_an_account_that_left_and_came_back_is_young_again(default_scorecard):
    account = AccountFactory()
    SubscriptionLineFactory(account=account, start_date=date(2024, 1, 1), end_date=date(2025, 1, 1))
    SubscriptionLineFactory(account=account, start_date=DAY - timedelta(days=5))
    # A renewal that follows straight on keeps the run going.
    steady = AccountFactory()
    SubscriptionLineFactory(account=steady, start_date=date(2025, 1, 1), end_date=date(2026, 1, 1))
    SubscriptionLineFactory(account=steady, start_date=date(2026, 1, 1))
    for a in (account, steady):
        UsageRecordFactory(account=a, date=DAY, metric="logins", value=5)
    health_recompute(as_of=DAY)
    back = HealthSnapshot.objects.get(account=account, date=DAY)
    assert component(back, "account_age")["raw"] == 5
    assert component(back, "revenue_trend")["state"] == "scored"  # from its first paying day
    kept = HealthSnapshot.objects.get(account=steady, date=DAY)
    assert component(kept, "account_age")["raw"] == (DAY - date(2025, 1, 1)).days


def test_a_trial_is_no_revenue_baseline_the_first_paid_month_is(default_scorecard):
    account = AccountFactory()
    start = DAY - timedelta(days=40)
    SubscriptionLineFactory(
        account=account, start_date=start, end_date=start + timedelta(days=14), mrr=0, is_trial=True
    )
    SubscriptionLineFactory(
        account=account,
        start_date=start + timedelta(days=14),
        end_date=start + timedelta(days=30),
        mrr=Decimal(500),
    )
    SubscriptionLineFactory(
        account=account, start_date=start + timedelta(days=30), mrr=Decimal(600)
    )
    UsageRecordFactory(account=account, date=DAY, metric="logins", value=5)
    health_recompute(as_of=DAY)
    trend = component(HealthSnapshot.objects.get(account=account, date=DAY), "revenue_trend")
    assert trend["raw"] == 20.0  # 500 → 600, not "no data" for a trial that began at 0


def test_licence_utilisation_without_seats_anywhere_is_not_measured(default_scorecard):
    from scoring.models import SignalDefinition

    SignalDefinition.objects.create(
        scorecard=default_scorecard,
        key="seats",
        label="Licence utilisation",
        source="licence_utilisation",
        method="threshold",
        poor=20,
        good=80,
        window_days=30,
        weight=10,
    )
    account = customer(age_days=400, logins_a_day=5, active_users=3)
    account.licensed_seats = 0
    account.save()
    health_recompute(as_of=DAY)
    snap = HealthSnapshot.objects.get(account=account, date=DAY)
    assert component(snap, "seats")["state"] == "not_measured"
    assert snap.coverage == 1.0


def test_an_old_account_idle_in_both_windows_scores_no_change_in_a_per_metric_trend(
    default_scorecard,
):
    from scoring.models import SignalDefinition

    SignalDefinition.objects.create(
        scorecard=default_scorecard,
        key="usage_trend",
        label="Usage trend",
        source="usage_volume",
        method="trend",
        poor=-50,
        good=50,
        window_days=30,
        weight=10,
    )
    customer(age_days=400, logins_a_day=5, active_users=3)
    idle = AccountFactory()
    SubscriptionLineFactory(account=idle, start_date=date(2025, 1, 1))
    health_recompute(as_of=DAY)
    trend = component(HealthSnapshot.objects.get(account=idle, date=DAY), "usage_trend")
    assert trend["state"] == "scored"
    assert [m[1] for m in trend["metrics"]] == [0.0, 0.0]  # no change in either metric
