"""The permission matrix: every endpoint × every method × every kind of caller.

Callers: anonymous, a CSM (on their own account and on another CSM's), a manager, an admin
and an ingest token. The rules are the pages' (PRODUCT.md, "Who may do what"):

- anonymous: 401 everywhere;
- reads: a CSM sees their own book only (another CSM's rows are missing from lists and 404
  in detail), managers and admins see everything, ingest tokens read nothing (403);
- writes of the data kinds and contacts: managers, admins and ingest tokens (any account); CSMs
  may not
  (403), as on the CSV import page — except sentiment, which a CSM records for their own
  accounts only (another's is refused as an unknown account, 400);
- snapshots, tasks and survey answers are read-only (405), as are PUT, PATCH and DELETE.
"""

import pytest

from scoring.models import HealthSnapshot

KINDS = [
    "accounts",
    "subscriptions",
    "usage",
    "invoices",
    "tickets",
    "emails",
    "nps",
    "sentiment",
    "contacts",
    "goals",
    "referrals",
]
READ_ONLY = ["survey-answers", "health", "tasks"]
CALLERS = ["anonymous", "csm", "manager", "admin", "ingest"]


def new_row(endpoint: str, external_id: str) -> dict:
    """A valid row, new to the database, naming the account `external_id`."""
    suffix = external_id.lower()
    return {
        "accounts": {"external_id": external_id, "name": "Renamed Co"},
        "subscriptions": {
            "account": external_id,
            "subscription_id": f"sub-new-{suffix}",
            "product": "Core",
            "mrr": "100.00",
            "start_date": "2026-02-01",
        },
        "usage": {"account": external_id, "date": "2026-06-29", "metric": "logins", "value": 4},
        "invoices": {
            "account": external_id,
            "invoice_number": f"INV-new-{suffix}",
            "issued_on": "2026-06-01",
            "due_on": "2026-06-30",
            "amount": 10,
        },
        "tickets": {
            "account": external_id,
            "ticket_id": f"T-new-{suffix}",
            "opened_at": "2026-06-20T09:00:00Z",
        },
        "emails": {
            "account": external_id,
            "message_id": f"m-new-{suffix}",
            "sent_at": "2026-06-20T09:00:00+00:00",
        },
        "nps": {
            "account": external_id,
            "respondent": "new@customer.example",
            "responded_on": "2026-06-16",
            "score": 3,
        },
        "sentiment": {"account": external_id, "recorded_on": "2026-06-29", "sentiment": "red"},
        "contacts": {"account": external_id, "email": "sam@customer.example", "name": "Sam"},
        "goals": {"account": external_id, "kpi": "Seats", "target": 50, "due_on": "2026-12-31"},
        "referrals": {
            "account": external_id,
            "referred_on": "2026-06-01",
            "referred_company": "New Co",
        },
    }[endpoint]


def expected(endpoint: str, caller: str) -> dict[str, object]:
    """What each call gives `caller` on `endpoint`."""
    if caller == "anonymous":
        return {
            "list": 401,
            "get own": 401,
            "get other's": 401,
            "post own": 401,
            "post other's": 401,
            "put": 401,
            "patch": 401,
            "delete": 401,
        }
    sees = {"csm": ["ACC-OWN"], "manager": ["ACC-OTHER", "ACC-OWN"], "admin": None}
    sees["admin"] = sees["manager"]
    if caller == "ingest":
        reads = {"list": 403, "get own": 403, "get other's": 403}
    else:
        reads = {
            "list": (200, sees[caller]),
            "get own": 200,
            "get other's": 200 if caller != "csm" else 404,
        }
    if endpoint in READ_ONLY:
        writes = {"post own": 405, "post other's": 405}
    elif caller == "csm" and endpoint == "sentiment":
        writes = {"post own": 200, "post other's": 400}
    elif caller == "csm":
        writes = {"post own": 403, "post other's": 403}
    else:
        writes = {"post own": 200, "post other's": 200}
    return {**reads, **writes, "put": 405, "patch": 405, "delete": 405}


def detail_key(row) -> str:
    """A row's key in its detail URL: a snapshot's is its account and day."""
    if isinstance(row, HealthSnapshot):
        return f"{row.account_id}:{row.date.isoformat()}"
    return str(row.pk)


def observed(client, endpoint: str, book) -> dict[str, object]:
    base = f"/api/v1/{endpoint}/"
    own, other = (detail_key(book[rows][endpoint]) for rows in ("own_rows", "other_rows"))
    listed = client.get(base)
    result: dict[str, object] = {
        "list": (
            200,
            sorted(
                {
                    row["account"] if endpoint != "accounts" else row["external_id"]
                    for row in listed.json()["results"]
                }
            ),
        )
        if listed.status_code == 200
        else listed.status_code,
        "get own": client.get(f"{base}{own}/").status_code,
        "get other's": client.get(f"{base}{other}/").status_code,
    }
    for label, external_id in [("post own", "ACC-OWN"), ("post other's", "ACC-OTHER")]:
        row = new_row(endpoint, external_id) if endpoint not in READ_ONLY else {}
        response = client.post(base, [row], format="json")
        result[label] = response.status_code
        if response.status_code == 400:  # the refusal must not reveal the other book
            assert response.json()["errors"] == [
                {"index": 0, "field": "account", "reason": f"unknown account '{external_id}'"}
            ]
    result["put"] = client.put(f"{base}{own}/", {}, format="json").status_code
    result["patch"] = client.patch(f"{base}{own}/", {}, format="json").status_code
    result["delete"] = client.delete(f"{base}{own}/").status_code
    return result


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", KINDS + READ_ONLY)
def test_permission_matrix(endpoint, caller, callers, book):
    assert observed(callers[caller], endpoint, book) == expected(endpoint, caller)


@pytest.mark.parametrize(
    ("caller", "status", "accounts"),
    [
        ("anonymous", 401, None),
        ("csm", 200, ["ACC-OWN"]),
        ("manager", 200, ["ACC-OTHER", "ACC-OWN"]),
        ("admin", 200, ["ACC-OTHER", "ACC-OWN"]),
        ("ingest", 403, None),
    ],
)
def test_latest_health_matrix(caller, status, accounts, callers, book):
    client = callers[caller]
    response = client.get("/api/v1/health/latest/")
    assert response.status_code == status
    if accounts is not None:
        assert sorted(row["account"] for row in response.json()["results"]) == accounts
    # Read-only, whoever asks.
    assert client.post("/api/v1/health/latest/", [], format="json").status_code == (
        401 if caller == "anonymous" else 405
    )


@pytest.mark.parametrize(
    ("caller", "status"),
    [("anonymous", 401), ("csm", 200), ("manager", 200), ("admin", 200), ("ingest", 200)],
)
def test_schema_is_for_signed_in_callers(caller, status, callers):
    # The schema is documentation, not data: an ingest client needs it to know the rows.
    assert callers[caller].get("/api/schema/").status_code == status


def test_unauthenticated_answer_says_how_to_authenticate(callers):
    response = callers["anonymous"].get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_a_csm_cannot_write_sentiment_to_another_account_hidden_among_their_own(callers, book):
    from signals.models import SentimentEntry

    before = SentimentEntry.objects.count()
    rows = [
        {"account": "ACC-OWN", "recorded_on": "2026-06-28", "sentiment": "green"},
        {"account": "ACC-OTHER", "recorded_on": "2026-06-28", "sentiment": "red"},
    ]
    response = callers["csm"].post("/api/v1/sentiment/", rows, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": "account", "reason": "unknown account 'ACC-OTHER'"}
    ]
    assert SentimentEntry.objects.count() == before


def test_a_csms_sentiment_is_authored_by_that_csm_when_no_author_is_given(callers, book):
    from signals.models import SentimentEntry

    row = {"account": "ACC-OWN", "recorded_on": "2026-06-28", "sentiment": "green"}
    assert callers["csm"].post("/api/v1/sentiment/", row, format="json").status_code == 200
    assert SentimentEntry.objects.get(recorded_on="2026-06-28").author == book["casey"]


def test_a_csm_cannot_write_sentiment_in_someone_elses_name(callers, book):
    from signals.models import SentimentEntry

    before = list(SentimentEntry.objects.values_list())
    rows = [
        {"account": "ACC-OWN", "recorded_on": "2026-06-27", "sentiment": "green", "author": ""},
        {"account": "ACC-OWN", "recorded_on": "2026-06-28", "sentiment": "red", "author": "morgan"},
    ]
    response = callers["csm"].post("/api/v1/sentiment/", rows, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "author",
            "reason": "a CSM records sentiment in their own name: "
            "leave author out or give your username",
        }
    ]
    assert list(SentimentEntry.objects.values_list()) == before


@pytest.mark.parametrize("caller", ["manager", "ingest"])
def test_managers_and_ingest_tokens_may_name_the_author(callers, book, caller):
    from signals.models import SentimentEntry

    row = {"account": "ACC-OWN", "recorded_on": "2026-06-28", "sentiment": "red", "author": "casey"}
    assert callers[caller].post("/api/v1/sentiment/", row, format="json").status_code == 200
    assert SentimentEntry.objects.get(recorded_on="2026-06-28").author == book["casey"]


def test_a_snapshot_is_read_by_its_account_and_day(callers, book):
    client, snapshot = callers["manager"], book["own_rows"]["health"]
    key = f"{snapshot.account_id}:{snapshot.date.isoformat()}"
    answer = client.get(f"/api/v1/health/{key}/")
    assert answer.status_code == 200
    assert (answer.json()["account"], answer.json()["date"]) == (
        snapshot.account.external_id,
        snapshot.date.isoformat(),
    )
    # A day that does not exist, a day with no snapshot, the old numeric id: not found.
    for wrong in (f"{snapshot.account_id}:2026-02-30", f"{snapshot.account_id}:1999-01-01", "1"):
        assert client.get(f"/api/v1/health/{wrong}/").status_code == 404
