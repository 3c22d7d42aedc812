"""Logging in and out, who may see which page, and the book ("My book" / "All accounts") as a
browser sees it. Filters, sorting, the CSV and query counts of the book: test_book.py."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.models import Role
from signals.models import SentimentEntry
from tests.factories import AccountFactory, SubscriptionLineFactory, UserFactory
from tests.workspace.test_book import (
    TODAY,
    customer,
    listed_names,
    listed_rows,
    open_task,
    snap,
    today,  # noqa: F401 - autouse fixture: today is 30 June 2026
)
from workspace.models import CheckIn, ColourOverride, Task, TaskReason

PASSWORD = "correct horse battery"  # what tests.factories.UserFactory sets


@pytest.fixture
def other_csm(db):
    return UserFactory(username="riley", role=Role.CSM)


@pytest.fixture
def book(csm, other_csm):
    """Casey's two accounts and Riley's one, each paying from January on."""
    return {
        "acme": customer(csm, name="Acme Corp", external_id="CRM-100", mrr="1234"),
        "globex": customer(csm, name="Globex", external_id="CRM-200", mrr="1234"),
        "initech": customer(other_csm, name="Initech", external_id="CRM-300", mrr="1234"),
    }


# --- anonymous visitors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/",
        "/accounts/?q=acme",
        "/accounts/?format=csv",
        "/accounts/{pk}/",
        "/tasks/",
        "/import/",
    ],
)
def test_anonymous_visitor_is_sent_to_login_with_next(client, book, path):
    path = path.format(pk=book["acme"].pk)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=" + path.replace("?", "%3F").replace("=", "%3D")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/accounts/{pk}/check-ins/", {"date": "2026-06-29", "channel": "call", "note": "hi"}),
        ("/accounts/{pk}/sentiment/", {"sentiment": "red"}),
        ("/accounts/{pk}/override/", {"colour": "red", "reason": "r", "expires_on": "2026-07-09"}),
        ("/accounts/{pk}/override/remove/", {}),
        ("/accounts/{pk}/reassign/", {"owner": "{owner}"}),
        ("/tasks/{task}/done/", {"outcome": "called"}),
        ("/tasks/{task}/snooze/", {"until": "2026-07-05"}),
        ("/import/", {"kind": "accounts"}),
    ],
)
def test_anonymous_post_is_sent_to_login_and_changes_nothing(client, book, other_csm, path, data):
    account = book["acme"]
    task = open_task(account)
    ColourOverride.objects.create(
        account=account, colour="green", reason="r", expires_on=TODAY, created_on=TODAY
    )
    ids = {"pk": account.pk, "task": task.pk, "owner": other_csm.pk}
    path = path.format(**ids)
    response = client.post(path, {k: v.format(**ids) for k, v in data.items()})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    account.refresh_from_db()
    task.refresh_from_db()
    assert account.owner.username == "casey"
    assert (task.status, task.snoozed_until) == ("open", None)
    assert not CheckIn.objects.exists()
    assert not SentimentEntry.objects.exists()
    assert list(ColourOverride.objects.values_list("colour", "cleared_on")) == [("green", None)]


def test_login_page_renders_for_anonymous_visitor(client, db):
    response = client.get("/login/?next=/import/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="next" value="/import/"' in html
    assert "Log out" not in html


# --- logging in and out -----------------------------------------------------------------------


def test_right_password_logs_in_and_lands_on_the_book(client, csm, book):
    response = client.post("/login/", {"username": "casey", "password": PASSWORD}, follow=True)
    assert response.redirect_chain == [("/", 302), ("/accounts/", 302)]
    assert response.status_code == 200
    assert "My book" in response.content.decode()
    assert response.context["user"] == csm


def test_login_returns_to_the_page_asked_for(client, manager):
    response = client.post(
        "/login/", {"username": "morgan", "password": PASSWORD, "next": "/import/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/import/"


def test_login_does_not_redirect_to_another_site(client, csm):
    response = client.post(
        "/login/", {"username": "casey", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_password_shows_an_error_and_does_not_log_in(client, csm):
    response = client.post("/login/", {"username": "casey", "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error" role="alert"' in html
    assert "Please enter a correct username and password" in html
    assert not response.context["user"].is_authenticated
    assert client.get("/accounts/").status_code == 302


def test_inactive_user_cannot_log_in(client, csm):
    csm.is_active = False
    csm.save()
    response = client.post("/login/", {"username": "casey", "password": PASSWORD})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_logged_in_user_visiting_login_goes_to_the_book(client, csm):
    client.force_login(csm)
    response = client.get("/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_by_post_ends_the_session(client, csm):
    client.force_login(csm)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/accounts/")["Location"] == "/login/?next=/accounts/"


def test_logout_refuses_get(client, csm):
    # A link or an image tag must not be able to log someone out.
    client.force_login(csm)
    assert client.get("/logout/").status_code == 405
    assert client.get("/accounts/").status_code == 200


# --- who sees which accounts ------------------------------------------------------------------


def test_csm_sees_only_their_own_accounts(client, csm, book):
    client.force_login(csm)
    response = client.get("/accounts/")
    assert response.status_code == 200
    assert listed_names(response) == ["Acme Corp", "Globex"]
    html = response.content.decode()
    assert "<h1>My book</h1>" in html
    assert "Initech" not in html
    assert "CRM-300" not in html
    assert 'id="owner"' not in html  # no owner filter in a CSM's own book


def test_manager_sees_all_accounts_and_can_filter_by_owner(client, manager, book):
    client.force_login(manager)
    response = client.get("/accounts/")
    assert listed_names(response) == ["Acme Corp", "Globex", "Initech"]
    html = response.content.decode()
    assert "<h1>All accounts</h1>" in html
    assert 'id="owner"' in html
    assert ">riley<" in html


def test_admin_sees_all_accounts(client, admin_user, book):
    client.force_login(admin_user)
    assert listed_names(client.get("/accounts/")) == ["Acme Corp", "Globex", "Initech"]


def test_an_account_needs_a_line_covering_today_to_be_listed(client, manager, book, other_csm):
    ended = AccountFactory(name="Zenith", owner=other_csm)
    # Zenith's line ended today (end date exclusive): not a customer today.
    SubscriptionLineFactory(
        account=ended, mrr=Decimal("999"), start_date=date(2026, 1, 1), end_date=TODAY
    )
    AccountFactory(name="Prospect", owner=other_csm)  # no line at all
    client.force_login(manager)
    assert listed_names(client.get("/accounts/")) == ["Acme Corp", "Globex", "Initech"]


def test_row_shows_the_snapshot_mrr_and_owner(client, manager, book, default_scorecard):
    snap(book["initech"], 75, mrr="1234")
    client.force_login(manager)
    row = listed_rows(client.get("/accounts/"))["Initech"]
    assert "riley" in row
    assert ">$1,234<" in row
    assert "Healthy" in row


def test_open_tasks_and_nothing_else_count_in_the_row(client, csm, book):
    open_task(book["acme"])
    open_task(book["acme"], TaskReason.DETRACTOR, status="snoozed", snoozed_until=TODAY)
    open_task(book["acme"], TaskReason.SCORE_DROP, status="done", closed_on=TODAY)
    client.force_login(csm)
    row = listed_rows(client.get("/accounts/"))["Acme Corp"]
    assert f'/accounts/{book["acme"].pk}/#tasks">2<' in row
    assert Task.objects.count() == 3


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("acme", ["Acme Corp"], id="name-part-any-case"),
        pytest.param("CORP", ["Acme Corp"], id="name-upper-case"),
        pytest.param("CRM-200", ["Globex"], id="external-id"),
        pytest.param("crm-200", ["Globex"], id="external-id-any-case"),
        pytest.param("  globex  ", ["Globex"], id="surrounding-spaces"),
        pytest.param("nothing like it", [], id="no-match"),
    ],
)
def test_search_by_name_or_external_id(client, manager, book, q, expected):
    client.force_login(manager)
    response = client.get("/accounts/", {"q": q})
    assert listed_names(response) == expected


@pytest.mark.parametrize("q", ["Initech", "CRM-300"])
def test_csm_search_does_not_reach_other_books(client, csm, book, q):
    client.force_login(csm)
    response = client.get("/accounts/", {"q": q})
    assert listed_names(response) == []
    assert "No accounts match" in response.content.decode()


# --- escaping ---------------------------------------------------------------------------------

EVIL = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


def test_account_name_html_is_escaped_in_the_book(client, csm):
    customer(csm, name=EVIL)
    client.force_login(csm)
    html = client.get("/accounts/").content.decode()
    assert EVIL not in html
    assert ESCAPED in html
    assert listed_names(client.get("/accounts/")) == [ESCAPED]


def test_account_name_and_notes_are_escaped_on_the_account_page(client, csm):
    account = customer(csm, name=EVIL)
    CheckIn.objects.create(account=account, author=csm, date=TODAY, note=EVIL)
    open_task(account, detail=EVIL)
    client.force_login(csm)
    html = client.get(f"/accounts/{account.pk}/").content.decode()
    assert EVIL not in html
    assert html.count(ESCAPED) == 4  # title, heading, check-in note, task detail


def test_search_text_is_escaped_when_echoed(client, csm):
    client.force_login(csm)
    html = client.get("/accounts/", {"q": '"><img src=x onerror=alert(1)>'}).content.decode()
    assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_account_name_is_escaped_in_the_task_list(client, csm):
    open_task(customer(csm, name=EVIL))
    client.force_login(csm)
    html = client.get("/tasks/").content.decode()
    assert EVIL not in html
    assert ESCAPED in html


def test_pages_render_for_a_csm_with_an_empty_book(client, csm):
    client.force_login(csm)
    for path in ("/accounts/", "/tasks/", "/accounts/?format=csv"):
        assert client.get(path).status_code == 200
    assert client.get("/import/").status_code == 403  # importing is for managers


def test_renewal_date_is_shown_for_a_line_that_ends(client, csm):
    customer(csm, name="Renewing", renews_in=20)
    client.force_login(csm)
    row = listed_rows(client.get("/accounts/"))["Renewing"]
    assert (TODAY + timedelta(days=20)).strftime("%-d %b %Y") in row
