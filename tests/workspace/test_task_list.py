"""The task list page: who sees which tasks, its filters and sorts, a row's figures, bulk
complete and snooze, and its query count."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from scoring.models import CurrentHealth
from tests.factories import UserFactory
from tests.workspace.test_book import (
    TODAY,
    customer,
    open_task,
    snap,
    today,  # noqa: F401 - autouse fixture: today is 30 June 2026
)
from workspace.models import Task, TaskReason, TaskStatus

ROW = re.compile(r'<tr data-task="(\d+)" data-colour="(\w+)">(.*?)</tr>', re.S)


@pytest.fixture
def riley(db):
    return UserFactory(username="riley", first_name="Riley", last_name="Jensen", role="csm")


@pytest.fixture
def two_books(csm, riley, default_scorecard):
    mine = customer(csm, name="Mine")
    theirs = customer(riley, name="Theirs")
    return {
        "red": open_task(mine, TaskReason.TURNED_RED),
        "snoozed": open_task(
            mine,
            TaskReason.DETRACTOR,
            status="snoozed",
            snoozed_until=TODAY + timedelta(days=3),
        ),
        "done": open_task(mine, TaskReason.SCORE_DROP, status="done", closed_on=TODAY),
        "theirs": open_task(theirs, TaskReason.RENEWAL_RISK),
        "mine": mine,
        "theirs_account": theirs,
    }


def listed(response) -> list[tuple[str, str]]:
    return [(t.account.name, t.reason) for t in response.context["page"]]


def rows(response) -> dict[int, str]:
    """Task id -> the HTML of its row, in page order."""
    html = response.content.decode()
    return {int(pk): body for pk, _, body in ROW.findall(html)}


# --- who sees what ----------------------------------------------------------------------------


def test_csm_sees_their_open_tasks_only(client, csm, two_books):
    client.force_login(csm)
    response = client.get("/tasks/")
    assert listed(response) == [("Mine", "turned_red")]
    html = response.content.decode()
    assert "<h1>My tasks</h1>" in html
    assert "Theirs" not in html
    assert 'id="owner"' not in html  # no owner filter for a CSM


def test_snoozed_tasks_have_a_filter_of_their_own_and_say_until_when(client, csm, two_books):
    client.force_login(csm)
    response = client.get("/tasks/", {"status": "snoozed"})
    assert listed(response) == [("Mine", "detractor")]
    assert "snoozed until 3 Jul 2026" in rows(response)[two_books["snoozed"].pk]


def test_a_snoozed_task_is_back_in_the_open_list_on_its_day(client, csm, two_books):
    snoozed = two_books["snoozed"]
    Task.objects.filter(pk=snoozed.pk).update(snoozed_until=TODAY)  # the nightly run not yet
    client.force_login(csm)
    assert sorted(listed(client.get("/tasks/"))) == [("Mine", "detractor"), ("Mine", "turned_red")]
    assert listed(client.get("/tasks/", {"status": "snoozed"})) == []


def test_done_tasks_are_listed_without_a_tick_box(client, csm, two_books):
    client.force_login(csm)
    response = client.get("/tasks/", {"status": "done"})
    assert listed(response) == [("Mine", "score_drop")]
    row = rows(response)[two_books["done"].pk]
    assert 'name="task"' not in row
    assert "done 30 Jun 2026" in row
    assert "Complete ticked" not in response.content.decode()


def test_csm_cannot_widen_the_list_by_asking_for_another_owner(client, csm, riley, two_books):
    client.force_login(csm)
    response = client.get("/tasks/", {"owner": riley.pk})
    assert listed(response) == [("Mine", "turned_red")]


def test_manager_sees_every_task_and_filters_by_owner(client, manager, csm, riley, two_books):
    client.force_login(manager)
    everyone = client.get("/tasks/")
    assert sorted(listed(everyone)) == [("Mine", "turned_red"), ("Theirs", "renewal_risk")]
    html = everyone.content.decode()
    assert f'<option value="{riley.pk}">Riley Jensen</option>' in html
    assert listed(client.get("/tasks/", {"owner": riley.pk})) == [("Theirs", "renewal_risk")]
    assert listed(client.get("/tasks/", {"owner": csm.pk})) == [("Mine", "turned_red")]


@pytest.mark.parametrize(
    "params",
    [
        {"owner": "x"},
        {"owner": "²"},
        {"owner": "99999999999999999999999"},
        {"status": "nonsense"},
        {"reason": "<b>"},
        {"due": "yesterday"},
        {"sort": "-password"},
        {"page": "999"},
        {"page": "x"},
    ],
)
def test_malformed_filters_are_ignored(client, manager, two_books, params):
    client.force_login(manager)
    response = client.get("/tasks/", params)
    assert response.status_code == 200
    assert len(listed(response)) == 2


# --- filters and sorts ------------------------------------------------------------------------


@pytest.fixture
def dated(csm, default_scorecard):
    """Four accounts with a task each, due yesterday, today, in six days and in seven."""
    made = {}
    for name, due, score, mrr, renews_in in [
        ("Late", -1, 30, "500", 100),
        ("Today", 0, 80, "3000", None),
        ("Soon", 6, 55, "1500", 20),
        ("Next week", 7, None, "900", 45),
    ]:
        account = customer(csm, name=name, mrr=mrr, renews_in=renews_in)
        if score is not None:
            snap(account, score, mrr=mrr)
        made[name] = open_task(
            account,
            TaskReason.RENEWAL_RISK if name == "Soon" else TaskReason.TURNED_RED,
            opened_on=TODAY - timedelta(days=3),
            due_on=TODAY + timedelta(days=due),
        )
    return made


def names(response) -> list[str]:
    return [name for name, _ in listed(response)]


@pytest.mark.parametrize(
    ("due", "expected"),
    [("overdue", ["Late"]), ("week", ["Today", "Soon"]), ("later", ["Next week"])],
)
def test_due_filter_splits_at_today_and_a_week_on(client, csm, dated, due, expected):
    client.force_login(csm)
    assert names(client.get("/tasks/", {"due": due})) == expected


def test_reason_filter(client, csm, dated):
    client.force_login(csm)
    assert names(client.get("/tasks/", {"reason": "renewal_risk"})) == ["Soon"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["Late", "Today", "Soon", "Next week"]),
        ("-due", ["Next week", "Soon", "Today", "Late"]),
        ("score", ["Late", "Soon", "Today", "Next week"]),  # unscored last
        ("-score", ["Today", "Soon", "Late", "Next week"]),
        ("mrr", ["Late", "Soon", "Today", "Next week"]),  # MRR is the snapshot's: none last
        ("-mrr", ["Today", "Soon", "Late", "Next week"]),
        ("renewal", ["Soon", "Next week", "Late", "Today"]),  # no renewal last
        ("-renewal", ["Late", "Next week", "Soon", "Today"]),
    ],
)
def test_sorts(client, csm, dated, sort, expected):
    client.force_login(csm)
    assert names(client.get("/tasks/", {"sort": sort})) == expected


def test_a_row_shows_the_accounts_colour_score_mrr_renewal_and_owner(client, manager, dated):
    client.force_login(manager)
    response = client.get("/tasks/")
    late = rows(response)[dated["Late"].pk]
    assert ROW.search(response.content.decode()).group(2) == "red"
    assert 'class="badge badge-red"' in late
    assert '<span class="score">30</span>' in late
    assert ">500<" in late
    assert "8 Oct 2026" in late  # renews in 100 days
    assert "29 Jun 2026" in late and 'class="error"' in late  # overdue
    assert '<td data-label="Owner">casey</td>' in late
    unscored = rows(response)[dated["Next week"].pk]
    assert "badge-grey" in unscored and '<span class="score">–</span>' in unscored


def test_pagination_links_keep_the_filters(client, csm, default_scorecard):
    for n in range(51):
        open_task(customer(csm, name=f"Acct {n:02}"), due_on=TODAY + timedelta(days=1))
    client.force_login(csm)
    response = client.get("/tasks/", {"due": "week", "sort": "-mrr"})
    assert len(response.context["page"]) == 50
    assert 'href="?due=week&amp;sort=-mrr&amp;page=2"' in response.content.decode()
    assert (
        len(client.get("/tasks/", {"due": "week", "sort": "-mrr", "page": 2}).context["page"]) == 1
    )


def test_the_page_costs_the_same_queries_for_3_tasks_or_40(
    client, manager, csm, default_scorecard, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            account = customer(csm, name=f"A{Task.objects.count()}-{i}")
            snap(account, 50)
            open_task(account)

    client.force_login(manager)
    add(3)
    client.get("/tasks/")  # session and user warm
    with django_assert_max_num_queries(7) as few:
        assert len(client.get("/tasks/").context["page"]) == 3
    add(37)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/tasks/").context["page"]) == 40


# --- bulk complete and snooze -----------------------------------------------------------------


def test_bulk_complete_closes_the_ticked_tasks_and_keeps_the_filters(client, csm, dated):
    client.force_login(csm)
    ticked = [dated["Late"].pk, dated["Soon"].pk]
    response = client.post(
        "/tasks/?due=week&sort=-mrr",
        {"action": "complete", "task": ticked, "outcome": " Called both "},
    )
    assert response.status_code == 302
    assert response["Location"] == "/tasks/?due=week&sort=-mrr"
    done = Task.objects.filter(status=TaskStatus.DONE)
    assert sorted(done.values_list("pk", "outcome", "closed_on")) == [
        (pk, "Called both", TODAY) for pk in sorted(ticked)
    ]
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 2
    # The book's open-task count follows.
    assert CurrentHealth.objects.get(account=dated["Late"].account).open_tasks == 0
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == ["2 tasks completed."]
    assert names(page) == ["Today"]


def test_bulk_snooze_takes_tasks_out_of_the_open_list_until_their_day(client, csm, dated):
    client.force_login(csm)
    ticked = [dated["Today"].pk]
    response = client.post(
        "/tasks/", {"action": "snooze", "task": ticked, "until": "2026-07-10"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["1 task snoozed until 10 July 2026."]
    assert names(response) == ["Late", "Soon", "Next week"]
    task = Task.objects.get(pk=dated["Today"].pk)
    assert (task.status, task.snoozed_until) == ("snoozed", TODAY + timedelta(days=10))
    assert names(client.get("/tasks/", {"status": "snoozed"})) == ["Today"]


def test_bulk_action_skips_tasks_the_user_may_not_touch_and_says_how_many(client, csm, two_books):
    client.force_login(csm)
    ids = [two_books[k].pk for k in ("red", "snoozed", "done", "theirs")] + [987654]
    response = client.post("/tasks/", {"action": "complete", "task": ids, "outcome": "ok"})
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == [
        "2 tasks completed.",
        "3 ticked tasks were left as they were: they are done already or not on your accounts.",
    ]
    assert Task.objects.get(pk=two_books["theirs"].pk).status == TaskStatus.OPEN
    old = Task.objects.get(pk=two_books["done"].pk)
    assert (old.outcome, old.closed_on) == ("", TODAY)  # not rewritten


def test_bulk_complete_without_an_outcome_shows_the_error_and_keeps_the_ticks(client, csm, dated):
    client.force_login(csm)
    response = client.post(
        "/tasks/", {"action": "complete", "task": [dated["Soon"].pk], "outcome": "  "}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="bulk-outcome-errors">Say what came of it' in html
    assert 'aria-invalid="true"' in html
    assert re.search(rf'value="{dated["Soon"].pk}" data-tick[^>]* checked>', html)
    assert not re.search(rf'value="{dated["Late"].pk}" data-tick[^>]* checked>', html)
    assert not Task.objects.filter(status=TaskStatus.DONE).exists()


@pytest.mark.parametrize(
    ("until", "error"),
    [
        ("", "Pick the day the tasks come back."),
        ("2026-06-30", "Snooze to a day within the next 90 days."),
        ("2026-09-29", "Snooze to a day within the next 90 days."),
        ("30/07/2026x", "Enter a valid date."),
    ],
)
def test_bulk_snooze_to_a_bad_day_is_refused_beside_the_field(client, csm, dated, until, error):
    client.force_login(csm)
    response = client.post(
        "/tasks/", {"action": "snooze", "task": [dated["Soon"].pk], "until": until}
    )
    assert response.status_code == 200
    assert f'id="bulk-until-errors">{error}' in response.content.decode()
    assert not Task.objects.filter(status=TaskStatus.SNOOZED).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"action": "complete", "outcome": "x"}, "Tick at least one task."),
        ({"action": "complete", "outcome": "x", "task": ["1x"]}, "Select a valid choice."),
    ],
)
def test_bulk_action_without_a_well_formed_tick_says_so(client, csm, dated, data, error):
    client.force_login(csm)
    response = client.post("/tasks/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Task.objects.filter(status=TaskStatus.DONE).exists()


def test_bulk_action_needs_the_csrf_token(csm, dated):
    client = Client(enforce_csrf_checks=True)
    client.force_login(csm)
    data = {"action": "complete", "task": [dated["Soon"].pk], "outcome": "x"}
    assert client.post("/tasks/", data).status_code == 403
    assert not Task.objects.filter(status=TaskStatus.DONE).exists()


def test_anonymous_bulk_action_is_sent_to_login(client, dated):
    data = {"action": "complete", "task": [dated["Soon"].pk], "outcome": "x"}
    response = client.post("/tasks/", data)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Task.objects.filter(status=TaskStatus.DONE).exists()
