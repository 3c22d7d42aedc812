"""Segment-compatible tracking (`POST /api/v1/track`, `/api/v1/batch`): payloads in the shapes
Segment's HTTP Tracking API documents, counted as daily usage once per messageId."""

import base64
from datetime import date

import pytest
from rest_framework.test import APIClient

from signals.models import TrackedMessage, UsageRecord
from tests.api.conftest import client_with_token, ingest_token, personal_token
from tests.factories import AccountFactory

# The shape of a track call as Segment's documentation shows it (values ours).
TRACK = {
    "anonymousId": "507f191e810c19729de860ea",
    "context": {
        "ip": "203.0.113.9",
        "library": {"name": "analytics.js", "version": "2.11.1"},
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6)",
        "groupId": "ACME-001",
    },
    "event": "Report Created",
    "integrations": {},
    "messageId": "ajs-f8ca1e4de5024d9430b3928bd8ac6b96",
    "properties": {"title": "Quarterly churn", "rows": 42},
    "receivedAt": "2026-11-12T19:11:01.266Z",
    "sentAt": "2026-11-12T19:11:01.169Z",
    "timestamp": "2026-11-12T19:11:01.249Z",
    "type": "track",
    "userId": "AiUGstSDIg",
    "originalTimestamp": "2026-11-12T19:11:01.152Z",
}


@pytest.fixture
def accounts(db):
    return [AccountFactory(external_id="ACME-001"), AccountFactory(external_id="GLOBEX-002")]


def basic_client(key: str) -> APIClient:
    """Segment's way: the write key as the HTTP Basic user name, no password."""
    client = APIClient()
    encoded = base64.b64encode(f"{key}:".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {encoded}")
    return client


def post(client, path, body, capture):
    with capture(execute=True):
        return client.post(f"/api/v1/{path}", body, format="json")


def usage():
    return sorted(
        UsageRecord.objects.values_list("account__external_id", "metric", "date", "value")
    )


def test_a_track_call_with_basic_auth_counts_one_on_its_day(
    accounts, django_capture_on_commit_callbacks
):
    response = post(
        basic_client(ingest_token()), "track", TRACK, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert response.json() == {"success": True, "queued": 1, "refused": []}
    assert usage() == [("ACME-001", "report_created", date(2026, 11, 12), 1.0)]


def test_a_batch_counts_per_account_metric_and_day_and_ignores_other_calls(
    accounts, django_capture_on_commit_callbacks
):
    batch = {
        "batch": [
            {"type": "identify", "userId": "u1", "traits": {"email": "ana@acme.example"}},
            {**TRACK, "messageId": "m1"},
            {**TRACK, "messageId": "m2", "timestamp": "2026-11-12T08:00:00Z"},
            {**TRACK, "messageId": "m3", "timestamp": "2026-11-13T08:00:00Z"},
            {  # no groupId: the account from properties.account_id
                "type": "track", "userId": "u2", "event": "Export Downloaded",
                "properties": {"account_id": "GLOBEX-002"}, "messageId": "m4",
                "timestamp": "2026-11-13T09:30:00+02:00",
            },
        ],
        "sentAt": "2026-11-13T10:00:00Z",
    }  # fmt: skip
    client = client_with_token(ingest_token(), "Bearer")
    response = post(client, "batch", batch, django_capture_on_commit_callbacks)
    assert response.json() == {"success": True, "queued": 4, "refused": []}
    assert usage() == [
        ("ACME-001", "report_created", date(2026, 11, 12), 2.0),
        ("ACME-001", "report_created", date(2026, 11, 13), 1.0),
        ("GLOBEX-002", "export_downloaded", date(2026, 11, 13), 1.0),
    ]


def test_a_retried_message_id_counts_once(accounts, django_capture_on_commit_callbacks):
    client = basic_client(ingest_token())
    for _ in range(3):
        post(client, "track", TRACK, django_capture_on_commit_callbacks)
    post(client, "batch", {"batch": [TRACK, TRACK]}, django_capture_on_commit_callbacks)
    assert usage() == [("ACME-001", "report_created", date(2026, 11, 12), 1.0)]
    assert TrackedMessage.objects.count() == 1


def test_the_value_can_come_from_a_named_property(
    accounts, settings, django_capture_on_commit_callbacks
):
    settings.TRACK_VALUE_PROPERTY = "rows"
    client = basic_client(ingest_token())
    post(client, "track", TRACK, django_capture_on_commit_callbacks)
    bad = post(
        client, "track", {**TRACK, "messageId": "x", "properties": {"rows": "many"}},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert bad.json()["refused"] == [
        {"index": 0, "reason": "the event properties.rows is not a number of 0 or more"}
    ]
    assert usage() == [("ACME-001", "report_created", date(2026, 11, 12), 42.0)]


def test_events_without_an_account_or_name_are_refused_by_index(
    accounts, django_capture_on_commit_callbacks
):
    no_account = {k: v for k, v in TRACK.items() if k != "context"}
    batch = {"batch": [no_account, {**TRACK, "event": ""}, {**TRACK, "timestamp": "yesterday"}]}
    response = post(
        basic_client(ingest_token()), "batch", batch, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert response.json()["refused"] == [
        {"index": 0, "reason": "the event names no account (context.groupId or "
                               "properties.account_id)"},
        {"index": 1, "reason": "the event has no event name"},
        {"index": 2, "reason": "the event has a timestamp that is not an ISO 8601 date-time "
                               "within the data window"},
    ]  # fmt: skip
    assert usage() == []


def test_an_unknown_account_counts_nothing(accounts, django_capture_on_commit_callbacks):
    event = {**TRACK, "context": {"groupId": "NOBODY-9"}}
    response = post(
        basic_client(ingest_token()), "track", event, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert usage() == []
    assert not TrackedMessage.objects.exists()  # so a retry after the account exists counts


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([TRACK], "The body must be a JSON object."),
        ({"batch": "nope"}, 'A batch call is {"batch": [events ...]}.'),
        ({"batch": [TRACK] * 2501}, "A batch holds at most 2500 events."),
    ],
)
def test_malformed_calls_are_400(accounts, body, detail):
    response = basic_client(ingest_token()).post("/api/v1/batch", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_without_a_key_401_with_a_wrong_key_401_and_a_csm_403(accounts, csm, manager):
    assert APIClient().post("/api/v1/track", TRACK, format="json").status_code == 401
    assert basic_client("not-a-key").post("/api/v1/track", TRACK, format="json").status_code == 401
    csm_client = client_with_token(personal_token(csm), "Bearer")
    assert csm_client.post("/api/v1/track", TRACK, format="json").status_code == 403
    manager_client = client_with_token(personal_token(manager), "Bearer")
    assert manager_client.post("/api/v1/track", TRACK, format="json").status_code == 200
