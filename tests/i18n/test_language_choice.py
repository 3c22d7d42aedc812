"""Which language a page is in: the user's profile, else the switcher's cookie, else the
browser's Accept-Language; the header switcher saves the choice on the profile."""

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def page_language(response) -> str:
    return response.headers["Content-Language"]


def test_a_visitor_reads_the_login_page_in_the_browsers_language():
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="lv,en;q=0.5")

    assert page_language(response) == "lv"
    assert '<html lang="lv">' in response.content.decode()


def test_a_browser_language_healthscore_lacks_falls_back_to_the_install_default():
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")

    assert page_language(response) == settings.LANGUAGE_CODE == "en"


def test_the_users_own_language_wins_over_the_browsers(client):
    user = UserFactory(language="fr")
    client.force_login(user)

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ru", follow=True)

    assert page_language(response) == "fr"
    # Django's own catalogue is active too: the French word for the form's "Search".
    assert '<html lang="fr">' in response.content.decode()


def test_a_user_without_a_language_gets_the_browsers(client):
    client.force_login(UserFactory(language=""))

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="bg", follow=True)

    assert page_language(response) == "bg"


def test_the_header_switcher_saves_the_choice_on_the_profile_and_returns_to_the_page(client):
    user = UserFactory(language="")
    client.force_login(user)

    response = client.post("/language/", {"language": "ru", "next": "/tasks/"})

    assert response.status_code == 302 and response.url == "/tasks/"
    assert User.objects.get(pk=user.pk).language == "ru"
    # And it follows the user to another browser, which sends no cookie and another language.
    other = Client()
    other.force_login(user)
    assert page_language(other.get("/", HTTP_ACCEPT_LANGUAGE="en", follow=True)) == "ru"


def test_choosing_the_browsers_language_clears_the_profile_and_the_cookie(client):
    user = UserFactory(language="ru")
    client.force_login(user)

    response = client.post("/language/", {"language": "", "next": "/"})

    assert User.objects.get(pk=user.pk).language == ""
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""
    assert page_language(client.get("/", HTTP_ACCEPT_LANGUAGE="lv", follow=True)) == "lv"


def test_an_unknown_language_changes_nothing(client):
    user = UserFactory(language="fr")
    client.force_login(user)

    client.post("/language/", {"language": "xx", "next": "/"})

    assert User.objects.get(pk=user.pk).language == "fr"


def test_a_visitor_switches_the_login_page_with_the_cookie_alone():
    visitor = Client()

    response = visitor.post("/language/", {"language": "bg", "next": "/login/"})

    assert response.status_code == 302
    assert page_language(visitor.get("/login/", HTTP_ACCEPT_LANGUAGE="en")) == "bg"


def test_the_switcher_is_in_the_header_of_every_page_with_the_current_choice_selected(client):
    client.force_login(UserFactory(language="lv"))

    html = client.get("/", follow=True).content.decode()

    assert 'id="language-switch"' in html
    assert '<option value="lv" lang="lv" selected>Latviešu</option>' in html
    assert '<option value="" >' not in html  # the browser's-language option is not selected
