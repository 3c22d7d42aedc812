"""Goals, referrals and tags through the API: the CSV import's columns and errors, tags read
back as a list of names and written as one or a list."""

from datetime import date

import pytest

from signals.models import Goal, Referral, Ticket
from surveys.models import SurveyResponse, Tag, TagKind
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(db):
    return [AccountFactory(external_id=f"ACME-{n}", owner=None) for n in range(2)]


@pytest.fixture
def tags(db):
    Tag.objects.create(name="Billing")
    Tag.objects.create(name="v2.4", kind=TagKind.RELEASE, released_on=date(2026, 6, 1))


def test_goals_are_upserted_listed_and_filtered(accounts, manager_client):
    rows = [
        {"account": "ACME-0", "kpi": "Seats", "target": 50, "reached": 20, "due_on": "2026-12-31"},
        {"account": "ACME-1", "kpi": "NPS", "target": -5, "due_on": "2026-09-30", "status": "met"},
    ]
    response = manager_client.post("/api/v1/goals/", rows, format="json")
    assert response.json() == {
        "kind": "goals",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    again = manager_client.post("/api/v1/goals/", rows, format="json")
    assert again.json()["unchanged"] == 2

    listed = manager_client.get("/api/v1/goals/?status=met").json()["results"]

    assert listed == [
        {
            "id": Goal.objects.get(kpi="NPS").pk,
            "account": "ACME-1",
            "kpi": "NPS",
            "target": -5.0,
            "reached": None,
            "set_on": None,
            "due_on": "2026-09-30",
            "status": "met",
        }
    ]


def test_a_bad_goal_is_refused_with_the_csv_reason(accounts, manager_client):
    response = manager_client.post(
        "/api/v1/goals/",
        {
            "account": "ACME-0",
            "kpi": "Seats",
            "target": 5,
            "set_on": "2026-07-01",
            "due_on": "2026-06-30",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "due_on", "reason": "must be on or after set_on"}
    ]
    assert not Goal.objects.exists()


def test_referrals_are_written_and_read(accounts, manager_client):
    row = {"account": "ACME-0", "referred_on": "2026-06-01", "referred_company": "Hooli"}
    assert manager_client.post("/api/v1/referrals/", row, format="json").status_code == 200

    (read,) = manager_client.get("/api/v1/referrals/?outcome=lead").json()["results"]

    assert read == {**row, "id": Referral.objects.get().pk, "outcome": "lead"}


def test_tags_are_written_as_a_list_or_one_cell_and_read_back_as_a_list(
    accounts, tags, manager_client
):
    rows = [
        {
            "account": "ACME-0",
            "ticket_id": "T-1",
            "opened_at": "2026-06-02T09:00:00Z",
            "tags": ["billing", "V2.4"],
        },
        {
            "account": "ACME-0",
            "ticket_id": "T-2",
            "opened_at": "2026-06-03T09:00:00Z",
            "tags": "v2.4",
        },
    ]
    assert manager_client.post("/api/v1/tickets/", rows, format="json").status_code == 200

    read = manager_client.get("/api/v1/tickets/?ordering=ticket_id").json()["results"]
    assert [(r["ticket_id"], r["tags"]) for r in read] == [
        ("T-1", ["Billing", "v2.4"]),
        ("T-2", ["v2.4"]),
    ]
    tagged = manager_client.get("/api/v1/tickets/?tag=billing").json()["results"]
    assert [r["ticket_id"] for r in tagged] == ["T-1"]
    # What is read can be written back unchanged.
    read[0].pop("id")
    assert manager_client.post("/api/v1/tickets/", read[0], format="json").json()["unchanged"] == 1


def test_an_unknown_tag_or_a_list_of_numbers_is_refused(accounts, tags, manager_client):
    rows = [
        {
            "account": "ACME-0",
            "ticket_id": "T-1",
            "opened_at": "2026-06-02T09:00:00Z",
            "tags": ["Biling"],
        },
        {"account": "ACME-0", "ticket_id": "T-2", "opened_at": "2026-06-02T09:00:00Z", "tags": [1]},
        {
            "account": "ACME-0",
            "ticket_id": "T-3",
            "opened_at": "2026-06-02T09:00:00Z",
            "subject": ["a"],
        },
    ]
    response = manager_client.post("/api/v1/tickets/", rows, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": "tags", "reason": "must be text or a list of texts"},
        {"index": 2, "field": "subject", "reason": "must be text, a number, true, false or null"},
    ]
    # The shapes first; once they are right, the names are looked up.
    response = manager_client.post("/api/v1/tickets/", rows[:1], format="json")
    assert response.json()["errors"] == [
        {"index": 0, "field": "tags", "reason": "unknown tag 'Biling'; an admin adds it under Tags"}
    ]
    assert not Ticket.objects.exists()


def test_nps_answers_and_survey_answers_show_their_tags(accounts, tags, manager_client):
    row = {
        "account": "ACME-1",
        "respondent": "pat@x.example",
        "responded_on": "2026-06-05",
        "score": 4,
        "comment": "broke",
        "tags": "v2.4",
    }
    assert manager_client.post("/api/v1/nps/", row, format="json").status_code == 200

    assert manager_client.get("/api/v1/nps/?tag=v2.4").json()["results"][0]["tags"] == ["v2.4"]
    answers = manager_client.get("/api/v1/survey-answers/").json()["results"]
    assert answers[0]["tags"] == ["v2.4"]
    assert SurveyResponse.objects.get().tags.get().name == "v2.4"
