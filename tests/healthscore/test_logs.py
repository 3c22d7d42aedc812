"""Logs: a 403 is one line with its reason, printed once."""

import logging


def test_a_403_is_logged_as_one_line_with_its_reason(client, csm, caplog):
    client.force_login(csm)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/import/").status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage() == (
        "Forbidden (Permission denied): /import/ (Only managers and admins import data.)"
    )
    assert "Traceback" not in caplog.text


def test_django_records_reach_one_handler_only():
    # Django's default "django" logger has a console handler of its own (with DEBUG), which
    # printed every record a second time beside the root's.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate
