"""The API token admin: the page after creating a token says in plain words what it may do."""

import pytest

from accounts.tokens import ApiToken


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def created_sentence(response) -> str:
    html = response.content.decode()
    return html.split('<p id="token-created">', 1)[1].split("</p>", 1)[0]


def test_a_personal_token_is_said_to_act_as_its_user(admin_client, csm):
    response = admin_client.post(
        "/admin/accounts/apitoken/add/", {"name": "CRM sync", "kind": "personal", "user": csm.pk}
    )
    assert response.status_code == 200
    assert created_sentence(response) == (
        "The personal token <strong>CRM sync</strong> was created for <strong>casey</strong>: "
        "it acts as that user, and may do what they may."
    )
    assert ApiToken.objects.get().name == "CRM sync"
    assert 'id="api-token-key"' in response.content.decode()


def test_an_ingest_token_is_said_to_write_and_read_nothing(admin_client):
    response = admin_client.post(
        "/admin/accounts/apitoken/add/", {"name": "Segment", "kind": "ingest"}
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    assert created_sentence(response) == (
        "The ingest token <strong>Segment</strong> was created: it writes data and reads nothing."
    )
    assert "—" not in created_sentence(response)
