"""Production hardening: deploy checks, who may reach what, CSRF, escaping, login throttling,
the health endpoint and the content security policy."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.scoring.test_recompute import healthy_account

ROOT = Path(__file__).resolve().parents[2]

# Public on purpose: the login page, the health check, the survey answer pages and the
# language switcher (the login page has it too; it only sets a cookie for a visitor).
PUBLIC = {"login", "healthz", "favicon", "survey_answer", "survey_thanks", "set_language"}


def test_check_deploy_is_clean_under_production_settings():
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "DEMO",
            "SECURE_SSL_REDIRECT",
            "SECURE_COOKIES",
            "SECURE_HSTS_SECONDS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }  # the browser tests set it for themselves
    }
    env.update(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="healthscore.example.com")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _named_routes(resolver=None, prefix=""):
    """(name, path with sample ids, namespace) of every named route outside the admin."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from _named_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            route = prefix + str(entry.pattern)
            route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)  # router regexes: an id
            route = re.sub(r"<int:\w+>", "1", route)
            route = re.sub(r"<(str:|slug:)?\w+>", "x", route)
            route = re.sub(r"[\^$]|\\Z", "", route)
            yield entry.name, "/" + route


ROUTES = sorted(set(_named_routes()))


@pytest.mark.parametrize(("name", "path"), ROUTES, ids=[n for n, _ in ROUTES])
def test_every_page_and_endpoint_refuses_an_anonymous_visitor(db, client, name, path):
    if name == "set_language":  # public, and only ever posted to
        assert client.get(path).status_code == 405
        return
    if name in PUBLIC:
        response = client.get(path)
        assert response.status_code in (200, 404) or (  # /favicon.ico: to the static icon
            response.status_code == 302 and response["Location"].startswith("/static/")
        ), (path, response.status_code)
        return
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if path.startswith("/api/") and name != "api-docs":
            assert response.status_code in (401, 403), (method, path, response.status_code)
        else:
            assert response.status_code == 302, (method, path, response.status_code)
            assert response.url.startswith("/login/"), (method, path, response.url)


def test_the_admin_refuses_an_anonymous_visitor(db, client):
    response = client.get("/admin/scoring/scorecard/")
    assert response.status_code == 302
    assert "login/" in response.url


POSTS = [
    "/accounts/{pk}/check-ins/",
    "/accounts/{pk}/sentiment/",
    "/accounts/{pk}/override/",
    "/accounts/{pk}/override/remove/",
    "/accounts/{pk}/reassign/",
    "/import/",
    "/logout/",
]


@pytest.mark.parametrize("path", POSTS)
def test_forms_refuse_a_post_without_the_csrf_token(manager, default_scorecard, path):
    account = healthy_account(owner=manager)
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(path.format(pk=account.pk), {"note": "x"})
    assert response.status_code == 403


def test_login_refuses_a_post_without_the_csrf_token(csm):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "casey", "password": "correct horse battery"})
    assert response.status_code == 403


EVIL = '<script>alert("x")</script>'


def test_user_text_is_escaped_on_every_page_it_appears(client, manager, default_scorecard):
    from scoring.recompute import health_recompute
    from tests.scoring.test_recompute import DAY
    from workspace.followups import tasks_open
    from workspace.models import CheckIn

    account = healthy_account(owner=manager)
    account.name = EVIL
    account.save()
    CheckIn.objects.create(account=account, author=manager, date=DAY, note=EVIL)
    health_recompute(as_of=DAY)
    tasks_open(day=DAY)
    client.force_login(manager)
    for path in ("/accounts/", f"/accounts/{account.pk}/", "/tasks/"):
        html = client.get(path).content.decode()
        assert EVIL not in html, path
    assert "&lt;script&gt;" in client.get(f"/accounts/{account.pk}/").content.decode()


def test_healthz_reports_the_database_and_redis(client, db, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not configured"}
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


def test_pages_carry_a_content_security_policy_without_inline_scripts(client, manager):
    client.force_login(manager)
    response = client.get("/accounts/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


def test_an_unknown_page_is_a_friendly_404_without_a_traceback(client, manager):
    client.force_login(manager)
    response = client.get("/accounts/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html
    assert "Traceback" not in html


def test_a_finished_task_cannot_be_snoozed_back_to_life(client, csm, default_scorecard):
    from datetime import date, timedelta

    from workspace.models import Task

    account = healthy_account(owner=csm)
    task = Task.objects.create(
        account=account,
        reason="detractor",
        opened_on=date(2026, 6, 1),
        due_on=date(2026, 6, 5),
        status="done",
        closed_on=date(2026, 6, 2),
    )
    client.force_login(csm)
    until = date.today() + timedelta(days=3)
    assert client.post(f"/tasks/{task.pk}/snooze/", {"until": until}).status_code == 404
    assert client.post(f"/tasks/{task.pk}/done/", {"outcome": "again"}).status_code == 404
    task.refresh_from_db()
    assert (task.status, task.closed_on) == ("done", date(2026, 6, 2))
