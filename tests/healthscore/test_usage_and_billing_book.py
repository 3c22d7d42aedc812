"""A book with only product usage and subscription lines — what most teams start with."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from healthscore.models import HealthSnapshot
from healthscore.recompute import health_recompute
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
    return next(c for c in snapshot.components if c["key"] == key)


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
    text = " ".join(line for s in book.values() for line in s.drivers)
    for label in ("Invoices", "Support tickets", "NPS", "E-mail", "CSM sentiment"):
        assert label not in text
    assert "Product usage (lowest: " in " ".join(book["quiet"].drivers)


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
