"""When PostgreSQL itself refuses a bulk write: a deadlock or serialisation failure is retried,
then answered 503 saying to send again; anything else is a 400. Neither shows the database's
own words (SQL, table, constraint or process names) to the client."""

import pytest
from django.db import connection

from api.views import UsageViewSet
from signals.models import UsageRecord
from tests.factories import AccountFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROW = {"account": "ACME-0", "date": "2026-06-30", "metric": "logins", "value": 5}
INTERNALS = ("signals_usagerecord", "constraint", "DETAIL", "Process", "SQL", "postgres")


@pytest.fixture
def account(db):
    return AccountFactory(external_id="ACME-0", owner=None)


def aborted_by_the_database(code: str):
    """A writer whose transaction PostgreSQL aborts with SQLSTATE `code` (a real error from
    the server, raised on purpose) every time."""
    calls = []

    def write(header, columns, lines):
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '{code}'; END $$"
            )
        raise AssertionError("the database did not refuse")

    write.calls = calls
    return write


@pytest.mark.parametrize("code", ["40P01", "40001"])  # deadlock, serialisation failure
def test_a_write_the_database_keeps_aborting_answers_503_saying_to_send_again(
    account, manager_client, monkeypatch, code
):
    monkeypatch.setattr(UsageViewSet, "writer", staticmethod(aborted_by_the_database(code)))
    response = manager_client.post("/api/v1/usage/", [ROW], format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "detail": "Other requests were writing the same rows at the same moment; nothing was "
        "written. Send the request again."
    }
    assert not UsageRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_write_aborted_for_a_deadlock_is_retried_before_giving_up(
    account, manager_client, monkeypatch
):
    writer = aborted_by_the_database("40P01")
    monkeypatch.setattr(UsageViewSet, "writer", staticmethod(writer))
    assert manager_client.post("/api/v1/usage/", [ROW], format="json").status_code == 503
    assert len(writer.calls) == 3  # the first try and two retries, outside any transaction


def test_rows_the_database_refuses_are_a_400_without_its_internals(account, manager_client):
    # A rule the validation does not know about, as a constraint added by hand would be.
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE signals_usagerecord ADD CONSTRAINT value_below_a_million"
            " CHECK (value < 1000000)"
        )
    response = manager_client.post("/api/v1/usage/", [{**ROW, "value": 2_000_000}], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": None,
            "field": "(request)",
            "reason": "the database refused the rows; nothing was written",
        }
    ]
    body = response.content.decode()
    assert not [word for word in (*INTERNALS, "value_below_a_million") if word in body]
