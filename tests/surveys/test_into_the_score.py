"""Answers flow into the product: the account is rescored (NPS and CSAT components), a
detractor opens a check-in task, the answer shows (escaped) on the account page, and NPS
answers can still be imported by CSV."""

from datetime import date

import pytest

from scoring.explanations import explained
from scoring.models import HealthSnapshot, SignalDefinition
from scoring.recompute import health_recompute
from signals.importing import csv_import
from surveys.models import SurveyResponse
from tests.factories import ContactFactory, SurveyFactory, SurveySendFactory, UserFactory
from tests.scoring.test_recompute import healthy_account
from workspace.models import Task

TODAY = date(2026, 6, 30)
TOKEN = "personal-token-for-the-score-tests-0123456789"


@pytest.fixture(autouse=True)
def _clock(clock):
    pass


@pytest.fixture
def account(db, default_scorecard):
    """An account scored today: one earlier NPS answer of 10 (from another contact)."""
    account = healthy_account(usage=100)
    account.name = "Globex Corp"
    account.save()
    healthy_account(usage=10)  # someone to rank usage against
    health_recompute(as_of=TODAY)
    return account


@pytest.fixture
def link(account):
    """Dana's personal link to the periodic NPS survey."""
    dana = ContactFactory(account=account, name="Dana Reyes", email="dana@globex.example")
    return SurveySendFactory(token=TOKEN, contact=dana)


def component(account, key: str) -> dict:
    snapshot = HealthSnapshot.objects.get(account=account, date=TODAY)
    return next(c for c in explained(snapshot).components if c["key"] == key)


def answer(client, score, comment=""):
    response = client.post(f"/s/{TOKEN}/", {"score": score, "comment": comment})
    assert response.status_code == 302, response.content.decode()
    return response


def test_an_answer_changes_the_nps_component_on_the_next_recompute(client, account, link):
    assert component(account, "nps")["raw"] == 10

    answer(client, 0)  # on-commit work does not run here: the nightly recompute picks it up
    assert component(account, "nps")["raw"] == 10
    health_recompute(as_of=TODAY)

    # Each contact's latest answer counts: (10 + 0) / 2.
    assert component(account, "nps")["raw"] == 5
    assert component(account, "nps")["score"] < 100


def test_an_answer_rescores_its_account_as_soon_as_it_is_committed(
    client, account, link, django_capture_on_commit_callbacks
):
    before = HealthSnapshot.objects.get(account=account, date=TODAY).score

    with django_capture_on_commit_callbacks(execute=True):
        answer(client, 0)

    assert component(account, "nps")["raw"] == 5
    assert HealthSnapshot.objects.get(account=account, date=TODAY).score < before


def test_a_csat_answer_feeds_the_csat_component(
    client, account, default_scorecard, django_capture_on_commit_callbacks
):
    # The default scorecard has no CSAT signal; a team that surveys CSAT adds one.
    SignalDefinition.objects.create(
        scorecard=default_scorecard,
        key="csat",
        label="CSAT",
        source="csat",
        method="threshold",
        poor=1,
        good=5,
        window_days=90,
        weight=10,
    )
    health_recompute(as_of=TODAY)
    csat = SurveyFactory(survey_type="csat", kind="post_ticket")
    SurveySendFactory(token=TOKEN, survey=csat, contact=ContactFactory(account=account))
    assert component(account, "csat")["raw"] is None

    with django_capture_on_commit_callbacks(execute=True):
        answer(client, 2)

    assert component(account, "csat")["raw"] == 2


def test_a_detractor_answer_opens_a_check_in_task(
    client, account, link, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer(client, 3, "Exports keep failing.")

    task = Task.objects.get(account=account)
    assert (task.reason, task.status) == ("detractor", "open")
    assert task.describe() == "dana@globex.example answered NPS 3"
    assert task.assignee == account.owner


def test_a_promoter_answer_opens_no_task(client, account, link, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer(client, 9)
    assert not Task.objects.filter(account=account).exists()


def test_the_answer_shows_on_the_account_page_with_html_in_the_comment_as_text(
    client, account, link
):
    typed = '<script>alert("x")</script><b>Too slow</b> & pricey'
    answer(client, 4, typed)
    client.force_login(UserFactory(role="manager"))

    html = client.get(f"/accounts/{account.pk}/").content.decode()

    answers = html[html.index('id="answers"') : html.index("</ul>", html.index('id="answers"'))]
    assert "NPS 4" in answers and "dana@globex.example" in answers
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in answers
    assert "&lt;b&gt;Too slow&lt;/b&gt; &amp; pricey" in answers
    assert "<script>alert" not in html and "<b>Too slow" not in html


def test_nps_answers_can_still_be_imported_by_csv_next_to_survey_answers(client, account, link):
    answer(client, 6, "From the survey")
    raw = (
        "account,respondent,responded_on,score,comment\n"
        f"{account.external_id},lee@globex.example,2026-06-29,9,From the CSV\n"
    ).encode()

    result = csv_import(kind="nps", raw=raw, source="nps.csv")

    assert result.ok, result.error_lines()
    assert sorted(
        SurveyResponse.objects.filter(
            account=account, responded_on__gte=date(2026, 6, 29)
        ).values_list("respondent", "score", "comment")
    ) == [
        ("dana@globex.example", 6, "From the survey"),
        ("lee@globex.example", 9, "From the CSV"),
    ]
