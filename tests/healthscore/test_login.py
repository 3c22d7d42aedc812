"""The brake on password guessing (django-axes, healthscore/login.py): every login page, one
username at one address, one address across usernames, counted in the database."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery"
HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3  # LOGIN_MAX_FAILURES
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 10
    return settings


def log_in(client, username, password, address=HOME, path="/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_wrong_passwords_lock_that_user_out_at_that_address(client, csm, limits):
    for _ in range(2):
        assert log_in(client, "casey", "wrong").status_code == 200
    locking = log_in(client, "casey", "wrong")  # the third
    assert locking.status_code == 429
    refused = log_in(client, "casey", RIGHT)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many failed log-ins" in page
    assert "paused for 15 minutes" in page
    assert not logged_in(client)


def test_a_user_locked_out_at_one_address_still_logs_in_from_another(client, csm, limits):
    for _ in range(3):
        log_in(client, "casey", "wrong", address=HOME)
    assert log_in(client, "casey", RIGHT, address=HOME).status_code == 429
    assert log_in(client, "casey", RIGHT, address=ELSEWHERE).status_code == 302
    assert logged_in(client)


def test_one_users_failures_do_not_lock_out_another_user_at_that_address(client, csm, limits):
    UserFactory(username="robin")
    for _ in range(3):
        log_in(client, "casey", "wrong")
    assert log_in(client, "robin", RIGHT).status_code == 302


def test_the_admin_login_is_braked_too(client, limits):
    UserFactory(username="ada", role="admin")
    for _ in range(2):
        assert log_in(client, "ada", "wrong", path="/admin/login/").status_code == 200
    assert log_in(client, "ada", "wrong", path="/admin/login/").status_code == 429
    refused = log_in(client, "ada", RIGHT, path="/admin/login/")
    assert refused.status_code == 429
    assert "Too many failed log-ins" in refused.content.decode()
    assert not logged_in(client)
    # One brake for both doors: the app's login page refuses the same pair.
    assert log_in(client, "ada", RIGHT).status_code == 429


def test_failures_on_one_login_page_count_on_the_other(client, limits):
    UserFactory(username="ada", role="admin")
    log_in(client, "ada", "wrong", path="/admin/login/")
    log_in(client, "ada", "wrong")
    log_in(client, "ada", "wrong", path="/admin/login/")
    assert log_in(client, "ada", RIGHT).status_code == 429


def test_many_usernames_from_one_address_lock_the_address(client, csm, limits):
    # One password tried on many accounts: each username fails only once.
    for n in range(10):
        log_in(client, f"someone{n}", "Summer2026!")
    assert log_in(client, "casey", RIGHT).status_code == 429
    assert not logged_in(client)
    assert log_in(client, "casey", RIGHT, address=ELSEWHERE).status_code == 302


def test_logging_in_to_ones_own_account_does_not_clear_the_guesses_at_others(client, limits):
    UserFactory(username="mallory")
    for n in range(9):
        log_in(client, f"victim{n}", "guess")
    assert log_in(client, "mallory", RIGHT).status_code == 302
    client.logout()
    log_in(client, "victim9", "guess")  # the address's tenth failure
    assert log_in(client, "mallory", RIGHT).status_code == 429


def test_a_successful_login_resets_that_users_count(client, csm, limits):
    for _ in range(2):
        log_in(client, "casey", "wrong")
    assert log_in(client, "casey", RIGHT).status_code == 302
    client.logout()
    for _ in range(2):
        assert log_in(client, "casey", "wrong").status_code == 200
    assert log_in(client, "casey", RIGHT).status_code == 302


def test_look_alike_spellings_of_a_username_share_one_count(client, csm, limits):
    for spelling in ("ｃasey", "𝐜asey", "CASEY"):  # fullwidth and mathematical bold "c"
        log_in(client, spelling, "wrong")
    assert log_in(client, "casey", RIGHT).status_code == 429


def test_the_lock_lifts_once_the_lockout_time_has_passed(client, csm, limits):
    for _ in range(3):
        log_in(client, "casey", "wrong")
    assert log_in(client, "casey", RIGHT).status_code == 429
    later = timezone.now() + timedelta(seconds=limits.LOGIN_LOCKOUT_SECONDS + 1)
    with time_machine.travel(later):
        assert log_in(client, "casey", RIGHT).status_code == 302


def test_the_count_is_kept_in_the_database(client, csm, limits):
    from axes.models import AccessAttempt

    log_in(client, "casey", "wrong")
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "casey",
        HOME,
        1,
    )


def test_behind_a_proxy_each_client_is_counted_by_the_address_the_proxy_saw(client, csm, limits):
    limits.BEHIND_PROXY = True
    proxy = "172.18.0.5"

    def through_proxy(password, forwarded):
        return client.post(
            "/login/",
            {"username": "casey", "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # The attacker invents the first entries; the proxy appends the address it saw.
    for n in range(3):
        through_proxy("wrong", f"10.9.9.{n}, {HOME}")
    assert through_proxy(RIGHT, HOME).status_code == 429
    assert through_proxy(RIGHT, ELSEWHERE).status_code == 302  # others behind the proxy


def test_a_forwarded_header_is_ignored_when_not_behind_a_proxy(client, csm, limits):
    for n in range(3):
        client.post(
            "/login/",
            {"username": "casey", "password": "wrong"},
            REMOTE_ADDR=HOME,
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}",
        )
    assert log_in(client, "casey", RIGHT, address=HOME).status_code == 429
