"""Browser fixtures: one headless Debian Chromium per session, a fresh context per test, and a
small book (two CSMs, a manager, scored and with tasks) committed before the browser opens.

The app runs in pytest-django's `live_server` thread, so the tests use a transactional
database: data must be committed for the server to see it, and the database is flushed after
each test (the default scorecard is rebuilt for each test).
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

# Playwright's sync API runs an asyncio loop in this thread; the ORM calls the tests make
# alongside it are ordinary blocking calls, so Django's async guard is switched off.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
# A loaded two-core machine: the first request of a live server can take seconds.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=15_000)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A page in a fresh context (no cookies shared between tests) aimed at the live server."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@dataclass
class Book:
    casey: object
    sam: object
    morgan: object
    red: object  # casey's, an invoice 60 days overdue, with a "Turned red" task
    green: object  # casey's
    sams: object  # sam's only account
    today: object


def _account(owner, name, external_id, *, usage, today):
    """An account with every kind of signal data, dated relative to today."""
    from tests.factories import (
        AccountFactory,
        EmailMessageFactory,
        InvoiceFactory,
        SentimentEntryFactory,
        SubscriptionLineFactory,
        SurveyResponseFactory,
        UsageRecordFactory,
    )

    def at(day):
        return datetime.combine(day, time(10), tzinfo=UTC)

    account = AccountFactory(owner=owner, name=name, external_id=external_id)
    SubscriptionLineFactory(
        account=account, start_date=today - timedelta(days=400), mrr=Decimal("1000")
    )
    for n in range(10):
        UsageRecordFactory(account=account, date=today - timedelta(days=n), value=usage)
    InvoiceFactory(
        account=account,
        issued_on=today - timedelta(days=60),
        due_on=today - timedelta(days=30),
        paid_on=today - timedelta(days=40),
    )
    SurveyResponseFactory(account=account, responded_on=today - timedelta(days=30), score=10)
    EmailMessageFactory(
        account=account,
        sent_at=at(today - timedelta(days=20)),
        opened_at=at(today - timedelta(days=19)),
    )
    SentimentEntryFactory(
        account=account, recorded_on=today - timedelta(days=10), sentiment="green"
    )
    return account


@pytest.fixture
def book(transactional_db, default_scorecard):
    """Casey owns a red and a green account, Sam one; Morgan manages. Scored as of today, and
    the task rules run, so the red account has a "Turned red" task."""
    from django.utils import timezone

    from scoring.models import HealthSnapshot
    from scoring.recompute import health_recompute
    from tests.factories import InvoiceFactory, UserFactory
    from workspace.followups import tasks_open
    from workspace.models import Task

    today = timezone.localdate()
    # The factory hashes the password with set_password.
    casey = UserFactory(username="casey", role="csm", password=PASSWORD)
    sam = UserFactory(username="sam", role="csm", password=PASSWORD)
    morgan = UserFactory(username="morgan", role="manager", password=PASSWORD)

    red = _account(casey, "Redwood Logistics", "CRM-RED", usage=1000.0, today=today)
    InvoiceFactory(
        account=red,
        invoice_number="INV-LATE",
        issued_on=today - timedelta(days=90),
        due_on=today - timedelta(days=60),
    )
    green = _account(casey, "Greenleaf Foods", "CRM-GREEN", usage=500.0, today=today)
    sams = _account(sam, "Bluebird Travel", "CRM-BLUE", usage=100.0, today=today)

    health_recompute(as_of=today)
    tasks_open(day=today)

    colours = dict(HealthSnapshot.objects.filter(date=today).values_list("account", "colour"))
    assert colours[red.pk] == "red", colours
    assert colours[green.pk] == "green", colours
    assert Task.objects.filter(account=red, status="open").exists()
    return Book(casey, sam, morgan, red, green, sams, today)


@pytest.fixture
def log_in(page, live_server):
    """Log in through the form, as a person would, and wait for the book."""
    from playwright.sync_api import expect

    def log_in_as(username):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server.url}/accounts/")
        return page

    return log_in_as
