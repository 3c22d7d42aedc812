"""Accounts not active yet (no subscription line, or a first line still to come): out of the
book, in its "Not yet active" list, grey with the reason; the import says how many there are."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from tests.factories import AccountFactory, SubscriptionLineFactory, UserFactory
from tests.workspace.test_book import (
    TODAY,
    customer,
    listed_names,
    listed_rows,
    today,  # noqa: F401 - autouse fixture: today is 30 June 2026
)
from workspace.current_health import current_health_refresh

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def book(csm, default_scorecard):
    active = customer(csm, name="Active Ltd")
    new = AccountFactory(owner=csm, name="Brand New")
    later = AccountFactory(owner=csm, name="Starts Later")
    SubscriptionLineFactory(account=later, start_date=TODAY + timedelta(days=10))
    churned = AccountFactory(owner=csm, name="Gone Away")
    SubscriptionLineFactory(
        account=churned, start_date=date(2025, 1, 1), end_date=TODAY - timedelta(days=5)
    )
    theirs = AccountFactory(owner=UserFactory(role=Role.CSM), name="Not Yours")
    current_health_refresh(account_ids=[new.pk, later.pk, churned.pk, theirs.pk])
    return {"active": active, "new": new, "later": later, "churned": churned}


def test_the_book_lists_active_accounts_only(client, csm, book):
    client.force_login(csm)
    assert listed_names(client.get("/accounts/")) == ["Active Ltd"]


def test_not_yet_active_lists_accounts_without_lines_and_with_lines_to_come(client, csm, book):
    client.force_login(csm)
    response = client.get("/accounts/", {"status": "not_yet"})
    rows = listed_rows(response)
    # Churned accounts are not "not yet" active; another CSM's account is not Casey's to see.
    assert sorted(rows) == ["Brand New", "Starts Later"]
    assert all('data-colour="grey"' in row for row in rows.values())
    assert "no subscription line yet" in rows["Brand New"]
    assert "first line starts" in rows["Starts Later"]
    html = response.content.decode()
    assert 'id="not-yet-note"' in html
    # The filters keep the list: a search stays within it.
    assert 'name="status" value="not_yet"' in html
    found = client.get("/accounts/", {"status": "not_yet", "q": "brand"})
    assert listed_names(found) == ["Brand New"]


def test_the_book_links_to_the_not_yet_active_list(client, csm, book):
    client.force_login(csm)
    html = client.get("/accounts/").content.decode()
    link = html[html.index('id="not-yet-filter"') - 200 : html.index('id="not-yet-filter"')]
    assert "status=not_yet" in link


def card_count(html: str) -> int:
    card = html[html.index('id="not-yet-filter"') :]
    return int(card[card.index("<b>") + 3 : card.index("</b>")])


def test_the_not_yet_active_card_counts_the_accounts_and_follows_their_first_line(
    client, csm, book
):
    client.force_login(csm)
    assert card_count(client.get("/accounts/").content.decode()) == 2  # Brand New, Starts Later
    assert card_count(client.get("/accounts/", {"q": "brand"}).content.decode()) == 1
    assert card_count(client.get("/accounts/", {"status": "not_yet"}).content.decode()) == 2
    SubscriptionLineFactory(account=book["new"], start_date=TODAY - timedelta(days=1))
    current_health_refresh(account_ids=[book["new"].pk])  # as an import of lines does
    assert card_count(client.get("/accounts/").content.decode()) == 1


def test_a_not_yet_active_account_page_says_why_it_is_grey(client, csm, book):
    client.force_login(csm)
    html = client.get(f"/accounts/{book['new'].pk}/").content.decode()
    assert "It has no subscription line yet, so it is not active" in html


def upload_accounts(client, raw: bytes):
    data = {"kind": "accounts", "file": SimpleUploadedFile("accounts.csv", raw, "text/csv")}
    return client.post("/import/", data)


def test_importing_accounts_says_how_many_have_no_lines_and_where_they_are(
    client, manager, default_scorecard, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload_accounts(client, (EXAMPLES / "accounts.csv").read_bytes())
    assert response.status_code == 200
    said = [str(m) for m in response.context["messages"]]
    assert said == [
        "3 accounts have no subscription lines yet: they are not active, so they are not "
        "scored. Find them in the book under “Not yet active”."
    ]
    assert said[0] in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert sorted(listed_names(client.get("/accounts/", {"status": "not_yet"}))) == [
        "Acme Corp",
        "Globex",
        "Initech",
    ]


def test_importing_accounts_that_have_lines_says_nothing_more(client, manager, default_scorecard):
    account = AccountFactory(external_id="ACME-001")
    SubscriptionLineFactory(account=account)
    client.force_login(manager)
    response = upload_accounts(client, b"external_id,name\nACME-001,Acme Corp\n")
    assert response.status_code == 200
    assert list(response.context["messages"]) == []
