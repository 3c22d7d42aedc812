"""Survey e-mails and the public survey page speak the contact's language: the contact's own,
else their account's, else the install's; never the browser's of whoever opens the link."""

from datetime import date

import pytest
from django.core import mail
from django.test import Client

from surveys.sending import survey_send
from tests.factories import AccountFactory, ContactFactory, SurveySendFactory
from tests.surveys.conftest import NOW

pytestmark = pytest.mark.django_db
TOKEN = "k3Y-personal-token-for-ivan-0123456789abcdef"


@pytest.fixture(autouse=True)
def _company(settings):
    settings.HEALTHSCORE_COMPANY_NAME = "Acme"


@pytest.mark.parametrize(
    ("contact", "account", "install", "expected"),
    [
        ("ru", "fr", "en", "ru"),
        ("", "lv", "en", "lv"),
        ("", "", "bg", "bg"),
    ],
)
def test_a_contacts_language_is_theirs_else_their_accounts_else_the_installs(
    settings, contact, account, install, expected
):
    settings.LANGUAGE_CODE = install
    person = ContactFactory(language=contact, account=AccountFactory(language=account))

    assert person.effective_language == expected


def test_the_invitation_is_written_in_the_contacts_language(default_surveys):
    ivan = ContactFactory(name="Иван", language="ru", account=AccountFactory(language="fr"))

    survey_send(survey=default_surveys["periodic"], contacts=[ivan], now=NOW)

    [message] = mail.outbox
    assert message.subject == "Acme: короткий вопрос для вас"
    assert message.body.startswith("Здравствуйте, Иван!")
    # The default question, the date and the sign-off are Russian too.
    assert "Насколько вероятно, что вы порекомендуете Acme другу или коллеге?" in message.body
    assert "14 июля 2026 г." in message.body


def test_a_question_an_admin_rewrote_is_sent_as_written(default_surveys):
    survey = default_surveys["periodic"]
    survey.question = "Would you buy {company} again?"
    survey.save()
    ivan = ContactFactory(language="ru")

    survey_send(survey=survey, contacts=[ivan], now=NOW)

    assert "Would you buy Acme again?" in mail.outbox[0].body


def test_the_survey_page_and_its_thanks_are_in_the_contacts_language_whatever_the_browser():
    ivan = ContactFactory(language="ru")
    SurveySendFactory(token=TOKEN, contact=ivan, expires_at=NOW.replace(year=2199))
    browser = Client()

    page = browser.get(f"/s/{TOKEN}/", HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert page.headers["Content-Language"] == "ru"
    assert '<html lang="ru">' in html
    assert "Отправить ответ" in html and "Send my answer" not in html

    answered = browser.post(f"/s/{TOKEN}/", {"score": 9}, HTTP_ACCEPT_LANGUAGE="fr")
    assert answered.url == "/s/thanks/?lang=ru"
    thanks = browser.get(answered.url, HTTP_ACCEPT_LANGUAGE="fr")
    assert thanks.headers["Content-Language"] == "ru"
    assert "Спасибо!" in thanks.content.decode()


def test_a_used_link_says_so_in_the_contacts_language():
    ivan = ContactFactory(language="ru")
    SurveySendFactory(token=TOKEN, contact=ivan, answered_at=NOW)

    page = Client().get(f"/s/{TOKEN}/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 410
    assert "Вы уже ответили" in page.content.decode()


def test_the_thanks_page_refuses_a_language_it_does_not_have():
    page = Client().get("/s/thanks/?lang=xx", HTTP_ACCEPT_LANGUAGE="lv")

    assert page.headers["Content-Language"] == "lv"
    assert date.today()  # the page rendered
