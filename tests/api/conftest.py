"""A small two-CSM book, and API clients for every kind of caller."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from accounts.tokens import TokenKind, token_issue
from scoring.current_health import current_scores_refresh
from scoring.models import HealthSnapshot, Scorecard
from signals.models import Goal, Referral
from surveys.models import Contact
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
from workspace.models import Task

DAY = date(2026, 6, 30)


def client_with_token(key: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def personal_token(user) -> str:
    return token_issue(name=f"{user.username}'s script", kind=TokenKind.PERSONAL, user=user)[1]


def ingest_token() -> str:
    return token_issue(name="billing sync", kind=TokenKind.INGEST)[1]


def fill_account(account, n: int) -> dict:
    """One row of every kind for `account`; returns them by endpoint name."""
    scorecard = Scorecard.objects.get(is_default=True)
    return {
        "accounts": account,
        "subscriptions": SubscriptionLineFactory(account=account),
        "usage": UsageRecordFactory(account=account),
        "invoices": InvoiceFactory(account=account),
        "tickets": TicketFactory(account=account),
        "emails": EmailMessageFactory(account=account),
        "nps": SurveyResponseFactory(account=account, score=9),
        "contacts": Contact.objects.create(
            account=account, name="Pat", email=f"pat@{account.external_id.lower()}.example"
        ),
        "survey-answers": SurveyResponseFactory(account=account, survey_type="csat", score=4),
        "sentiment": SentimentEntryFactory(account=account),
        "health": HealthSnapshot.objects.create(
            account=account,
            date=DAY,
            score=55.0 + n,
            colour="yellow",
            coverage=1.0,
            scorecard=scorecard,
            scorecard_version=scorecard.version,
        ),
        "tasks": Task.objects.create(
            account=account, reason="turned_red", assignee=account.owner, opened_on=DAY, due_on=DAY
        ),
        "goals": Goal.objects.create(account=account, kpi="Seats", target=100, due_on=DAY),
        "referrals": Referral.objects.create(
            account=account, referred_company="Hooli", referred_on=DAY
        ),
    }


@pytest.fixture
def book(db):
    """Casey (a CSM) owns ACC-OWN; Robin (another CSM) owns ACC-OTHER."""
    casey = UserFactory(username="casey", role="csm")
    robin = UserFactory(username="robin", role="csm")
    own = AccountFactory(external_id="ACC-OWN", name="Own Co", owner=casey)
    other = AccountFactory(external_id="ACC-OTHER", name="Other Co", owner=robin)
    rows = {
        "casey": casey,
        "robin": robin,
        "own": own,
        "other": other,
        "own_rows": fill_account(own, 1),
        "other_rows": fill_account(other, 2),
    }
    current_scores_refresh()  # as the recompute that writes snapshots does
    return rows


@pytest.fixture
def callers(book):
    """Endpoint callers by name: anonymous, the CSM, a manager, an admin, an ingest token."""
    manager = UserFactory(username="morgan", role="manager")
    admin = UserFactory(username="ada", role="admin")
    return {
        "anonymous": APIClient(),
        "csm": client_with_token(personal_token(book["casey"])),
        "manager": client_with_token(personal_token(manager), "Bearer"),
        "admin": client_with_token(personal_token(admin)),
        "ingest": client_with_token(ingest_token(), "Bearer"),
    }


@pytest.fixture
def manager_client(db):
    return client_with_token(personal_token(UserFactory(username="morgan", role="manager")))
