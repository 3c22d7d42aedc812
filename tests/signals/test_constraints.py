"""The database itself refuses rows that break the domain's rules.

Every refusal is paired with the nearest row that is allowed, so a test cannot pass because
the factory happened to build a row that is bad for some other reason. Check constraints are
also asserted by name: SQLite and PostgreSQL both put the constraint's name in the error.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.factories import (
    AccountFactory,
    EmailMessageFactory,
    InvoiceFactory,
    SentimentEntryFactory,
    SubscriptionLineFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageRecordFactory,
    UserFactory,
)

START = date(2026, 1, 1)
OPENED = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories hash a password for every owner; the default hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def account(db):
    return AccountFactory(owner=UserFactory())


@pytest.fixture
def other_account(account):
    return AccountFactory(owner=account.owner)


def assert_refused(factory, constraint=None, **fields):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        factory(**fields)
    if constraint:
        assert constraint in str(refused.value)


# (factory, the bad fields, the check constraint that must refuse them, the nearest good fields)
CHECKS = [
    pytest.param(
        SurveyResponseFactory,
        {"survey_type": "nps", "score": 11},
        "survey_score_in_range",
        {"survey_type": "nps", "score": 10},
        id="nps-11",
    ),
    pytest.param(
        SurveyResponseFactory,
        {"survey_type": "csat", "score": 0},
        "survey_score_in_range",
        {"survey_type": "csat", "score": 1},
        id="csat-0",
    ),
    pytest.param(
        SurveyResponseFactory,
        {"survey_type": "csat", "score": 6},
        "survey_score_in_range",
        {"survey_type": "csat", "score": 5},
        id="csat-6",
    ),
    pytest.param(
        SurveyResponseFactory,
        {"survey_type": "promoter", "score": 9},
        "survey_score_in_range",
        {"survey_type": "nps", "score": 0},
        id="unknown-survey-type",
    ),
    pytest.param(
        TicketFactory,
        {"csat": 0},
        "ticket_csat_1_to_5",
        {"csat": 1},
        id="ticket-csat-0",
    ),
    pytest.param(
        TicketFactory,
        {"csat": 6},
        "ticket_csat_1_to_5",
        {"csat": 5},
        id="ticket-csat-6",
    ),
    pytest.param(
        SubscriptionLineFactory,
        {"mrr": Decimal("-0.01")},
        "subscription_mrr_not_negative",
        {"mrr": Decimal("0")},
        id="negative-mrr",
    ),
    pytest.param(
        InvoiceFactory,
        {"amount": Decimal("-1")},
        "invoice_amount_not_negative",
        {"amount": Decimal("0")},
        id="negative-invoice-amount",
    ),
    pytest.param(
        UsageRecordFactory,
        {"value": -0.5},
        "usage_value_not_negative",
        {"value": 0.0},
        id="negative-usage-value",
    ),
    pytest.param(
        SubscriptionLineFactory,
        {"start_date": START, "end_date": START},
        "subscription_ends_after_start",
        {"start_date": START, "end_date": START + timedelta(days=1)},
        id="line-ends-on-its-start",
    ),
    pytest.param(
        SubscriptionLineFactory,
        {"start_date": START, "end_date": START - timedelta(days=1)},
        "subscription_ends_after_start",
        {"start_date": START, "end_date": None},
        id="line-ends-before-start",
    ),
    pytest.param(
        InvoiceFactory,
        {"issued_on": date(2026, 6, 1), "due_on": date(2026, 5, 31)},
        "invoice_due_after_issue",
        {"issued_on": date(2026, 6, 1), "due_on": date(2026, 6, 1)},
        id="due-before-issued",
    ),
    pytest.param(
        InvoiceFactory,
        {"issued_on": date(2026, 6, 1), "paid_on": date(2026, 5, 31)},
        "invoice_paid_after_issue",
        {"issued_on": date(2026, 6, 1), "paid_on": date(2026, 6, 1)},
        id="paid-before-issued",
    ),
    pytest.param(
        TicketFactory,
        {"opened_at": OPENED, "resolved_at": OPENED - SECOND},
        "ticket_resolved_after_open",
        {"opened_at": OPENED, "resolved_at": OPENED},
        id="resolved-before-opened",
    ),
    pytest.param(
        TicketFactory,
        {"opened_at": OPENED, "first_response_at": OPENED - SECOND},
        "ticket_response_after_open",
        {"opened_at": OPENED, "first_response_at": OPENED + SECOND},
        id="answered-before-opened",
    ),
    pytest.param(
        EmailMessageFactory,
        {"sent_at": OPENED, "opened_at": OPENED - SECOND},
        "email_opened_after_sent",
        {"sent_at": OPENED, "opened_at": OPENED},
        id="email-opened-before-sent",
    ),
    pytest.param(
        EmailMessageFactory,
        {"sent_at": OPENED, "clicked_at": OPENED - SECOND},
        "email_clicked_after_sent",
        {"sent_at": OPENED, "clicked_at": OPENED + SECOND},
        id="email-clicked-before-sent",
    ),
]


@pytest.mark.parametrize(("factory", "bad", "constraint", "good"), CHECKS)
def test_check_constraint_refuses_bad_row_and_accepts_the_boundary(
    account, factory, bad, constraint, good
):
    assert_refused(factory, constraint, account=account, **bad)
    assert factory._meta.model.objects.count() == 0
    factory(account=account, **good)
    assert factory._meta.model.objects.count() == 1


def test_nps_accepts_the_whole_scale_from_0_to_10(account):
    for score in range(11):
        SurveyResponseFactory(account=account, survey_type="nps", score=score)


# --- natural keys ---------------------------------------------------------------------------


def test_usage_is_unique_per_account_metric_and_date(account, other_account):
    day = date(2026, 6, 30)
    UsageRecordFactory(account=account, metric="logins", date=day, value=3)
    assert_refused(UsageRecordFactory, account=account, metric="logins", date=day, value=4)
    UsageRecordFactory(account=account, metric="reports_created", date=day)
    UsageRecordFactory(account=account, metric="logins", date=day - timedelta(days=1))
    UsageRecordFactory(account=other_account, metric="logins", date=day)


def test_subscription_line_is_unique_per_subscription_id_and_start(account, other_account):
    SubscriptionLineFactory(account=account, subscription_id="sub_1", start_date=START)
    assert_refused(
        SubscriptionLineFactory,
        account=account,
        subscription_id="sub_1",
        start_date=START,
        mrr=Decimal("5"),
    )
    # The subscription id is the billing system's, so it is unique across accounts too.
    assert_refused(
        SubscriptionLineFactory, account=other_account, subscription_id="sub_1", start_date=START
    )
    # A price change or renewal is a new line of the same subscription.
    SubscriptionLineFactory(
        account=account, subscription_id="sub_1", start_date=START + timedelta(days=30)
    )


@pytest.mark.parametrize(
    ("factory", "key"),
    [
        pytest.param(InvoiceFactory, "invoice_number", id="invoice_number"),
        pytest.param(TicketFactory, "ticket_id", id="ticket_id"),
        pytest.param(EmailMessageFactory, "message_id", id="message_id"),
    ],
)
def test_external_key_is_unique_across_accounts(account, other_account, factory, key):
    factory(account=account, **{key: "K-1"})
    assert_refused(factory, account=account, **{key: "K-1"})
    assert_refused(factory, account=other_account, **{key: "K-1"})
    factory(account=account, **{key: "K-2"})


def test_sentiment_is_one_entry_per_account_and_day(account, other_account):
    day = date(2026, 6, 25)
    SentimentEntryFactory(account=account, recorded_on=day, sentiment="green")
    assert_refused(SentimentEntryFactory, account=account, recorded_on=day, sentiment="red")
    SentimentEntryFactory(account=account, recorded_on=day + timedelta(days=1))
    SentimentEntryFactory(account=other_account, recorded_on=day)


def test_survey_response_is_unique_per_account_respondent_day_and_type(account, other_account):
    key = {"respondent": "pat@customer.example", "responded_on": date(2026, 6, 15)}
    SurveyResponseFactory(account=account, survey_type="nps", score=9, **key)
    assert_refused(SurveyResponseFactory, account=account, survey_type="nps", score=3, **key)
    SurveyResponseFactory(account=account, survey_type="csat", score=4, **key)
    SurveyResponseFactory(account=other_account, survey_type="nps", score=9, **key)
    SurveyResponseFactory(
        account=account,
        survey_type="nps",
        score=9,
        respondent=key["respondent"],
        responded_on=date(2026, 6, 16),
    )
