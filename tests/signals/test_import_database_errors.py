"""A CSV file the database itself refuses: the page (and the command) say so without the
database's own words, which go to the log."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from signals.models import UsageRecord
from tests.factories import AccountFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_file_the_database_refuses_shows_no_internals(client, manager, caplog):
    AccountFactory(external_id="ACME-001", owner=None)
    # A rule the validation does not know about, as a constraint added by hand would be.
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE signals_usagerecord ADD CONSTRAINT value_below_a_million"
            " CHECK (value < 1000000)"
        )
    client.force_login(manager)
    content = b"account,date,metric,value\nACME-001,2026-11-01,logins,2000000\n"
    response = client.post(
        "/import/", {"kind": "usage", "file": SimpleUploadedFile("u.csv", content, "text/csv")}
    )
    html = response.content.decode()
    assert "the database refused the rows (the server log says why)" in html
    assert "value_below_a_million" not in html
    assert "signals_usagerecord" not in html
    assert "value_below_a_million" in caplog.text  # for whoever runs the server
    assert not UsageRecord.objects.exists()
