"""A survey in a real browser (Debian's Chromium driven by Playwright): a contact opens the
personal link from the e-mail on a phone, answers without logging in, sees the thank-you page,
and a manager then finds the answer on the account page."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from surveys.defaults import create_default_surveys
from surveys.models import Survey, SurveyResponse
from surveys.sending import active_survey, survey_send
from tests.factories import ContactFactory

pytestmark = [
    pytest.mark.browser,
    # WhiteNoise notes that collectstatic has not run; the suite serves static files by finder.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# Set to a directory to keep screenshots of the answer page (for a human look).
SHOTS = os.environ.get("HEALTHSCORE_SCREENSHOTS", "")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def emailed_link(book, live_server, settings, mailoutbox):
    """Dana at Greenleaf Foods got the periodic NPS e-mail; returns the link in it."""
    settings.HEALTHSCORE_BASE_URL = live_server.url
    settings.HEALTHSCORE_COMPANY_NAME = "Acme Analytics"
    create_default_surveys(Survey)  # the transactional database was flushed
    dana = ContactFactory(account=book.green, name="Dana Reyes", email="dana@greenleaf.example")
    survey_send(
        survey=active_survey("periodic"),
        contacts=[dana],
        now=timezone.now() - timedelta(minutes=5),
    )
    [message] = mailoutbox
    link = re.search(r"https?://\S+/s/[\w-]+/", message.body)
    assert link, message.body
    return link.group(0)


def test_a_contact_answers_from_the_email_link_and_a_manager_sees_the_answer(
    page, log_in, book, emailed_link, live_server
):
    page.set_viewport_size(PHONE)
    page.goto(emailed_link)

    question = "How likely are you to recommend Acme Analytics to a friend or colleague?"
    expect(page.get_by_role("heading", level=1)).to_have_text(question)
    expect(page.locator(".survey-company")).to_have_text("Acme Analytics")
    expect(page.locator("body")).not_to_contain_text("Greenleaf")
    expect(page.locator("body")).not_to_contain_text("Healthscore")
    # Fits a phone: the eleven choices wrap instead of scrolling sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_label("3", exact=True).check()
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "survey-phone.png"), full_page=True)
    page.get_by_label("Anything you would like to tell us?").fill(
        "Exports time out <b>every</b> Monday."
    )
    page.get_by_role("button", name="Send my answer").click()

    expect(page).to_have_url(f"{live_server.url}/s/thanks/?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    assert SurveyResponse.objects.filter(
        account=book.green, respondent="dana@greenleaf.example", score=3
    ).exists()

    # The link works once.
    response = page.goto(emailed_link)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("You have already answered")

    page.set_viewport_size(DESKTOP)
    log_in("morgan")
    page.goto(f"/accounts/{book.green.pk}/")
    answers = page.locator("#answers")
    expect(answers).to_contain_text("NPS 3")
    expect(answers).to_contain_text("dana@greenleaf.example")
    # The comment is text: the tags show as typed, nothing is rendered bold.
    expect(answers).to_contain_text("Exports time out <b>every</b> Monday.")
    expect(answers.locator("b", has_text="every")).to_have_count(0)
    # A detractor answer opened a check-in task by the usual rule.
    expect(page.locator("#tasks")).to_contain_text("dana@greenleaf.example answered NPS 3")


def test_a_made_up_link_gets_a_friendly_page(page, book, live_server):
    response = page.goto("/s/not-a-real-token-at-all-0123456789abcdefghijk/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    expect(page).to_have_url(re.compile(r"/s/not-a-real-token"))  # not sent to the login page
