"""An account page of a book with only product usage and subscription lines, in Chromium:
the sources the book lacks are said once, not as rows of nothing, and a young account is
scored on what it has."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.recompute import health_recompute
from tests.browser.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def young(transactional_db, default_scorecard):
    from tests.factories import (
        AccountFactory,
        SubscriptionLineFactory,
        UsageRecordFactory,
        UserFactory,
    )

    today = timezone.localdate()
    casey = UserFactory(username="casey", first_name="Casey", role="csm")
    casey.set_password(PASSWORD)
    casey.save()
    accounts = []
    for name, age, logins in (("Old Steady", 400, 40), ("Fresh Start", 12, 5)):
        account = AccountFactory(owner=casey, name=name)
        SubscriptionLineFactory(
            account=account, start_date=today - timedelta(days=age), mrr=Decimal(900)
        )
        for n in range(min(age + 1, 30)):
            day = today - timedelta(days=n)
            UsageRecordFactory(account=account, date=day, metric="logins", value=logins)
            UsageRecordFactory(account=account, date=day, metric="active_users", value=3)
        accounts.append(account)
    health_recompute(as_of=today)
    return accounts[1]


def test_a_young_accounts_page_reads_sensibly_with_usage_and_billing_only(
    page, log_in, young, live_server
):
    log_in("casey")
    page.goto(f"/accounts/{young.pk}/")
    table = page.locator("#component-table")
    expect(table).to_contain_text("Product usage")
    expect(table).to_contain_text("logins")
    expect(table).to_contain_text("active_users")
    expect(table).to_contain_text("Account age")
    expect(table).not_to_contain_text("Invoices")
    expect(table).not_to_contain_text("no data")
    expect(page.locator("#not-measured")).to_have_count(1)
    expect(page.locator("#not-measured")).to_contain_text("Invoices")
    expect(page.locator("#why")).not_to_contain_text("no score yet")
    expect(page.locator("#drivers")).to_contain_text("Account age: 12 days")
    # At a phone's width the component table still reads: it scrolls, the page does not grow.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/accounts/{young.pk}/")
    expect(page.locator("#not-measured")).to_be_visible()
