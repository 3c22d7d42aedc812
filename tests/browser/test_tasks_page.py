"""The task list in a real browser: filters narrow it, ticked rows are completed or snoozed in
one go, and at a phone's width the rows become cards without the page overflowing."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from workspace.models import Task, TaskReason, TaskStatus

pytestmark = [
    pytest.mark.browser,
    # WhiteNoise notes that collectstatic has not run; the suite serves static files by finder.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def tasks(book):
    """Besides the red account's "Turned red" task: a detractor task on Greenleaf due in ten
    days, and a renewal task on Sam's account."""
    from workspace.current_health import current_health_refresh

    def add(account, reason, due_in):
        return Task.objects.create(
            account=account,
            reason=reason,
            assignee=account.owner,
            opened_on=book.today,
            due_on=book.today + timedelta(days=due_in),
        )

    made = {
        "red": Task.objects.get(account=book.red, reason=TaskReason.TURNED_RED),
        "green": add(book.green, TaskReason.DETRACTOR, 10),
        "sams": add(book.sams, TaskReason.RENEWAL_RISK, 5),
    }
    current_health_refresh()
    return made


def task_rows(page):
    return page.locator("#task-table tbody tr[data-task]")


def test_filters_narrow_the_list(page, log_in, book, tasks):
    log_in("casey")
    page.goto("/tasks/")
    expect(task_rows(page)).to_have_count(2)
    page.select_option("#reason", "detractor")
    page.get_by_role("button", name="Apply").click()
    expect(task_rows(page)).to_have_count(1)
    expect(task_rows(page).first).to_contain_text("Greenleaf Foods")
    page.select_option("#reason", "")
    page.select_option("#due", "week")
    page.get_by_role("button", name="Apply").click()
    expect(task_rows(page)).to_have_count(1)
    expect(task_rows(page).first).to_contain_text("Redwood Logistics")
    expect(page.locator("#owner")).to_have_count(0)  # a CSM's list is their own book


def test_manager_filters_by_owner(page, log_in, book, tasks):
    log_in("morgan")
    page.goto("/tasks/")
    expect(task_rows(page)).to_have_count(3)
    page.select_option("#owner", str(book.sam.pk))
    page.get_by_role("button", name="Apply").click()
    expect(task_rows(page)).to_have_count(1)
    expect(task_rows(page).first).to_contain_text("Bluebird Travel")


def test_bulk_complete_and_bulk_snooze(page, log_in, book, tasks):
    log_in("casey")
    page.goto("/tasks/")
    page.check("#tick-all")
    expect(page.locator("#bulk-count")).to_have_text("2 ticked")
    page.uncheck(f'input[name="task"][value="{tasks["green"].pk}"]')
    expect(page.locator("#bulk-count")).to_have_text("1 ticked")
    # Without an outcome: the error beside the field, the tick kept, nothing done.
    page.get_by_role("button", name="Complete ticked").click()
    expect(page.locator("#bulk-outcome-errors")).to_contain_text("Say what came of it")
    expect(page.locator(f'input[name="task"][value="{tasks["red"].pk}"]')).to_be_checked()
    page.fill("#bulk_outcome", "Called the CFO, invoice paid")
    page.get_by_role("button", name="Complete ticked").click()
    expect(page.locator(".messages")).to_contain_text("1 task completed.")
    expect(task_rows(page)).to_have_count(1)
    red = Task.objects.get(pk=tasks["red"].pk)
    assert (red.status, red.outcome) == (TaskStatus.DONE, "Called the CFO, invoice paid")

    until = book.today + timedelta(days=7)
    page.check(f'input[name="task"][value="{tasks["green"].pk}"]')
    page.fill("#bulk_until", until.isoformat())
    page.get_by_role("button", name="Snooze ticked").click()
    expect(page.locator(".messages")).to_contain_text("1 task snoozed until")
    expect(task_rows(page)).to_have_count(0)
    page.select_option("#status", "snoozed")
    page.get_by_role("button", name="Apply").click()
    expect(task_rows(page)).to_have_count(1)
    expect(task_rows(page).first).to_contain_text("Greenleaf Foods")
    green = Task.objects.get(pk=tasks["green"].pk)
    assert (green.status, green.snoozed_until) == (TaskStatus.SNOOZED, until)


def test_at_phone_width_rows_are_cards_and_the_page_does_not_overflow(page, log_in, tasks):
    log_in("casey")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/tasks/")
    expect(task_rows(page)).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = task_rows(page).first.bounding_box()
    assert box["width"] <= 390
    # A card shows its labels, since the header row is out of sight.
    expect(task_rows(page).first.locator('td[data-label="Due"]')).to_be_visible()
