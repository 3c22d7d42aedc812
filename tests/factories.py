"""Factories for the models; dates default to a fixed day so tests are deterministic."""

from datetime import UTC, date, datetime
from decimal import Decimal

import factory

from accounts.models import Account, Role, User
from scoring.current_health import current_health_version_bump
from scoring.maths import Bands
from scoring.models import HealthSnapshot, Scorecard
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


def work_callbacks(callbacks: list) -> list:
    """On-commit callbacks less the current-health version's bumps (which every write to the
    book's rows registers, `scoring.current_health.current_health_changed`): the work queued."""
    return [c for c in callbacks if c is not current_health_version_bump]


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


# --- surveys: contacts, surveys and sends (models named as strings: imports stay on top) -----


def _token_hash(token: str) -> str:
    from surveys.sending import token_hash

    return token_hash(token)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "surveys.Contact"

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"person{n}@customer.example")
    role = "Team lead"


class SurveyFactory(factory.django.DjangoModelFactory):
    """An inactive survey (any number may exist); the triggers send the active default ones."""

    class Meta:
        model = "surveys.Survey"

    name = "Periodic NPS"
    survey_type = "nps"
    kind = "periodic"
    question = "How likely are you to recommend {company} to a friend or colleague?"
    active = False


class SurveySendFactory(factory.django.DjangoModelFactory):
    """A send whose personal link carries `token`, sent 30 June 2026 and valid for 14 days."""

    class Meta:
        model = "surveys.SurveySend"
        exclude = ("token",)

    token = factory.Sequence(lambda n: f"factory-token-{n:06d}-abcdefghijklmnopqrstuvwxyz")
    survey = factory.SubFactory(SurveyFactory)
    contact = factory.SubFactory(ContactFactory)
    token_hash = factory.LazyAttribute(lambda o: _token_hash(o.token))
    sent_at = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    expires_at = datetime(2026, 7, 14, 9, 0, tzinfo=UTC)


def stored_snapshot(
    account, score, *, day=DAY, colour=None, coverage=1.0, mrr="1000", **fields
) -> HealthSnapshot:
    """A health snapshot stored as the recompute would, by the default scorecard, its colour
    from the default bands unless given (how snapshots are computed is tested elsewhere)."""
    card = Scorecard.objects.get(is_default=True)
    return HealthSnapshot.objects.create(
        account=account,
        date=day,
        score=score,
        colour=colour or Bands().colour(score).value,
        coverage=coverage,
        mrr=Decimal(mrr),
        scorecard=card,
        scorecard_version=card.version,
        **fields,
    )


def snapshot_parts(scorecard, scores: dict) -> bytes:
    """A snapshot's parts with these component scores (keys of the scorecard's version; a
    State instead of a score for a component without one; any other signal of it has no
    data), as the recompute packs them."""
    from scoring.compact import Packed, is_per_metric, pack, version_signals
    from scoring.explanations import version_configs
    from scoring.maths import State

    version = (scorecard.pk, scorecard.version)
    signals = version_signals(version_configs([version])[version])
    unknown = set(scores) - {key for key, _ in signals}
    assert not unknown, f"not signals of {scorecard}: {unknown}"
    parts = []
    for key, _ in signals:
        value = scores.get(key)
        if isinstance(value, State):
            parts.append(Packed(value, None, None))
        elif value is None:
            parts.append(Packed(State.NO_DATA, None, None))
        else:
            parts.append(Packed(State.SCORED, value, None))
    return pack(parts, [is_per_metric(s) for _, s in signals])
