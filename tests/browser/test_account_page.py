"""The account page in a real browser: a refused form keeps what was typed, the page fits a
phone's width, and a contact added shows up beside the timeline."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from surveys.models import Contact
from workspace.models import ColourOverride

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_a_refused_override_keeps_the_colour_and_the_date_and_says_why_beside_the_field(
    page, log_in, book, live_server
):
    log_in("casey")
    page.goto(f"/accounts/{book.green.pk}/")
    page.get_by_text("Override the colour").click()
    form = page.locator("#override-form")
    # No colour is chosen for the CSM.
    expect(form.locator("select[name=colour]")).to_have_value("")
    form.locator("select[name=colour]").select_option("red")
    until = (book.today + timedelta(days=7)).isoformat()
    form.locator("input[name=expires_on]").fill(until)
    form.get_by_role("button", name="Override").click()

    form = page.locator("#override-form")
    expect(form.locator("#override_reason_error")).to_have_text("This field is required.")
    expect(form.locator("select[name=colour]")).to_have_value("red")
    expect(form.locator("input[name=expires_on]")).to_have_value(until)
    expect(form.locator("input[name=reason]")).to_be_focused()
    assert not ColourOverride.objects.exists()

    form.locator("input[name=reason]").fill("Champion left")
    form.get_by_role("button", name="Override").click()
    expect(page.locator(".message-success")).to_contain_text("Colour overridden until")
    saved = ColourOverride.objects.get()
    assert (saved.colour, saved.expires_on.isoformat()) == ("red", until)


def test_the_account_page_fits_a_phone_with_every_section_open(page, log_in, book, live_server):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("casey")
    page.goto(f"/accounts/{book.red.pk}/")
    page.locator("[data-chart] .main-svg").first.wait_for()
    for summary in page.locator("details > summary").all():
        details = summary.locator("xpath=..")
        if details.get_attribute("open") is None:
            summary.click()
    expect(page.locator("#timeline-events")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def test_csm_adds_a_contact_and_sees_it_and_the_timeline(page, log_in, book, live_server):
    log_in("casey")
    page.goto(f"/accounts/{book.red.pk}/")
    page.locator("#contacts-section > summary").click()
    page.get_by_text("Add a contact").click()
    form = page.locator("#contact-form")
    form.get_by_label("Name").fill("Dana Reyes")
    form.get_by_label("Role").fill("Head of Finance")
    form.get_by_label("E-mail").fill("dana@redwood.example")
    form.get_by_label("Primary contact").check()
    form.get_by_role("button", name="Add contact").click()

    expect(page).to_have_url(re.compile(rf"/accounts/{book.red.pk}/#contacts$"))
    expect(page.locator(".message-success")).to_have_text("Contact Dana Reyes added.")
    row = page.locator("#contact-table tbody tr").filter(has_text="Dana Reyes")
    expect(row).to_be_visible()  # the link's anchor opened the section
    expect(row).to_contain_text("Head of Finance")
    expect(row).to_contain_text("primary")
    assert Contact.objects.get(account=book.red).email == "dana@redwood.example"

    page.locator("#timeline-section > summary").click()
    events = page.locator("#timeline-events")
    expect(events).to_contain_text("Invoice INV-LATE overdue")
    expect(events).to_contain_text("Task opened: Turned red")
    # The kind filter loads in place.
    page.locator(".timeline-kinds a[data-kind=invoice]").click()
    expect(page.locator(".timeline-kinds a[data-kind=invoice]")).to_have_attribute(
        "aria-current", "true"
    )
    expect(events.locator("li")).not_to_have_count(0)
    for kind in events.locator("li").evaluate_all("els => els.map(e => e.dataset.kind)"):
        assert kind == "invoice"
    expect(page).to_have_url(re.compile(rf"/accounts/{book.red.pk}/#contacts$"))
