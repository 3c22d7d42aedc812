"""The public answer page: no login, only the question and the company's name, one answer per
link, a friendly page for unknown, used and expired links, and a CSRF-protected form."""

import secrets
from datetime import date, timedelta

import pytest
from django.test import Client

from surveys.answering import LinkClosed, answer_record
from surveys.models import ExitReason, SendState, SurveyResponse, SurveySend
from tests.factories import AccountFactory, ContactFactory, SurveyFactory, SurveySendFactory
from tests.surveys.conftest import NOW

TOKEN = "k3Y-personal-token-for-dana-0123456789abcdef"


@pytest.fixture(autouse=True)
def _company(settings, clock):
    settings.HEALTHSCORE_COMPANY_NAME = "Acme Analytics"


@pytest.fixture
def send(db):
    """Dana at Globex Corp holds the link of a periodic NPS survey, sent this morning."""
    account = AccountFactory(name="Globex Corp", external_id="CRM-GLOBEX")
    dana = ContactFactory(account=account, name="Dana Reyes", email="dana@globex.example")
    return SurveySendFactory(token=TOKEN, contact=dana)


def url(token=TOKEN) -> str:
    return f"/s/{token}/"


def answer(client, score, comment="", token=TOKEN, **extra):
    return client.post(url(token), {"score": score, "comment": comment, **extra})


def recorded() -> list[tuple]:
    return list(
        SurveyResponse.objects.order_by("pk").values_list(
            "account__name", "survey_type", "respondent", "responded_on", "score", "comment"
        )
    )


# --- the page -------------------------------------------------------------------------------


def test_anyone_with_the_link_sees_the_question_and_the_company_name_without_logging_in(
    client, send
):
    response = client.get(url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "How likely are you to recommend Acme Analytics to a friend or colleague?" in html
    assert html.count('type="radio" name="score"') == 11
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_the_page_shows_no_account_or_contact_data(client, send):
    html = client.get(url()).content.decode()
    for secret in ("Globex", "CRM-GLOBEX", "Dana", "dana@globex.example", "Healthscore"):
        assert secret not in html


def test_a_csat_survey_offers_the_scale_from_1_to_5(client, db):
    csat = SurveyFactory(survey_type="csat", kind="post_ticket", question="Was {company} helpful?")
    SurveySendFactory(token=TOKEN, survey=csat)

    html = client.get(url()).content.decode()

    assert "Was Acme Analytics helpful?" in html
    assert [f'value="{n}"' in html for n in range(0, 7)] == [False] + [True] * 5 + [False]


# --- answering ------------------------------------------------------------------------------


def test_an_answer_is_recorded_as_the_contacts_response_and_thanked(client, send):
    response = answer(client, 9, "Reports are great.")

    assert response.status_code == 302
    assert response["Location"] == "/s/thanks/?lang=en"  # the contact's language
    assert recorded() == [
        ("Globex Corp", "nps", "dana@globex.example", date(2026, 6, 30), 9, "Reports are great.")
    ]
    send.refresh_from_db()
    assert send.answered_at == NOW
    assert send.response == SurveyResponse.objects.get()

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you!" in thanks.content.decode()


def test_an_exit_survey_asks_why_and_for_which_product_and_records_both(client, db):
    exit_survey = SurveyFactory(survey_type="csat", kind="exit", question="How was {company}?")
    send = SurveySendFactory(token=TOKEN, survey=exit_survey)
    html = client.get(url()).content.decode()
    assert 'name="exit_reason"' in html and 'name="competitor"' in html
    assert "Too expensive" in html

    answer(client, 2, "Dashboards were slow.", exit_reason="price", competitor="Initech BI")

    send.refresh_from_db()
    assert (send.exit_reason, send.competitor) == (ExitReason.PRICE, "Initech BI")
    assert SurveyResponse.objects.get().comment == "Dashboards were slow."


def test_other_surveys_do_not_ask_why_the_customer_is_leaving(client, send):
    html = client.get(url()).content.decode()
    assert 'name="exit_reason"' not in html and 'name="competitor"' not in html


def test_a_comment_is_stored_exactly_as_typed_html_and_all(client, send):
    typed = '<script>alert("hi")</script> <b>bold</b> & more'
    answer(client, 7, typed)
    assert SurveyResponse.objects.get().comment == typed


def test_an_answer_on_the_day_of_an_imported_one_updates_it_instead_of_adding_one(client, send):
    SurveyResponse.objects.create(
        account=send.contact.account,
        respondent="dana@globex.example",
        responded_on=date(2026, 6, 30),
        score=4,
    )
    answer(client, 8)
    assert [r[4] for r in recorded()] == [8]


@pytest.mark.parametrize(
    "data",
    [
        {"score": "11"},
        {"score": "-1"},
        {"score": "nine"},
        {"score": ""},
        {},
        {"score": "9", "comment": "x" * 5001},
        {"score": "9", "comment": "null \x00 byte"},
    ],
    ids=["11", "-1", "words", "blank", "missing", "long-comment", "nul-in-comment"],
)
def test_an_invalid_answer_is_shown_again_and_nothing_is_written(client, send, data):
    response = client.post(url(), data)

    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert recorded() == []
    send.refresh_from_db()
    assert send.answered_at is None


@pytest.mark.parametrize("score", ["0", "6"])
def test_a_csat_score_outside_1_to_5_is_refused(client, db, score):
    SurveySendFactory(token=TOKEN, survey=SurveyFactory(survey_type="csat", kind="post_ticket"))
    assert answer(client, score).status_code == 400
    assert recorded() == []


def test_the_form_is_refused_without_its_csrf_token(send):
    response = Client(enforce_csrf_checks=True).post(url(), {"score": 9})
    assert response.status_code == 403
    assert recorded() == []


def test_the_form_with_its_csrf_token_is_accepted(send):
    browser = Client(enforce_csrf_checks=True)
    browser.get(url())
    token = browser.cookies["csrftoken"].value
    response = browser.post(url(), {"score": 9, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert len(recorded()) == 1


# --- used, expired and unknown links --------------------------------------------------------


def test_a_second_answer_with_the_same_link_is_refused_and_changes_nothing(client, send):
    answer(client, 9, "First thoughts.")
    first = recorded()
    send.refresh_from_db()
    answered_at = send.answered_at

    response = answer(client, 0, "Changed my mind.")

    assert response.status_code == 410
    assert "You have already answered" in response.content.decode()
    assert recorded() == first
    send.refresh_from_db()
    assert send.answered_at == answered_at


def test_two_answers_racing_with_one_link_record_only_the_first(send):
    # Both requests loaded the open send before either answered.
    second_request = SurveySend.objects.get(pk=send.pk)
    answer_record(send=send, score=9, comment="first", now=NOW)

    with pytest.raises(LinkClosed) as refused:
        answer_record(send=second_request, score=0, comment="second", now=NOW)

    assert refused.value.state == SendState.ANSWERED
    assert [(r[4], r[5]) for r in recorded()] == [(9, "first")]


def test_an_answer_submitted_after_the_link_expired_is_refused(send):
    with pytest.raises(LinkClosed) as refused:
        answer_record(send=send, score=9, now=send.expires_at)
    assert refused.value.state == SendState.EXPIRED
    assert recorded() == []


def test_opening_an_answered_link_says_it_was_used(client, send):
    answer(client, 9)
    response = client.get(url())
    assert response.status_code == 410
    assert "You have already answered" in response.content.decode()
    assert 'name="score"' not in response.content.decode()


def test_an_expired_link_shows_a_friendly_page_and_takes_no_answer(client, send, clock):
    clock.move_to(send.expires_at)

    page = client.get(url())
    posted = answer(client, 9)

    for response in (page, posted):
        assert response.status_code == 410
        assert "This survey has closed" in response.content.decode()
    assert recorded() == []
    assert SurveySend.objects.get().answered_at is None


def test_a_link_works_until_the_moment_it_expires(client, send, clock):
    clock.move_to(send.expires_at - timedelta(seconds=1))
    assert answer(client, 9).status_code == 302


@pytest.mark.parametrize(
    "guess",
    [
        "random-1",
        "random-2",
        "random-3",
        TOKEN[:-1],
        TOKEN.upper(),
        "x",
        "a" * 500,
        "%00",
        "%C3%BC%E2%9C%93",
        "%3Cscript%3Ealert(1)",
    ],
)
def test_a_guessed_token_gets_the_same_friendly_404_and_learns_nothing(client, send, guess):
    if guess.startswith("random"):
        guess = secrets.token_urlsafe(32)
    reference = client.get(url(secrets.token_urlsafe(32)))

    for response in (client.get(url(guess)), client.post(url(guess), {"score": 9})):
        assert response.status_code == 404
        html = response.content.decode()
        assert "This link is not valid" in html
        # Every unknown token gets the very same page: nothing in it depends on the guess.
        assert html == reference.content.decode()
        assert "Globex" not in html and "Dana" not in html
    assert recorded() == []


def test_deleting_a_contact_retires_their_links(client, send):
    send.contact.delete()
    assert client.get(url()).status_code == 404
