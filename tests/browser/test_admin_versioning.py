"""An admin changes a weight in a draft, previews which accounts would change colour,
publishes, and the account page shows the new score and the version mark — in a real browser."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from scoring.models import Scorecard
from scoring.recompute import health_recompute
from tests.browser.conftest import PASSWORD
from tests.factories import SentimentEntryFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_admin_drafts_previews_and_publishes_a_weight_change(page, book, live_server):
    UserFactory(username="ada", role="admin", password=PASSWORD)
    # Greenleaf's CSM now thinks it is at risk; with today's weights that barely shows.
    SentimentEntryFactory(account=book.green, recorded_on=book.today, sentiment="red")
    health_recompute(as_of=book.today - timedelta(days=1))
    health_recompute(as_of=book.today)
    live = Scorecard.objects.get(is_default=True)

    page.goto("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"/admin/scoring/scorecard/{live.pk}/change/")
    page.locator("#edit-as-draft").click()
    expect(page.locator("#content")).to_contain_text("This is a draft of")
    weight = page.locator("tr:has(input[value=sentiment]) input[name$='-weight']")
    weight.fill("500")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")

    page.get_by_role("link", name="Preview this draft").click()
    changes = page.locator("#preview-changes")
    expect(changes).to_contain_text("Greenleaf Foods")
    # Greenleaf falls to red; Bluebird, least used but with a happy CSM, rises to green.
    expect(changes.locator("tbody tr")).to_have_count(2)
    expect(changes.locator("tr:has-text('Greenleaf Foods')")).to_contain_text("red")
    expect(changes.locator("tr:has-text('Bluebird Travel')")).to_contain_text("green")
    page.locator("#publish-from-preview").click()
    expect(page.locator(".messagelist")).to_contain_text("v2 is live")

    page.goto(f"/accounts/{book.green.pk}/")
    expect(page.locator("#score-box")).to_contain_text("At risk")
    expect(page.locator("#score-box")).to_contain_text("v2")
    expect(page.locator("[data-chart] .annotation-text")).to_contain_text("v2")
