"""Contacts through the API: keyed on account + e-mail (any case), one primary per account."""

import pytest

from api.contacts import TWO_PRIMARIES
from surveys.models import Contact
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db):
    return AccountFactory(external_id="ACME", owner=None)


def post(client, rows):
    return client.post("/api/v1/contacts/", rows, format="json")


def test_contacts_upsert_on_account_and_email_whatever_its_case(acme, manager_client):
    Contact.objects.create(account=acme, name="Pat", email="Pat@Acme.example", role="CFO")
    response = post(
        manager_client, [{"account": "ACME", "email": "pat@acme.EXAMPLE", "name": "Pat Lee"}]
    )
    assert response.json() == {
        "kind": "contacts",
        "rows": 1,
        "created": 0,
        "updated": 1,
        "unchanged": 0,
    }
    pat = Contact.objects.get()
    assert (pat.name, pat.role) == ("Pat Lee", "CFO")  # role not sent: left alone
    again = post(
        manager_client, [{"account": "ACME", "email": "PAT@acme.example", "name": "Pat Lee"}]
    )
    assert again.json()["unchanged"] == 1


def test_a_new_primary_contact_takes_over_from_the_old_one(acme, manager_client):
    Contact.objects.create(account=acme, name="Old", email="old@acme.example", is_primary=True)
    response = post(
        manager_client,
        [{"account": "ACME", "email": "new@acme.example", "name": "New", "is_primary": True}],
    )
    assert response.status_code == 200
    assert dict(Contact.objects.values_list("name", "is_primary")) == {"Old": False, "New": True}


def test_naming_the_primary_again_keeps_it(acme, manager_client):
    Contact.objects.create(account=acme, name="Pat", email="pat@acme.example", is_primary=True)
    row = {"account": "ACME", "email": "pat@acme.example", "name": "Pat", "is_primary": True}
    assert post(manager_client, [row]).json()["unchanged"] == 1
    assert Contact.objects.get().is_primary


def test_two_primaries_for_one_account_are_refused_and_nothing_is_written(acme, manager_client):
    rows = [
        {"account": "ACME", "email": "a@acme.example", "name": "A", "is_primary": True},
        {"account": "ACME", "email": "b@acme.example", "name": "B", "is_primary": True},
    ]
    response = post(manager_client, rows)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": "is_primary", "reason": TWO_PRIMARIES}
    ]
    assert TWO_PRIMARIES == (
        "another row of this request makes a different contact of this account primary"
    )
    assert not Contact.objects.exists()


def test_contact_rows_are_checked_like_csv_rows(acme, manager_client):
    rows = [
        {"account": "ACME", "email": "not an e-mail", "name": "A"},
        {"account": "NOPE", "email": "b@acme.example", "name": "B"},
        {"account": "ACME", "email": "c@acme.example", "name": "", "active": "maybe"},
    ]
    response = post(manager_client, rows)
    assert [(e["index"], e["field"], e["reason"]) for e in response.json()["errors"]] == [
        (0, "email", "'not an e-mail' is not an e-mail address"),
        (1, "account", "unknown account 'NOPE'"),
        (2, "name", "is required"),
        (2, "active", "'maybe' is not true or false"),
    ]
