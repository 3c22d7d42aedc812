"""Contacts on the account page: listed with their latest survey answer, added and edited by
whoever may see the account (its CSM, managers, admins), with errors beside the fields."""

import re
from datetime import timedelta

import pytest

from accounts.models import Role
from audit.models import AuditEntry
from surveys.models import Contact
from tests.factories import ContactFactory, SurveyResponseFactory, UserFactory
from tests.workspace.test_account_page import field_errors, refused, section
from tests.workspace.test_book import (
    TODAY,
    customer,
    today,  # noqa: F401 - autouse fixture: today is 30 June 2026
)


@pytest.fixture
def account(csm, default_scorecard):
    return customer(csm, name="Acme Corp")


def contacts_html(client, account) -> str:
    response = client.get(f"/accounts/{account.pk}/")
    assert response.status_code == 200
    return section(response.content.decode(), "contact-table")


def test_contacts_are_listed_primary_first_with_their_latest_answer(client, csm, account):
    ContactFactory(account=account, name="Bea Quiet", email="bea@acme.example", role="CTO")
    ContactFactory(
        account=account, name="Zed Primary", email="Zed@Acme.example", role="CFO", is_primary=True
    )
    SurveyResponseFactory(
        account=account, respondent="zed@acme.example", score=3, responded_on=TODAY
    )
    SurveyResponseFactory(
        account=account,
        respondent="zed@acme.example",
        score=9,
        responded_on=TODAY - timedelta(days=90),
    )
    client.force_login(csm)
    table = contacts_html(client, account)
    rows = re.findall(r'<tr data-contact="\d+"[^>]*>(.*?)</tr>', table, re.S)
    assert [re.search(r"<td>([^<]*)", r).group(1).strip() for r in rows] == [
        "Zed Primary",
        "Bea Quiet",
    ]
    assert '<span class="tag">primary</span>' in rows[0]
    assert "CFO" in rows[0] and "Zed@Acme.example" in rows[0]
    assert "NPS 3" in rows[0] and "NPS 9" not in rows[0]  # the latest, matched whatever the case
    assert "none yet" in rows[1]


def test_the_csm_adds_a_contact(client, csm, account):
    client.force_login(csm)
    response = client.post(
        f"/accounts/{account.pk}/contacts/",
        {"name": "Dana Lee", "role": "Head of Ops", "email": "dana@acme.example", "active": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{account.pk}/#contacts"
    contact = Contact.objects.get()
    assert (contact.account, contact.name, contact.role, contact.email, contact.active) == (
        account,
        "Dana Lee",
        "Head of Ops",
        "dana@acme.example",
        True,
    )
    assert "Dana Lee" in contacts_html(client, account)
    entry = AuditEntry.objects.get(action="contact added")
    assert entry.actor == csm and entry.object_id == str(account.pk)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "email": "x@acme.example"}, "name", "This field is required."),
        ({"name": "X", "email": "not-an-address"}, "email", "Enter a valid email address."),
        (
            {"name": "X", "email": "TAKEN@acme.example"},
            "email",
            "This account already has a contact with this e-mail.",
        ),
    ],
)
def test_a_refused_contact_shows_the_error_beside_the_field_and_keeps_the_input(
    client, csm, account, data, field, message
):
    ContactFactory(account=account, email="taken@acme.example")
    client.force_login(csm)
    html = refused(client, f"/accounts/{account.pk}/contacts/", {**data, "role": "Buyer"})
    assert field_errors(html, f"contact_{field}") == [message]
    form = section(html, "contact-form")
    assert 'value="Buyer"' in form
    assert 'id="contacts-section" open' in html
    assert Contact.objects.count() == 1


def test_the_same_email_at_another_account_is_fine(client, csm, account):
    ContactFactory(email="dana@acme.example")  # another account's
    client.force_login(csm)
    response = client.post(
        f"/accounts/{account.pk}/contacts/", {"name": "Dana", "email": "dana@acme.example"}
    )
    assert response.status_code == 302
    assert account.contacts.get().email == "dana@acme.example"


def test_a_new_primary_contact_takes_over_from_the_old(client, csm, account):
    old = ContactFactory(account=account, is_primary=True)
    client.force_login(csm)
    response = client.post(
        f"/accounts/{account.pk}/contacts/",
        {"name": "New", "email": "new@acme.example", "is_primary": "on", "active": "on"},
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert not old.is_primary
    assert account.contacts.get(is_primary=True).name == "New"


def test_editing_a_contact(client, csm, account):
    contact = ContactFactory(account=account, name="Dana", email="dana@acme.example")
    client.force_login(csm)
    url = f"/accounts/{account.pk}/contacts/{contact.pk}/"
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="dana@acme.example"' in form.content.decode()
    bad = client.post(url, {"name": "Dana", "email": "nope"})
    assert bad.status_code == 400
    assert field_errors(bad.content.decode(), f"contact{contact.pk}_email") == [
        "Enter a valid email address."
    ]
    response = client.post(
        url, {"name": "Dana Lee", "role": "COO", "email": "dana@acme.example", "active": ""}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.role, contact.active) == ("Dana Lee", "COO", False)
    changes = AuditEntry.objects.get(action="contact edited").changes
    assert changes["name"] == ["Dana", "Dana Lee"] and changes["active"] == [True, False]


def test_a_manager_edits_any_accounts_contacts(client, manager, account):
    contact = ContactFactory(account=account)
    client.force_login(manager)
    response = client.post(
        f"/accounts/{account.pk}/contacts/{contact.pk}/",
        {"name": "Renamed", "email": contact.email, "active": "on"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Renamed"


def test_another_csm_can_neither_see_nor_change_the_contacts(client, account):
    contact = ContactFactory(account=account)
    riley = UserFactory(username="riley", role=Role.CSM)
    client.force_login(riley)
    url = f"/accounts/{account.pk}/contacts/"
    assert client.post(url, {"name": "X", "email": "x@acme.example"}).status_code == 404
    assert client.get(f"{url}{contact.pk}/").status_code == 404
    assert client.post(
        f"{url}{contact.pk}/", {"name": "X", "email": "x@a.example"}
    ).status_code == (404)
    assert Contact.objects.get().name == contact.name


def test_a_contact_of_another_account_is_a_404_under_this_one(client, csm, account):
    other = customer(csm, name="Globex")
    contact = ContactFactory(account=other)
    client.force_login(csm)
    assert client.get(f"/accounts/{account.pk}/contacts/{contact.pk}/").status_code == 404
