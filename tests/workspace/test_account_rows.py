"""The account page's lists written in Python (workspace/templatetags/account_rows.py) are
what their template loops wrote, byte for byte: the loops as they were are kept here."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from signals.models import Goal, Referral
from surveys.models import Tag
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InvoiceFactory,
    SentimentEntryFactory,
    SubscriptionLineFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageRecordFactory,
)
from tests.workspace.test_book import TODAY, today  # noqa: F401 - autouse: 30 June 2026
from workspace.account_page import account_overview
from workspace.contacts import contacts_with_latest_answer
from workspace.goals import goals_panel
from workspace.models import CheckIn

# The loops as the templates had them, each after a line "=== the tag that writes it now".
LOOPS = dict(
    part.split("\n", 1)
    for part in (Path(__file__).parent / "account_loops.txt").read_text()[4:-1].split("\n=== ")
)

LONG = "Wants SSO <soon> & " + "x" * 250

COMPONENTS = [
    {
        "key": "usage",
        "label": "Usage <per seat>",
        "raw": None,
        "score": 61.25,
        "weight": 2.5,
        "share": 0.41666,
        "contribution": 25.52,
        "critical": True,
        "unit": "a day & more",
        "state": "measured",
        "metrics": [["logins", 12.345, 70.0], ["reports <x>", 0.5, 52.5]],
    },
    {
        "key": "nps",
        "label": "NPS",
        "raw": -12.5,
        "score": None,
        "weight": 1,
        "share": 0.0,
        "contribution": 0,
        "critical": False,
        "unit": "points",
        "state": "no_data",
        "metrics": [],
    },
    {"key": "new", "label": "Tickets", "raw": None, "score": None, "weight": 1, "share": None}
    | {"contribution": None, "critical": False, "unit": "", "state": "new", "metrics": []},
    {"key": "x", "label": "Email", "raw": None, "score": 100, "weight": 0.5, "share": 1}
    | {"contribution": 8.33, "critical": False, "unit": "", "state": "no_data", "metrics": []},
]


@pytest.fixture
def rich(csm, default_scorecard):
    """An account with every branch of every list: escapes, empties, trials, overdue, …"""
    account = AccountFactory(owner=csm, name="Acme <&> Corp")
    billing, odd = Tag.objects.create(name="Billing"), Tag.objects.create(name="<odd> & tag")
    UsageRecordFactory(account=account, metric="logins <x>", value=12345.678, date=TODAY)
    UsageRecordFactory(account=account, metric="seats", value=0, date=TODAY)
    SubscriptionLineFactory(account=account, product="Core & <more>", mrr=Decimal("12345.67"))
    SubscriptionLineFactory(
        account=account, is_trial=True, start_date=date(2026, 5, 1), end_date=date(2026, 7, 1)
    )
    InvoiceFactory(account=account, paid_on=date(2026, 6, 29), amount=Decimal("1234567.5"))
    InvoiceFactory(account=account, due_on=date(2026, 6, 29))
    InvoiceFactory(account=account, due_on=date(2026, 7, 29))
    TicketFactory(account=account, subject="Broken <b>", csat=4).tags.add(billing, odd)
    TicketFactory(
        account=account,
        subject="",
        priority="high",
        opened_at=datetime(2026, 6, 29, 23, 30, tzinfo=UTC),
        resolved_at=datetime(2026, 6, 30, 1, 0, tzinfo=UTC),
    )
    SurveyResponseFactory(account=account, comment=LONG).tags.add(odd)
    SurveyResponseFactory(account=account, survey_type="csat", score=2, comment="")
    SentimentEntryFactory(account=account, author=csm, note="Fine & <good>")
    SentimentEntryFactory(account=account, recorded_on=date(2026, 6, 20), sentiment="red")
    note = "Line one <i>\r\nline two & three\nend"
    CheckIn.objects.create(account=account, author=csm, date=TODAY, note=note).tags.add(billing)
    CheckIn.objects.create(account=account, date=date(2026, 6, 1), channel="email", note="")
    for kpi, reached, status, due in (
        ('Seats <"live">', None, "at_risk", date(2026, 6, 29)),
        ("NPS", Decimal("12.50"), "on_track", date(2026, 12, 31)),
        ("Renewal", Decimal("1234.25"), "met", date(2026, 1, 31)),
    ):
        Goal.objects.create(
            account=account,
            kpi=kpi,
            target=Decimal("1234.5"),
            reached=reached,
            set_on=date(2026, 1, 1),
            due_on=due,
            status=status,
        )
    Referral.objects.create(account=account, referred_company="Beta <&>", referred_on=TODAY)
    ContactFactory(account=account, name="Ann <&>", email="ANN@x.example", is_primary=True)
    SurveyResponseFactory(account=account, respondent="ann@x.example", survey_type="csat", score=4)
    ContactFactory(account=account, name="Bo", role="", active=False)
    ContactFactory(account=account, name="Cy", email="cy@x.example")
    SurveyResponseFactory(account=account, respondent="cy@x.example", score=10)
    return account, odd


def contexts(account, tag):
    overview = account_overview(account, today=TODAY)
    o = SimpleNamespace(**vars(overview), components=COMPONENTS)
    contacts = contacts_with_latest_answer(account)
    for tag_param in ("", str(tag.pk), "999"):
        g = goals_panel(account, tag_param=tag_param, today=TODAY)
        yield {"o": o, "g": g, "today": TODAY, "account": account, "csrf_token": "t" * 64} | {
            "contacts": contacts
        }
    empty = SimpleNamespace(
        **{name: [] for name in vars(overview)} | {"components": []}, today=TODAY
    )
    g = SimpleNamespace(goals=[], referrals=[], feedback=[], tag=None, today=TODAY)
    nothing = {"o": empty, "g": g, "today": TODAY, "account": account, "contacts": []}
    yield nothing
    yield nothing | {"g": SimpleNamespace(**vars(g) | {"tag": tag})}


@pytest.mark.parametrize("language", ["en", "ru", "fr", "lv", "bg"])
def test_the_lists_written_in_python_are_what_the_template_loops_wrote(rich, language):
    account, tag = rich
    with translation.override(language):
        for context in contexts(account, tag):
            for call, loop in LOOPS.items():
                was = Template("{% load i18n humanize health %}" + loop).render(Context(context))
                now = Template("{% load account_rows %}{% " + call + " %}").render(Context(context))
                assert now == was, call
