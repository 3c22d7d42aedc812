"""The CSM workspace in a real browser (Debian's Chromium driven by Playwright): the book, an
account that explains its colour, a check-in, a task, a reassignment, and who may see what."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from workspace.models import CheckIn, Task, TaskStatus

pytestmark = [
    pytest.mark.browser,
    # WhiteNoise notes that collectstatic has not run; the suite serves static files by finder.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# Set to a directory to keep screenshots of the book and an account page (for a human look).
SHOTS = os.environ.get("HEALTHSCORE_SCREENSHOTS", "")


def _shot(page, name):
    if SHOTS:
        if page.locator("[data-chart]").count():
            page.locator("[data-chart] .main-svg").first.wait_for()
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_csm_works_a_red_account_from_their_book(page, log_in, book, live_server):
    log_in("casey")

    table = page.locator("#book")
    expect(page.get_by_role("heading", level=1)).to_have_text("My book")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Redwood Logistics")
    expect(table).to_contain_text("Greenleaf Foods")
    expect(page.locator("main")).not_to_contain_text("Bluebird Travel")
    expect(page.locator(".summary-item[data-colour=red] b")).to_have_text("1")
    _shot(page, "book")

    page.select_option("#colour", "red")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]colour=red(&|$)"))
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-colour", "red")
    expect(table.locator("tbody tr:not([data-colour=red])")).to_have_count(0)

    rows.first.get_by_role("link", name="Redwood Logistics").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/{book.red.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Redwood Logistics")
    drivers = page.locator("#drivers")
    expect(drivers).to_contain_text("Invoices")
    expect(drivers).to_contain_text("critical")
    expect(drivers.locator("li").first).to_contain_text(re.compile(r"Invoices.*critical"))
    _shot(page, "account")

    # Log a check-in: today's date and the first channel are the defaults.
    form = page.locator("#checkin-form")
    form.locator("textarea[name=note]").fill("Called Dana about the late invoice; paying Friday.")
    form.get_by_role("button", name="Log check-in").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/{book.red.pk}/")
    expect(page.locator(".message-success")).to_have_text("Check-in logged.")
    expect(page.locator("#checkins")).to_contain_text("paying Friday")
    assert CheckIn.objects.filter(account=book.red, author=book.casey).count() == 1

    # Complete the "Turned red" task.
    task = Task.objects.get(account=book.red, reason="turned_red")
    item = page.locator(f"#tasks li[data-task='{task.pk}']")
    expect(item).to_contain_text("Turned red")
    item.locator("input[name=outcome]").fill("Invoice chased; finance confirmed payment.")
    item.get_by_role("button", name="Complete").click()
    expect(page.locator(".message-success")).to_have_text("Task completed.")
    item = page.locator(f"#tasks li[data-task='{task.pk}']")
    expect(item).to_have_class(re.compile(r"\btask-done\b"))
    expect(item).to_contain_text("Invoice chased")
    expect(item.get_by_role("button", name="Complete")).to_have_count(0)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.outcome == "Invoice chased; finance confirmed payment."

    # Another CSM's account does not exist as far as Casey is concerned.
    response = page.goto(f"/accounts/{book.sams.pk}/")
    assert response is not None and response.status == 404


def test_manager_sees_every_account_and_reassigns_one(page, log_in, book, live_server):
    log_in("morgan")

    table = page.locator("#book")
    expect(page.get_by_role("heading", level=1)).to_have_text("All accounts")
    expect(table.locator("tbody tr")).to_have_count(3)
    for name in ("Redwood Logistics", "Greenleaf Foods", "Bluebird Travel"):
        expect(table).to_contain_text(name)

    table.get_by_role("link", name="Greenleaf Foods").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/{book.green.pk}/")
    expect(page.locator(".account-head")).to_contain_text("owner casey")

    page.locator("#reassign-action > summary").click()  # folded among the actions
    form = page.locator("#reassign-form")
    form.locator("select[name=owner]").select_option(str(book.sam.pk))
    form.get_by_role("button", name="Reassign").click()
    expect(page.locator(".message-success")).to_contain_text("now belongs to sam")
    expect(page.locator(".account-head")).to_contain_text("owner sam")
    expect(page.locator("#reassign-form select[name=owner]")).to_have_value(str(book.sam.pk))

    book.green.refresh_from_db()
    assert book.green.owner_id == book.sam.pk


@pytest.mark.parametrize("path", ["/accounts/", "account"])
def test_anonymous_visitor_is_sent_to_login(page, book, live_server, path):
    if path == "account":
        path = f"/accounts/{book.red.pk}/"
    page.goto(path)
    expect(page).to_have_url(f"{live_server.url}/login/?next={path}")
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Redwood Logistics")


def test_login_form_works_with_the_keyboard_alone(page, book, live_server):
    page.goto("/login/?next=/accounts/")
    # The username field has autofocus: a keyboard user starts typing at once.
    username = page.locator("#id_username")
    expect(username).to_be_focused()
    # Just before the header's first link (the brand) is the skip link, shown on screen once it
    # has focus.
    page.locator(".brand").focus()
    page.keyboard.press("Shift+Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    # Forward past the brand and the language switcher to the form.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_username":
            break
    expect(username).to_be_focused()
    page.keyboard.type("casey")
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/accounts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My book")
