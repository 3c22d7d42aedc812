"""The app's own error pages: in production, and in the demo (`make run`, DEMO=true), which
must not show Django's debug pages (they list every URL pattern, and on an error the code and
the settings)."""

import contextlib
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import path

from tests.faults.conftest import free_port
from tests.healthscore.test_settings import PYTHON, ROOT, SETTINGS_VARS


def fail(request):
    raise RuntimeError("a bug")


urlpatterns = [path("fail/", fail)]


def make_run_environment(database: Path) -> dict[str, str]:
    """The environment `make run` gives the server (see the Makefile): DEMO on, nothing else."""
    makefile = (ROOT / "Makefile").read_text()
    # DJANGO_RUNSERVER_HIDE_WARNING only hides runserver's own banner warning.
    pattern = r"^\t@?DEMO=true (DJANGO_RUNSERVER_HIDE_WARNING=true )?\$\(PY\) manage.py runserver"
    assert re.search(pattern, makefile, re.M)
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    return {**base, "DEMO": "true", "DATABASE_URL": f"sqlite:///{database}"}


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.slow
def test_the_demo_server_shows_the_apps_404_page_and_serves_static_files(tmp_path):
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed interpreter and arguments
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=make_run_environment(tmp_path / "db.sqlite3"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                status, page = fetch(f"{base}/no-such-page/")
                break
            assert server.poll() is None, "the demo server exited"
            assert time.monotonic() < deadline, "the demo server did not answer"
            time.sleep(0.2)
        assert status == 404
        assert "There is nothing here, or it is not yours to see." in page
        assert "URLconf" not in page  # Django's debug 404 lists the URL patterns
        assert "healthscore.urls" not in page
        status, css = fetch(f"{base}/static/css/healthscore.css")
        assert status == 200
        assert css.strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.urls(__name__)
def test_an_error_shows_the_apps_500_page_without_a_traceback(client, db):
    client.raise_request_exception = False
    response = client.get("/fail/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert "a bug" not in page
    assert "Traceback" not in page
