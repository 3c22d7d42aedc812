"""API tokens: stored hashed, Token or Bearer, revocable, created and revoked by admins with
the key shown once."""

import hashlib
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tokens import ApiToken, TokenKind, token_issue, token_revoke
from tests.api.conftest import client_with_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_only_the_hash_of_the_key_is_stored(manager):
    token, key = token_issue(name="script", kind=TokenKind.PERSONAL, user=manager)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(value) for value in stored.values()}
    assert len(key) >= 43 and stored["prefix"] == key[:8]


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_a_personal_token_acts_as_its_user(keyword, manager):
    _, key = token_issue(name="script", kind=TokenKind.PERSONAL, user=manager)
    assert client_with_token(key, keyword).get("/api/v1/accounts/").status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Token", "Token not-a-key", "Token two words", "Bearer \u00e9", "Basic dXNlcjpwYXNz"],
)
def test_a_bad_authorization_header_is_a_401(header, db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401


def test_a_revoked_token_stops_working_at_once(manager):
    token, key = token_issue(name="script", kind=TokenKind.PERSONAL, user=manager)
    client = client_with_token(key)
    assert client.get("/api/v1/accounts/").status_code == 200
    token_revoke(token=token)
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked token."}


def test_a_deactivated_users_token_stops_working(csm):
    _, key = token_issue(name="script", kind=TokenKind.PERSONAL, user=csm)
    csm.is_active = False
    csm.save()
    assert client_with_token(key).get("/api/v1/accounts/").status_code == 401


def test_a_demoted_users_token_loses_the_old_rights_with_them(db):
    from tests.factories import AccountFactory

    boss = UserFactory(username="boss", role="manager")
    AccountFactory(owner=UserFactory())
    _, key = token_issue(name="script", kind=TokenKind.PERSONAL, user=boss)
    client = client_with_token(key)
    assert client.get("/api/v1/accounts/").json()["count"] == 1
    boss.role = "csm"
    boss.save()
    assert client.get("/api/v1/accounts/").json()["count"] == 0


def test_last_use_is_recorded_at_most_once_a_minute(manager, django_assert_num_queries):
    token, key = token_issue(name="script", kind=TokenKind.PERSONAL, user=manager)
    client = client_with_token(key)
    client.get("/api/v1/accounts/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/accounts/")
    token.refresh_from_db()
    assert token.last_used_at == first


def test_a_personal_token_needs_a_user_and_an_ingest_token_has_none(admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ApiToken(name="x", kind=TokenKind.PERSONAL).full_clean()
    with pytest.raises(ValidationError):
        ApiToken(name="x", kind=TokenKind.INGEST, user=admin_user).full_clean()


# ---------------------------------------------------------------- the admin


def test_an_admin_creates_a_token_and_sees_its_key_once(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_apitoken_add"),
        {"name": "Stripe sync", "kind": "ingest", "user": ""},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'value="([A-Za-z0-9_-]{43})"', response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert (token.name, token.kind, token.user, token.created_by) == (
        "Stripe sync",
        "ingest",
        None,
        admin_user,
    )
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    # The key works, and no page shows it again.
    ingest = client_with_token(key)
    rows = []
    assert ingest.post("/api/v1/usage/", rows, format="json").status_code == 200
    change = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert key not in change.content.decode() and key not in listing.content.decode()
    assert token.prefix in listing.content.decode()


def test_a_personal_token_without_a_user_is_refused_by_the_admin_form(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_apitoken_add"), {"name": "x", "kind": "personal", "user": ""}
    )
    assert "A personal token acts as a user" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_an_admin_revokes_tokens(client, admin_user, manager):
    token, key = token_issue(name="script", kind=TokenKind.PERSONAL, user=manager)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert "1 token revoked" in response.content.decode()
    assert client_with_token(key).get("/api/v1/accounts/").status_code == 401


@pytest.mark.parametrize("role", ["csm", "manager"])
def test_only_admins_manage_tokens(client, role):
    client.force_login(UserFactory(role=role))
    response = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert response.status_code == 302  # to the admin login: not staff


# ---------------------------------------------------------------- the browser session


def test_the_browser_session_works_and_needs_the_csrf_token_to_write(manager):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get("/api/v1/accounts/").status_code == 200
    response = client.post("/api/v1/usage/", [], format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_docs_page_sends_visitors_to_the_login_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_docs_page_works_offline(client, csm):
    client.force_login(csm)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from elsewhere
    # The pages' CSP allows no inline script: the start-up script is a file too.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js">',
        '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/'
        'swagger-ui-standalone-preset.js">',
        '<script src="/api/docs/?script=">',
    ]
    assert client.get("/api/docs/?script=")["Content-Type"] == "application/javascript"
    bundle = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200
