"""The upload page at /import/: same validation and result as `manage.py import_csv`."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from signals.models import UsageRecord
from tests.factories import AccountFactory

USAGE_HEADER = "account,date,metric,value\n"


@pytest.fixture
def acme(db):
    return AccountFactory(external_id="ACME-001", name="Acme Corp", owner=None)


def upload(client, text, *, kind="usage", name="usage.csv", skip_invalid=False):
    data = {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), "text/csv")}
    if skip_invalid:
        data["skip_invalid"] = "on"
    return client.post("/import/", data)


def test_manager_uploads_a_good_file_and_sees_the_summary(client, manager, acme):
    client.force_login(manager)

    response = upload(
        client, USAGE_HEADER + "ACME-001,2026-11-01,logins,182\nACME-001,2026-11-02,logins,90\n"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Imported</h2>" in html
    assert "usage.csv: 2 of 2 usage row(s) imported (2 new, 0 updated, 0 unchanged)." in html
    assert sorted(UsageRecord.objects.values_list("account", "value")) == [
        (acme.pk, 90.0),
        (acme.pk, 182.0),
    ]


def test_admin_may_import_too(client, admin_user, acme):
    client.force_login(admin_user)

    response = upload(client, USAGE_HEADER + "ACME-001,2026-11-01,logins,1\n")

    assert response.status_code == 200
    assert UsageRecord.objects.count() == 1


def test_bad_file_shows_each_error_line_and_writes_nothing(client, manager, acme):
    client.force_login(manager)

    response = upload(
        client,
        USAGE_HEADER
        + "ACME-001,2026-11-01,logins,1\n"
        + "NOPE-9,2026-11-01,logins,1\n"
        + "ACME-001,2026-13-01,logins,-2\n",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Nothing imported</h2>" in html
    assert "usage.csv: 3 error(s) in 3 row(s); nothing was imported." in html
    for line in [
        "usage.csv:3: account: unknown account &#x27;NOPE-9&#x27;",
        "usage.csv:4: date: &#x27;2026-13-01&#x27; is not a date; use YYYY-MM-DD",
        "usage.csv:4: value: -2 is negative; it must be 0 or more",
    ]:
        assert f"<li>{line}</li>" in html
    assert UsageRecord.objects.count() == 0


def test_skip_invalid_box_lands_the_good_rows_and_lists_the_bad(client, manager, acme):
    client.force_login(manager)

    response = upload(
        client,
        USAGE_HEADER + "ACME-001,2026-11-01,logins,1\nNOPE-9,2026-11-01,logins,1\n",
        skip_invalid=True,
    )

    html = response.content.decode()
    assert "<h2>Imported with errors</h2>" in html
    assert "<li>usage.csv:3: account: unknown account &#x27;NOPE-9&#x27;</li>" in html
    assert UsageRecord.objects.count() == 1


def test_html_in_a_bad_cell_is_shown_escaped(client, manager, acme):
    client.force_login(manager)

    response = upload(client, USAGE_HEADER + "<script>alert(1)</script>,2026-11-01,logins,1\n")

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert (
        "<li>usage.csv:2: account: unknown account "
        "&#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;</li>"
    ) in html


def test_html_in_the_file_name_is_shown_escaped(client, manager, acme):
    client.force_login(manager)

    name = "<img src=x onerror=alert(1)>.csv"

    response = upload(client, USAGE_HEADER + "ACME-001,x,logins,1\n", name=name)

    html = response.content.decode()
    assert name not in html
    assert "<li>&lt;img src=x onerror=alert(1)&gt;.csv:2: date:" in html


def test_post_without_a_file_shows_the_form_error_and_imports_nothing(client, manager, acme):
    client.force_login(manager)

    response = client.post("/import/", {"kind": "usage"})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert "import-result" not in response.content.decode()


def test_page_lists_the_columns_of_every_kind(client, manager):
    client.force_login(manager)

    html = client.get("/import/").content.decode()

    for kind in [
        "accounts",
        "subscriptions",
        "usage",
        "invoices",
        "tickets",
        "emails",
        "nps",
        "sentiment",
    ]:
        assert f"<code>{kind}</code>" in html
    assert "<b>account</b>, <b>date</b>, <b>metric</b>, <b>value</b>" in html


def test_csm_gets_403_and_cannot_import(client, csm, acme):
    client.force_login(csm)

    assert client.get("/import/").status_code == 403
    assert upload(client, USAGE_HEADER + "ACME-001,2026-11-01,logins,1\n").status_code == 403
    assert UsageRecord.objects.count() == 0


def test_anonymous_visitor_is_sent_to_the_login_page(client, acme):
    response = client.get("/import/")
    posted = upload(client, USAGE_HEADER + "ACME-001,2026-11-01,logins,1\n")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/import/"
    assert posted.status_code == 302
    assert UsageRecord.objects.count() == 0


def test_page_shows_the_first_500_errors_and_counts_the_rest(client, manager, acme):
    client.force_login(manager)
    rows = "".join(f"ACME-001,01/11/2026,m{n},1\n" for n in range(620))

    response = upload(client, USAGE_HEADER + rows)

    html = response.content.decode()
    assert html.count("is not a date; use YYYY-MM-DD</li>") == 500
    assert "<li>usage.csv:501: date:" in html
    assert "usage.csv:502: date:" not in html
    assert "… and 120 more; run <code>manage.py import_csv</code> to list them all." in html
    assert "usage.csv: 620 error(s) in 620 row(s); nothing was imported." in html
