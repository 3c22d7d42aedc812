"""Rate limits per token, with a 429 that says the limit and when to retry."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings

from api.rates import env_rate
from tests.api.conftest import client_with_token, ingest_token, personal_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "ingest": "2/hour"},
    }
    yield
    api_settings.reload()


def test_a_token_over_its_rate_gets_a_clear_429(low_rates, manager):
    client = client_with_token(personal_token(manager))
    assert [client.get("/api/v1/accounts/").status_code for _ in range(3)] == [200] * 3
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"].startswith(
        "Rate limit exceeded: 3 requests per minute per token. Expected available in"
    )


def test_each_token_has_its_own_bucket(low_rates, manager):
    first = client_with_token(personal_token(manager))
    second = client_with_token(personal_token(manager))
    for _ in range(3):
        first.get("/api/v1/accounts/")
    assert first.get("/api/v1/accounts/").status_code == 429
    assert second.get("/api/v1/accounts/").status_code == 200


def test_ingest_tokens_have_their_own_rate(low_rates):
    client = client_with_token(ingest_token())
    assert [client.post("/api/v1/usage/", [], format="json").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


@pytest.mark.parametrize("raw", ["600", "ten/minute", "0/minute", "5/fortnight", "-1/s"])
def test_a_malformed_rate_stops_start_up(raw, monkeypatch):
    monkeypatch.setenv("API_THROTTLE_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_RATE"):
        env_rate("API_THROTTLE_RATE", "1200/minute")


def test_a_rate_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("API_THROTTLE_RATE", "50/second")
    assert env_rate("API_THROTTLE_RATE", "1200/minute") == "50/second"
    monkeypatch.delenv("API_THROTTLE_RATE")
    assert env_rate("API_THROTTLE_RATE", "1200/minute") == "1200/minute"


def test_a_browser_session_is_limited_per_user(low_rates, manager):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(manager)
    for _ in range(3):
        client.get("/api/v1/accounts/")
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 429
    assert response.json()["detail"].startswith(
        "Rate limit exceeded: 3 requests per minute per user."
    )
