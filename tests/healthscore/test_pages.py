"""The login flow and the account list ("My book" / "All accounts") as a browser sees them."""

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Role
from tests.factories import AccountFactory, SubscriptionLineFactory, UserFactory

PASSWORD = "correct horse battery"  # what tests.factories.UserFactory sets
TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories hash a password for every user; the default hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


@pytest.fixture
def other_csm(db):
    return UserFactory(username="riley", role=Role.CSM)


@pytest.fixture
def book(csm, other_csm):
    """Casey's two accounts and Riley's one, each paying from January on."""
    accounts = {
        "acme": AccountFactory(name="Acme Corp", external_id="CRM-100", owner=csm),
        "globex": AccountFactory(name="Globex", external_id="CRM-200", owner=csm),
        "initech": AccountFactory(name="Initech", external_id="CRM-300", owner=other_csm),
    }
    for account in accounts.values():
        SubscriptionLineFactory(
            account=account, mrr=Decimal("1234.00"), start_date=date(2026, 1, 1)
        )
    return accounts


def listed_names(response) -> list[str]:
    """Account names in the first cell of each row of the accounts table."""
    tbody = response.content.decode().split('<table class="data" id="accounts">', 1)[1]
    return re.findall(r"<tr><td>([^<]*)</td><td>", tbody)


# --- anonymous visitors -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/accounts/", "/import/", "/accounts/?q=acme"])
def test_anonymous_visitor_is_sent_to_login_with_next(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=" + path.replace("?", "%3F").replace("=", "%3D")


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


# --- the account list -------------------------------------------------------------------------


def test_csm_sees_only_their_own_accounts(client, csm, book):
    client.force_login(csm)
    response = client.get("/accounts/")
    assert response.status_code == 200
    assert listed_names(response) == ["Acme Corp", "Globex"]
    html = response.content.decode()
    assert "My book" in html
    assert "Initech" not in html
    assert "CRM-300" not in html


def test_manager_sees_all_accounts(client, manager, book):
    client.force_login(manager)
    response = client.get("/accounts/")
    assert listed_names(response) == ["Acme Corp", "Globex", "Initech"]
    assert "All accounts" in response.content.decode()


def test_list_shows_todays_mrr_and_owner(client, manager, book, other_csm):
    churned = AccountFactory(name="Zenith", owner=other_csm)
    SubscriptionLineFactory(
        account=churned, mrr=Decimal("999"), start_date=date(2026, 1, 1), end_date=TODAY
    )
    client.force_login(manager)
    html = client.get("/accounts/").content.decode()
    initech_row = re.search(r"<tr><td>Initech</td>.*?</tr>", html, re.S).group(0)
    assert "riley" in initech_row
    assert "1,234" in initech_row
    # Zenith's line ended today (end date exclusive): no MRR today.
    zenith_row = re.search(r"<tr><td>Zenith</td>.*?</tr>", html, re.S).group(0)
    assert "999" not in zenith_row
    assert "—" in zenith_row


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


def test_list_is_paginated_by_50(client, manager):
    for n in range(55):
        AccountFactory(name=f"Account {n:02d}", owner=manager)
    client.force_login(manager)
    first = client.get("/accounts/")
    assert len(listed_names(first)) == 50
    second = client.get("/accounts/", {"page": 2})
    assert listed_names(second) == [f"Account {n}" for n in range(50, 55)]
    assert "55 accounts" in second.content.decode()


@pytest.fixture
def make_book(manager):
    """n accounts spread over three CSMs, each with a renewal and an add-on line."""
    owners = [UserFactory(role=Role.CSM) for _ in range(3)]

    def make(n):
        for i in range(n):
            account = AccountFactory(owner=owners[i % 3])
            SubscriptionLineFactory(
                account=account, start_date=date(2025, 7, 1), end_date=date(2026, 7, 1)
            )
            SubscriptionLineFactory(account=account, start_date=date(2026, 3, 1), mrr=Decimal(50))

    return make


@pytest.mark.parametrize("n", [10, 50])
def test_list_query_count_does_not_grow_with_accounts(
    client, manager, make_book, django_assert_num_queries, n
):
    make_book(n)
    client.force_login(manager)
    # 1: the session
    # 2: the logged-in user
    # 3: the paginator's count of visible accounts
    # 4: the page of accounts, with their owners joined
    # 5: today's MRR of the accounts on the page, summed in the database
    with django_assert_num_queries(5):
        response = client.get("/accounts/")
    assert len(listed_names(response)) == n
    assert response.content.decode().count(">1,050<") == n


def test_account_name_html_is_escaped(client, csm):
    AccountFactory(name='<script>alert("x")</script>', owner=csm)
    client.force_login(csm)
    html = client.get("/accounts/").content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_search_text_is_escaped_when_echoed(client, csm):
    client.force_login(csm)
    html = client.get("/accounts/", {"q": '"><img src=x onerror=alert(1)>'}).content.decode()
    assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
