"""The scorecard editor in a real browser: each signal's share of the total weight follows the
weights as they are typed, and the page stays as wide as the window."""

import pytest
from playwright.sync_api import expect

from scoring.models import Scorecard
from scoring.versioning import draft_create, version_record
from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_weight_shares_follow_the_typed_weights(page, transactional_db, default_scorecard):
    ada = UserFactory(username="ada", role="admin", password=PASSWORD)
    version_record(default_scorecard)
    draft = draft_create(scorecard=default_scorecard, actor=ada)
    weights = {s.key: s.weight for s in draft.signals.all() if s.enabled}
    total = sum(weights.values())

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto(f"/admin/scoring/scorecard/{draft.pk}/change/")

    usage = page.locator("tr:has(input[value=usage]) .field-weight")
    expect(usage.locator(".weight-share")).to_have_text(
        f"{round(100 * weights['usage'] / total)} %"
    )
    usage.locator("input").fill(str(total - weights["usage"]))  # now half of the new total
    expect(usage.locator(".weight-share")).to_have_text("50 %")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    assert Scorecard.objects.get(pk=draft.pk).signals.get(key="usage").weight == weights["usage"]
