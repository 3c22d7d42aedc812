"""The column mapping in a real browser: a Stripe subscriptions export uploaded, its columns
mapped from the Stripe preset, the first rows previewed, imported in the background, the result
shown; and the pages fit a phone's width."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from signals.models import SubscriptionLine
from tests.browser.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

STRIPE = Path(__file__).resolve().parents[2] / "examples" / "presets" / "stripe_subscriptions.csv"
SHOTS = Path("/work/helpers/shots/imports")


@pytest.fixture
def stripe_book(transactional_db, default_scorecard, settings, tmp_path):
    from tests.factories import AccountFactory, UserFactory

    settings.IMPORT_DIR = tmp_path
    manager = UserFactory(username="morgan", role="manager")
    manager.set_password(PASSWORD)
    manager.save()
    for n in (6, 7, 8):
        AccountFactory(external_id=f"cus_QaB1c2D3e4F5g{n}", owner=None)
    return manager


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


def _shot(page, name):
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_stripe_export_is_mapped_previewed_and_imported(page, log_in, stripe_book):
    log_in("morgan")
    page.goto("/import/")
    page.select_option("#id_kind", "subscriptions")
    page.set_input_files("#id_file", str(STRIPE))
    page.get_by_role("button", name="Map the columns first").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Map the columns to subscriptions")
    # Proposed from the names alone: the customer is the account.
    expect(page.locator("#id_field_account")).to_have_value("Customer ID")
    page.select_option("#id_start_from", "stripe_subscriptions")
    page.get_by_role("button", name="Use").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("The first 3 rows, as they would be imported")
    expect(preview.locator("td", has_text="420.00")).to_have_count(1)  # 42.00 × 10 a month
    expect(preview.locator(".cell-error")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page)
    _shot(page, "mapping-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    _shot(page, "mapping-1280")

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-result")).to_contain_text(
        "3 of 3 subscriptions row(s) imported (3 new, 0 updated, 0 unchanged)"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page)
    _shot(page, "job-result-390")
    assert SubscriptionLine.objects.count() == 3


def test_a_bad_cell_is_marked_in_the_preview(page, log_in, stripe_book, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(STRIPE.read_text().replace(",42.00,", ",forty-two,"))
    log_in("morgan")
    page.goto("/import/")
    page.select_option("#id_kind", "subscriptions")
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="Map the columns first").click()
    page.select_option("#id_start_from", "stripe_subscriptions")
    page.get_by_role("button", name="Use").click()
    cell = page.locator("#preview .cell-error")
    expect(cell).to_have_count(1)
    expect(cell).to_contain_text("'forty-two' is not a number")
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page)
    _shot(page, "mapping-bad-cell-390")
