"""Goals on the account page in a real browser: a CSM adds a goal and a referral, sees them,
updates the goal; the panel fits a phone; the product-feedback report draws its charts."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from signals.models import Goal, Referral

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SHOTS = Path("/work/helpers/shots/feedback")


def _shot(page, name):
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_csm_adds_a_goal_and_a_referral_and_updates_the_goal(page, log_in, book, live_server):
    log_in("casey")
    page.goto(f"/accounts/{book.green.pk}/")
    page.locator("#goals-section > summary").click()  # folded, as the page's other sections
    panel = page.locator("#goals-section")
    expect(panel.locator("#goal-table")).to_contain_text("No goals agreed yet.")

    due = book.today + timedelta(days=90)
    form = panel.locator("#goal-form")
    form.get_by_label("KPI").fill("Seats live")
    form.get_by_label("Target").fill("200")
    form.get_by_label("Value reached").fill("120")
    form.get_by_label("Due on").fill(due.isoformat())
    form.get_by_role("button", name="Add goal").click()

    expect(page.locator("main")).to_contain_text("Goal added.")
    row = page.locator("#goal-table tbody tr[data-goal]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Seats live")
    expect(row).to_contain_text("On track")
    goal = Goal.objects.get()
    assert (goal.account_id, goal.target, goal.reached, goal.due_on) == (
        book.green.pk,
        200,
        120,
        due,
    )

    page.locator("#referral-add summary").click()
    referral = page.locator("#referral-form")
    referral.get_by_label("Referred company").fill("Hooli")
    referral.get_by_label("Outcome").select_option("won")
    referral.get_by_role("button", name="Record referral").click()
    expect(page.locator("#referral-list")).to_contain_text("Hooli")
    assert Referral.objects.get().outcome == "won"

    page.locator(".goal-edit summary").first.click()
    edit = page.locator(f'form[action="/accounts/{book.green.pk}/goals/{goal.pk}/"]')
    edit.get_by_label("Value reached").fill("200")
    edit.get_by_label("Status").select_option("met")
    edit.get_by_role("button", name="Save goal").click()
    expect(page.locator("#goal-table tbody tr[data-goal]")).to_contain_text("Met")
    goal.refresh_from_db()
    assert (goal.reached, goal.status) == (200, "met")
    _shot(page, "account-goals")

    # At phone width the page does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("#goals-section").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "account-phone")


def test_the_feedback_report_draws_its_charts(page, log_in, book):
    from surveys.models import Tag, TagKind
    from tests.factories import SurveyResponseFactory, TicketFactory

    release = Tag.objects.create(
        name="v2.4", kind=TagKind.RELEASE, released_on=book.today - timedelta(days=10)
    )
    billing = Tag.objects.create(name="Billing")
    for n, score in enumerate([2, 4, 9, 6]):
        answer = SurveyResponseFactory(
            account=book.green, responded_on=book.today - timedelta(days=n), score=score
        )
        answer.tags.add(release if n % 2 == 0 else billing)
    TicketFactory(
        account=book.red, opened_at=datetime.combine(book.today, datetime.min.time(), UTC)
    ).tags.add(release)
    log_in("morgan")

    page.goto("/reports/feedback/")

    for chart in ("chart-volume", "chart-detractors", "chart-releases"):
        expect(page.locator(f"[data-chart={chart}] .main-svg").first).to_be_visible()
    expect(page.locator("#table-releases")).to_contain_text("v2.4")
    _shot(page, "feedback-report")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-chart=chart-volume] .main-svg").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "feedback-report-phone")
