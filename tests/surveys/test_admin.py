"""Admins manage contacts and surveys in the Django admin and see the sends (read-only), one
account at a time from the account page."""

import pytest

from tests.factories import AccountFactory, ContactFactory, SurveySendFactory


@pytest.fixture
def two_accounts(db):
    globex, initech = AccountFactory(name="Globex"), AccountFactory(name="Initech")
    SurveySendFactory(contact=ContactFactory(account=globex, email="dana@globex.example"))
    SurveySendFactory(contact=ContactFactory(account=initech, email="lee@initech.example"))
    return globex, initech


def test_the_account_page_links_an_admin_to_that_accounts_contacts_and_sends(
    client, admin_user, two_accounts
):
    globex, _ = two_accounts
    client.force_login(admin_user)
    html = client.get(f"/accounts/{globex.pk}/").content.decode()
    assert 'id="survey-contacts"' in html

    contacts = client.get(f"/admin/surveys/contact/?account__id__exact={globex.pk}")
    sends = client.get(f"/admin/surveys/surveysend/?contact__account__id__exact={globex.pk}")

    for response in (contacts, sends):
        assert response.status_code == 200
        body = response.content.decode()
        assert "dana@globex.example" in body and "lee@initech.example" not in body


def test_a_manager_gets_no_admin_link(client, manager, two_accounts):
    globex, _ = two_accounts
    client.force_login(manager)
    assert 'id="survey-contacts"' not in client.get(f"/accounts/{globex.pk}/").content.decode()


def test_sends_cannot_be_added_or_edited_in_the_admin_and_show_no_token(
    client, admin_user, two_accounts
):
    client.force_login(admin_user)
    send = SurveySendFactory()
    assert client.get("/admin/surveys/surveysend/add/").status_code == 403
    page = client.get(f"/admin/surveys/surveysend/{send.pk}/change/")
    assert page.status_code == 200  # view-only
    assert send.token_hash not in page.content.decode()
    assert 'name="answered_at"' not in page.content.decode()
