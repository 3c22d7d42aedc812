"""Factories for the models; dates default to a fixed day so tests are deterministic."""

from datetime import UTC, date, datetime
from decimal import Decimal

import factory

from accounts.models import Account, Role, User
from signals.models import (
    EmailMessage,
    Invoice,
    SentimentEntry,
    SubscriptionLine,
    Ticket,
    UsageRecord,
)
from surveys.models import SurveyResponse

DAY = date(2026, 6, 30)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.CSM
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"ACC-{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    owner = factory.SubFactory(UserFactory)
    licensed_seats = 50


class SubscriptionLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubscriptionLine

    account = factory.SubFactory(AccountFactory)
    subscription_id = factory.Sequence(lambda n: f"sub_{n}")
    product = "Core"
    mrr = Decimal("1000.00")
    start_date = date(2026, 1, 1)
    end_date = None


class UsageRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageRecord

    account = factory.SubFactory(AccountFactory)
    date = DAY
    metric = "logins"
    value = 10.0


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    account = factory.SubFactory(AccountFactory)
    invoice_number = factory.Sequence(lambda n: f"INV-{n}")
    issued_on = date(2026, 6, 1)
    due_on = date(2026, 6, 30)
    paid_on = None
    amount = Decimal("1000.00")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    account = factory.SubFactory(AccountFactory)
    ticket_id = factory.Sequence(lambda n: f"T-{n}")
    priority = "normal"
    opened_at = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)


class EmailMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailMessage

    account = factory.SubFactory(AccountFactory)
    message_id = factory.Sequence(lambda n: f"msg-{n}")
    sent_at = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    account = factory.SubFactory(AccountFactory)
    survey_type = "nps"
    respondent = factory.Sequence(lambda n: f"contact{n}@customer.example")
    responded_on = date(2026, 6, 15)
    score = 8


class SentimentEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SentimentEntry

    account = factory.SubFactory(AccountFactory)
    recorded_on = date(2026, 6, 25)
    sentiment = "green"
