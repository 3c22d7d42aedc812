"""The account page's goals panel: a CSM adds and updates goals and records referrals on their
own accounts; tagged feedback is filtered by tag; bad input is a message, never a 500."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from accounts.models import Role
from signals.models import Goal, Referral
from surveys.models import Tag
from tests.factories import (
    AccountFactory,
    SurveyResponseFactory,
    TicketFactory,
    UserFactory,
)
from tests.workspace.test_book import TODAY, today  # noqa: F401 - autouse: 30 June 2026
from workspace.models import CheckIn


@pytest.fixture
def account(csm, default_scorecard):
    return AccountFactory(owner=csm, name="Acme Corp")


def page(client, account, query=""):
    response = client.get(f"/accounts/{account.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


GOAL = {
    "kpi": "Seats live",
    "target": "200",
    "reached": "150",
    "set_on": "2026-06-01",
    "due_on": "2026-12-31",
    "status": "on_track",
}


def test_a_csm_adds_a_goal_and_sees_it_on_the_account_page(client, csm, account):
    client.force_login(csm)

    response = client.post(f"/accounts/{account.pk}/goals/", GOAL, follow=True)

    goal = Goal.objects.get()
    assert (goal.account, goal.kpi, goal.target, goal.reached) == (account, "Seats live", 200, 150)
    html = response.content.decode()
    assert "Goal added." in html
    assert f'data-goal="{goal.pk}"' in html and "Seats live" in html


def test_a_csm_updates_a_goal_and_its_status(client, csm, account):
    goal = Goal.objects.create(account=account, kpi="Seats live", target=200, due_on=TODAY)
    client.force_login(csm)

    client.post(
        f"/accounts/{account.pk}/goals/{goal.pk}/",
        {**GOAL, "reached": "200", "status": "met", "due_on": "2026-06-30"},
    )

    goal.refresh_from_db()
    assert (goal.reached, goal.status) == (200, "met")
    assert Goal.objects.count() == 1


def test_an_open_goal_past_its_due_day_reads_missed(client, csm, account):
    Goal.objects.create(account=account, kpi="SSO", target=1, due_on=TODAY - timedelta(days=1))
    client.force_login(csm)

    assert "Missed (past due)" in page(client, account)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"due_on": "2026-05-01"}, "The due day must be on or after the day it was set."),
        ({"target": "lots"}, "Enter a number."),
        ({"due_on": "1800-01-01", "set_on": ""}, "Enter a date between 1900-01-01 and 2199-12-31."),
        ({"status": "done"}, "Select a valid choice."),
    ],
)
def test_a_bad_goal_is_a_message_and_writes_nothing(client, csm, account, change, message):
    client.force_login(csm)

    response = client.post(f"/accounts/{account.pk}/goals/", {**GOAL, **change}, follow=True)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Goal.objects.exists()


def test_the_same_kpi_due_the_same_day_twice_is_refused(client, csm, account):
    client.force_login(csm)
    client.post(f"/accounts/{account.pk}/goals/", GOAL)

    response = client.post(f"/accounts/{account.pk}/goals/", GOAL, follow=True)

    assert "already has that KPI due on that day" in response.content.decode()
    assert Goal.objects.count() == 1


def test_another_csms_account_is_a_404_for_goals_and_referrals(client, account, default_scorecard):
    riley = UserFactory(username="riley", role=Role.CSM)
    goal = Goal.objects.create(account=account, kpi="Seats", target=1, due_on=TODAY)
    client.force_login(riley)

    assert client.post(f"/accounts/{account.pk}/goals/", GOAL).status_code == 404
    assert client.post(f"/accounts/{account.pk}/goals/{goal.pk}/", GOAL).status_code == 404
    referral = {"referred_on": "2026-06-01", "referred_company": "Hooli", "outcome": "lead"}
    assert client.post(f"/accounts/{account.pk}/referrals/", referral).status_code == 404
    assert Goal.objects.get().kpi == "Seats" and not Referral.objects.exists()


def test_a_goal_of_another_account_cannot_be_edited_through_this_one(client, csm, account):
    elsewhere = Goal.objects.create(
        account=AccountFactory(owner=csm), kpi="Seats", target=1, due_on=TODAY
    )
    client.force_login(csm)

    assert client.post(f"/accounts/{account.pk}/goals/{elsewhere.pk}/", GOAL).status_code == 404


def test_a_csm_records_a_referral_once(client, csm, account):
    client.force_login(csm)
    referral = {"referred_on": "2026-06-01", "referred_company": " Hooli ", "outcome": "won"}

    html = client.post(f"/accounts/{account.pk}/referrals/", referral, follow=True)
    again = client.post(f"/accounts/{account.pk}/referrals/", referral, follow=True)

    assert Referral.objects.get().referred_company == "Hooli"
    assert "Hooli" in html.content.decode()
    assert "has referred that company already" in again.content.decode()
    future = {**referral, "referred_company": "Later", "referred_on": "2026-07-01"}
    later = client.post(f"/accounts/{account.pk}/referrals/", future, follow=True)
    assert "A referral cannot be in the future." in later.content.decode()
    assert Referral.objects.count() == 1


def test_tagged_feedback_is_filtered_by_tag(client, csm, account):
    billing, release = Tag.objects.create(name="Billing"), Tag.objects.create(name="v2.4")
    ticket = TicketFactory(
        account=account,
        ticket_id="T-77",
        subject="Invoice wrong",
        opened_at=datetime(2026, 6, 3, tzinfo=UTC),
    )
    ticket.tags.add(billing)
    answer = SurveyResponseFactory(
        account=account, score=3, comment="Export broke", responded_on=date(2026, 6, 10)
    )
    answer.tags.add(release)
    check_in = CheckIn.objects.create(account=account, date=TODAY, note="Wants SSO next year")
    check_in.tags.add(release, billing)
    TicketFactory(account=account, ticket_id="T-78", subject="Untagged")
    client.force_login(csm)

    every = page(client, account)
    only_release = page(client, account, f"?tag={release.pk}")
    unknown = page(client, account, "?tag=nope")

    for text in ("T-77 Invoice wrong", "Export broke", "Wants SSO next year"):
        assert text in every and text in unknown  # a malformed tag shows every tagged item
    assert "T-78" not in every.split('id="feedback-list"')[1].split("</ul>")[0]
    release_list = only_release.split('id="feedback-list"')[1].split("</ul>")[0]
    assert "Export broke" in release_list and "Wants SSO next year" in release_list
    assert "Invoice wrong" not in release_list


def test_a_check_in_is_logged_with_tags(client, csm, account):
    billing, plans = Tag.objects.create(name="Billing"), Tag.objects.create(name="Future plans")
    client.force_login(csm)

    client.post(
        f"/accounts/{account.pk}/check-ins/",
        {"date": "2026-06-29", "channel": "call", "note": "Wants SSO", "tags": [plans.pk]},
    )
    response = client.post(
        f"/accounts/{account.pk}/check-ins/",
        {"date": "2026-06-29", "channel": "call", "note": "x", "tags": ["999999"]},
        follow=True,
    )

    (check_in,) = CheckIn.objects.all()
    assert [t.name for t in check_in.tags.all()] == ["Future plans"]
    assert "Select a valid choice." in response.content.decode()
    assert billing.check_ins.count() == 0


def test_tagged_feedback_lists_the_newest_of_each_source_with_all_their_tags(
    client, csm, account, django_assert_max_num_queries
):
    billing, release = Tag.objects.create(name="Billing"), Tag.objects.create(name="v2.4")

    def tickets(first: int, last: int) -> None:
        for n in range(first, last + 1):
            ticket = TicketFactory(
                account=account,
                ticket_id=f"T-{n:02}",
                subject="Tagged",
                opened_at=datetime(2026, 6, n, tzinfo=UTC),
            )
            ticket.tags.add(*([release, billing] if n > 2 else [billing]))

    tickets(1, 2)
    client.force_login(csm)
    with django_assert_max_num_queries(100) as few:
        page(client, account)
    tickets(3, 14)
    # The feedback is a query for each source, however many items and tags it shows.
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = page(client, account)

    listed = html.split('id="feedback-list"')[1].split("</ul>")[0]
    shown = re.findall(r"T-(\d+) Tagged", listed)
    assert shown == [f"{n:02}" for n in range(14, 4, -1)]  # the ten newest, newest first
    # Each with all its tags, by name; the tenth too (twenty tag links, as many as are read).
    for item in listed.split("<li>")[1:]:
        assert '<span class="tag">Billing</span> <span class="tag">v2.4</span>' in item
    only_release = page(client, account, f"?tag={release.pk}")
    listed = only_release.split('id="feedback-list"')[1].split("</ul>")[0]
    assert re.findall(r"T-(\d+) Tagged", listed) == [f"{n:02}" for n in range(14, 4, -1)]
    assert listed.count('<span class="tag">Billing</span> <span class="tag">v2.4</span>') == 10


def test_tagged_feedback_is_one_query_for_its_three_sources(
    client, csm, account, django_assert_num_queries, django_assert_max_num_queries
):
    """One UNION ALL; three queries on SQLite, which takes no LIMIT inside a UNION."""
    reads = 1 if connection.features.supports_slicing_ordering_in_compound else 3
    client.force_login(csm)
    with django_assert_max_num_queries(100) as untagged:  # no tag list: no feedback read
        page(client, account)
    billing = Tag.objects.create(name="Billing")
    TicketFactory(account=account, ticket_id="T-1", subject="Invoice").tags.add(billing)
    SurveyResponseFactory(account=account, comment="Slow export").tags.add(billing)
    CheckIn.objects.create(account=account, date=TODAY, note="Wants SSO").tags.add(billing)

    for query in ("", f"?tag={billing.pk}"):
        with django_assert_num_queries(len(untagged.captured_queries) + reads):
            listed = page(client, account, query).split('id="feedback-list"')[1]
        for text in ("T-1 Invoice", "Slow export", "Wants SSO"):
            assert text in listed.split("</ul>")[0]


def test_a_goal_edit_form_gives_its_dates_as_the_date_input_needs_them_in_every_language(
    client, csm, account
):
    """A date input takes only YYYY-MM-DD; the reader's own format (18.11.2026) shows empty."""
    Goal.objects.create(
        account=account, kpi="Seats", target=10, set_on=date(2026, 5, 3), due_on=date(2026, 11, 18)
    )
    client.force_login(csm)
    for language in ("ru", "fr", "lv", "bg", "en"):
        html = client.get(f"/accounts/{account.pk}/", HTTP_ACCEPT_LANGUAGE=language).content
        assert b'value="2026-11-18"' in html and b'value="2026-05-03"' in html, language
