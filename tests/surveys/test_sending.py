"""Sending a survey: the e-mail and its personal link, the token (random, stored hashed), the
link's lifetime, and the quiet period that keeps a contact from being asked twice."""

import base64
import hashlib
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core.mail import EmailMessage

from surveys.models import Contact, SurveySend
from surveys.sending import survey_send
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.conftest import NOW, tokens_in


@pytest.fixture(autouse=True)
def _site(settings):
    settings.HEALTHSCORE_BASE_URL = "https://health.example.com"
    settings.HEALTHSCORE_COMPANY_NAME = "Acme Analytics"
    settings.HEALTHSCORE_SURVEY_QUIET_DAYS = 30
    settings.HEALTHSCORE_SURVEY_LINK_DAYS = 14


@pytest.fixture
def dana(db):
    return ContactFactory(name="Dana Reyes", email="dana@globex.example")


def test_the_email_greets_the_contact_asks_the_question_and_carries_the_personal_link(
    dana, default_surveys, mailoutbox
):
    [sent] = survey_send(survey=default_surveys["periodic"], contacts=[dana], now=NOW)

    [message] = mailoutbox
    assert message.to == ["dana@globex.example"]
    assert message.subject == "Acme Analytics: a quick question for you"
    assert message.body.startswith("Hi Dana Reyes,")
    assert "How likely are you to recommend Acme Analytics to a friend or colleague?" in (
        message.body
    )
    assert f"https://health.example.com/s/{sent.token}/" in message.body
    assert "valid until 14 July 2026" in message.body
    assert tokens_in(mailoutbox) == [sent.token]


def test_the_token_has_256_random_bits_and_only_its_hash_is_stored(default_surveys, mailoutbox):
    contacts = ContactFactory.create_batch(3)
    sent = survey_send(survey=default_surveys["periodic"], contacts=contacts, now=NOW)

    tokens = [s.token for s in sent]
    assert len(set(tokens)) == 3
    for token in tokens:
        assert len(base64.urlsafe_b64decode(token + "=")) == 32
        stored = SurveySend.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())
        # The raw token is in no column of the row.
        assert all(token not in str(value) for value in vars(stored).values())


def test_the_link_expires_after_the_configured_number_of_days(
    dana, default_surveys, settings, mailoutbox
):
    settings.HEALTHSCORE_SURVEY_LINK_DAYS = 3
    [sent] = survey_send(survey=default_surveys["periodic"], contacts=[dana], now=NOW)
    assert sent.send.sent_at == NOW
    assert sent.send.expires_at == NOW + timedelta(days=3)


@pytest.mark.parametrize(("days_later", "sent"), [(1, 0), (29, 0), (30, 1), (45, 1)])
def test_no_second_survey_of_any_kind_within_the_quiet_period(
    dana, default_surveys, mailoutbox, days_later, sent
):
    survey_send(survey=default_surveys["periodic"], contacts=[dana], now=NOW)
    later = NOW + timedelta(days=days_later)

    again = survey_send(survey=default_surveys["exit"], contacts=[dana], now=later)

    assert len(again) == sent
    assert len(mailoutbox) == 1 + sent
    assert SurveySend.objects.filter(contact=dana).count() == 1 + sent


def test_the_quiet_period_is_per_contact(dana, default_surveys, mailoutbox):
    colleague = ContactFactory(account=dana.account, email="lee@globex.example")
    survey_send(survey=default_surveys["periodic"], contacts=[dana], now=NOW)

    sent = survey_send(survey=default_surveys["post_ticket"], contacts=[dana, colleague], now=NOW)

    assert [s.send.contact for s in sent] == [colleague]


def test_the_quiet_period_is_a_setting(dana, default_surveys, settings, mailoutbox):
    settings.HEALTHSCORE_SURVEY_QUIET_DAYS = 5
    survey_send(survey=default_surveys["periodic"], contacts=[dana], now=NOW)
    assert (
        survey_send(survey=default_surveys["exit"], contacts=[dana], now=NOW + timedelta(days=4))
        == []
    )
    assert (
        len(
            survey_send(
                survey=default_surveys["exit"], contacts=[dana], now=NOW + timedelta(days=5)
            )
        )
        == 1
    )


def test_an_inactive_contact_gets_no_survey(default_surveys, mailoutbox):
    gone = ContactFactory(active=False)
    assert survey_send(survey=default_surveys["periodic"], contacts=[gone], now=NOW) == []
    assert mailoutbox == []


def test_a_mail_error_records_nothing_and_the_next_run_sends(
    dana, default_surveys, mailoutbox, monkeypatch
):
    def refuse(self, fail_silently=False):
        raise SMTPServerDisconnected("mail server went away")

    with monkeypatch.context() as patched:
        patched.setattr(EmailMessage, "send", refuse)
        with pytest.raises(SMTPServerDisconnected):
            survey_send(survey=default_surveys["periodic"], contacts=[dana], now=NOW)

    assert SurveySend.objects.count() == 0
    assert Contact.objects.get(pk=dana.pk).last_surveyed_at is None

    assert len(survey_send(survey=default_surveys["periodic"], contacts=[dana], now=NOW)) == 1
    assert len(mailoutbox) == 1


def test_contact_emails_are_unique_per_account_whatever_their_case(dana):
    from django.db import IntegrityError, transaction

    ContactFactory(email="dana@globex.example")  # another account may know her too
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(account=dana.account, email="Dana@Globex.example")


def test_an_account_has_at_most_one_primary_contact(db):
    from django.db import IntegrityError, transaction

    account = AccountFactory()
    ContactFactory(account=account, is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(account=account, is_primary=True)
