"""Reading back: health history and latest, filters, ordering, pagination, query counts."""

import re
from datetime import date, timedelta

import pytest

from scoring.current_health import current_scores_refresh
from scoring.models import HealthSnapshot, Scorecard
from tests.factories import AccountFactory, UsageRecordFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 30)


@pytest.fixture
def history(db):
    """Two CSMs' accounts with a week of snapshots; Acme turns red on the last day."""
    card = Scorecard.objects.get(is_default=True)
    casey, robin = UserFactory(username="casey"), UserFactory(username="robin")
    acme = AccountFactory(external_id="ACME", name="Acme", owner=casey, segment="enterprise")
    globex = AccountFactory(external_id="GLOBEX", name="Globex", owner=robin, segment="smb")
    for offset in range(7):
        day = DAY - timedelta(days=6 - offset)
        for account, score in [(acme, 80 - offset * 8), (globex, 60)]:
            HealthSnapshot.objects.create(
                account=account,
                date=day,
                score=score,
                colour="green" if score >= 70 else "yellow" if score >= 40 else "red",
                coverage=1,
                scorecard=card,
                scorecard_version=card.version,
            )
    current_scores_refresh()  # as the recompute that writes snapshots does
    return {"acme": acme, "globex": globex, "casey": casey}


def results(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    return [(r["account"], r["date"], r["colour"]) for r in response.json()["results"]]


def test_health_history_filters_by_date_colour_owner_and_segment(history, manager_client):
    get = manager_client.get
    assert results(get("/api/v1/health/?date=2026-06-30&ordering=account__name")) == [
        ("ACME", "2026-06-30", "red"),
        ("GLOBEX", "2026-06-30", "yellow"),
    ]
    assert results(get("/api/v1/health/?colour=red")) == [("ACME", "2026-06-30", "red")]
    assert len(results(get("/api/v1/health/?owner=robin"))) == 7
    assert results(
        get("/api/v1/health/?segment=enterprise&date_after=2026-06-29&date_before=2026-06-29")
    ) == [("ACME", "2026-06-29", "yellow")]


def test_latest_health_is_each_accounts_newest_snapshot_as_of_a_day(history, manager_client):
    assert results(manager_client.get("/api/v1/health/latest/?as_of=2026-06-30")) == [
        ("ACME", "2026-06-30", "red"),
        ("GLOBEX", "2026-06-30", "yellow"),
    ]
    assert results(manager_client.get("/api/v1/health/latest/?as_of=2026-06-25&colour=green")) == [
        ("ACME", "2026-06-25", "green")
    ]
    assert results(manager_client.get("/api/v1/health/latest/?as_of=2020-01-01")) == []


def test_latest_health_refuses_a_bad_day(history, manager_client):
    response = manager_client.get("/api/v1/health/latest/?as_of=yesterday")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid request; see errors.",
        "errors": [{"index": None, "field": "as_of", "reason": "Enter a valid date."}],
    }


def test_a_csm_reads_only_their_book_whatever_the_filters(history):
    from tests.api.conftest import client_with_token, personal_token

    casey = client_with_token(personal_token(history["casey"]))
    rows = results(casey.get("/api/v1/health/?owner=robin"))
    assert rows == []
    assert {r[0] for r in results(casey.get("/api/v1/health/?page_size=1000"))} == {"ACME"}
    assert results(casey.get("/api/v1/health/latest/?as_of=2026-06-30")) == [
        ("ACME", "2026-06-30", "red")
    ]


def test_lists_are_paginated_and_ordered(history, manager_client):
    first = manager_client.get("/api/v1/health/?page_size=5&ordering=-score,date").json()
    assert first["count"] == 14
    assert len(first["results"]) == 5 and first["previous"] is None
    assert [r["score"] for r in first["results"]] == [80, 72, 64, 60, 60]
    last = manager_client.get("/api/v1/health/?page_size=5&page=3").json()
    assert len(last["results"]) == 4 and last["next"] is None
    assert manager_client.get("/api/v1/health/?page=4&page_size=5").status_code == 404
    # Unknown ordering fields are ignored; the default order stands.
    assert manager_client.get("/api/v1/health/?ordering=password").status_code == 200


def test_pages_are_capped_at_a_thousand_rows(manager_client):
    account = AccountFactory()
    for n in range(3):
        UsageRecordFactory(account=account, metric=f"m{n}")
    response = manager_client.get("/api/v1/usage/?page_size=1000000")
    assert response.status_code == 200 and response.json()["count"] == 3


@pytest.mark.parametrize(
    "query",
    [
        "date=2026-02-30",
        "date_after=tomorrow",
        "colour=purple",
        "segment=galactic",
        "owner=%00",
    ],
)
def test_a_bad_filter_is_a_400_saying_which(query, history, manager_client):
    response = manager_client.get(f"/api/v1/health/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == query.split("=")[0]


@pytest.mark.parametrize("pk", ["abc", "-1", "99999999999999999999", "0"])
def test_an_impossible_id_is_a_404(pk, manager_client):
    assert manager_client.get(f"/api/v1/usage/{pk}/").status_code == 404


def test_list_queries_do_not_grow_with_the_rows(history, manager_client, django_assert_num_queries):
    manager_client.get("/api/v1/health/")  # the token's first use is recorded: not counted
    # 1 token (with its user), 1 count, 1 page of snapshots with account, owner and scorecard,
    # and to render their components: 1 for each scorecard version among them (here one) and
    # 1 for the usage metric names.
    with django_assert_num_queries(5):
        manager_client.get("/api/v1/health/?page_size=1000")
    # latest/: 1 token, 1 count and 1 page of the snapshots the current-health rows point at,
    # 1 version, 1 metric names.
    with django_assert_num_queries(5):
        manager_client.get("/api/v1/health/latest/")


def test_tasks_and_usage_filters(history, manager_client):
    from workspace.models import Task

    Task.objects.create(
        account=history["acme"], reason="turned_red", opened_on=DAY, due_on=DAY, status="open"
    )
    UsageRecordFactory(account=history["acme"], metric="logins", date=DAY)
    UsageRecordFactory(account=history["globex"], metric="exports", date=DAY)
    tasks = manager_client.get("/api/v1/tasks/?status=open&account=ACME").json()
    assert [t["reason"] for t in tasks["results"]] == ["turned_red"]
    usage = manager_client.get("/api/v1/usage/?metric=exports").json()
    assert [u["account"] for u in usage["results"]] == ["GLOBEX"]


# ---------------------------------------------------------------- hardening (issue 15)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/health/?page_size=null", "page_size"),
        ("/api/v1/health/?page_size=0", "page_size"),
        ("/api/v1/health/?page_size=", "page_size"),
        ("/api/v1/health/?page=abc", "page"),
        ("/api/v1/health/?page=", "page"),
        ("/api/v1/contacts/?active=-1.79e308", "active"),
        ("/api/v1/subscriptions/?is_trial=maybe", "is_trial"),
        ("/api/v1/health/?date_before=", "date_before"),
        ("/api/v1/health/?colour=", "colour"),
        ("/api/v1/tickets/?opened_at_after=", "opened_at_after"),
        ("/api/v1/health/latest/?as_of=", "as_of"),
    ],
)
def test_a_malformed_or_empty_parameter_is_a_400_naming_it(
    history, manager_client, path, parameter
):
    response = manager_client.get(path)
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == [parameter]


def test_booleans_read_true_false_and_one_zero(manager_client):
    from surveys.models import Contact

    account = AccountFactory()
    Contact.objects.create(account=account, name="On", email="on@x.example", active=True)
    Contact.objects.create(account=account, name="Off", email="off@x.example", active=False)
    for value, names in [("true", ["On"]), ("False", ["Off"]), ("1", ["On"]), ("0", ["Off"])]:
        response = manager_client.get(f"/api/v1/contacts/?active={value}")
        assert [c["name"] for c in response.json()["results"]] == names, value


def test_an_empty_text_filter_still_means_no_filter(history, manager_client):
    assert manager_client.get("/api/v1/health/?owner=&account=").json()["count"] == 14


def test_the_schema_says_required_text_cannot_be_blank_and_pages_start_at_one(manager_client):
    schema = manager_client.get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/v1/usage/"]["post"]["requestBody"]["content"]
    row = body["application/json"]["schema"]["oneOf"][0]["properties"]
    assert row["metric"]["minLength"] == 1
    text = re.compile(row["metric"]["pattern"])  # not blank, no NUL (the database cannot hold it)
    assert text.search(" logins ") and not text.search("  ") and not text.search("log\x00ins")
    # the date window: by pattern, on top of the format
    assert re.search(row["date"]["pattern"], "2199-12-31")
    assert not re.search(row["date"]["pattern"], "2200-01-01")
    assert not re.search(row["date"]["pattern"], "1899-12-31")
    assert row["account"]["minLength"] == 1
    assert "minLength" not in row["date"]  # a date's format already refuses ""
    assert row["date"]["description"] == "from 1900-01-01 to 2199-12-31"
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/usage/"]["get"]["parameters"]}
    assert parameters["page"]["schema"]["minimum"] == 1
    assert parameters["page_size"]["schema"]["minimum"] == 1
