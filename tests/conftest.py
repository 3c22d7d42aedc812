"""Shared fixtures, and the rule for services: in CI (CI=true) PostgreSQL, Redis and Chromium
must be there and nothing is skipped; on a laptop the tests that need them are skipped, saying so.
"""

import os
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"


def _redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    url = urlparse(settings.REDIS_URL)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def _missing() -> dict[str, str]:
    """Marker -> why the service behind it is not available."""
    missing = {}
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing["postgres"] = "DATABASE_URL does not point at PostgreSQL"
    if not _redis_reachable():
        missing["redis"] = "REDIS_URL is not set or Redis does not answer"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing["browser"] = f"{CHROMIUM} is not installed"
    return missing


MISSING = _missing()


def _compile_translations() -> None:
    """Build each .mo older than its .po (as `make test` does), so that a plain `pytest` reads
    the current translations too. Without msgfmt they stay as they are (CI installs it)."""
    msgfmt = shutil.which("msgfmt")
    for po in Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if msgfmt and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            subprocess.run([msgfmt, "--check-format", "-o", str(mo), str(po)], check=True)  # noqa: S603


def pytest_configure(config):
    _compile_translations()
    # The test client and the live server speak plain HTTP; production redirects to HTTPS.
    # Set before any request handler (the session-wide live server's too) reads them.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    if IN_CI and MISSING:
        reasons = "; ".join(f"{marker}: {why}" for marker, why in MISSING.items())
        raise pytest.UsageError(
            f"CI=true but a service is missing, nothing may be skipped: {reasons}"
        )


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, why in MISSING.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=f"needs {marker}: {why}"))


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    skipped = ", ".join(f"{m} ({why})" for m, why in MISSING.items()) or "none"
    return [f"healthscore: database={engine}; tests skipped for missing services: {skipped}"]


@pytest.fixture
def csm(db):
    from tests.factories import UserFactory

    return UserFactory(username="casey", role="csm")


@pytest.fixture
def manager(db):
    from tests.factories import UserFactory

    return UserFactory(username="morgan", role="manager")


@pytest.fixture
def admin_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="ada", role="admin")


@pytest.fixture(autouse=True)
def _eager_celery_and_clean_cache(request):
    """Tasks run in-process in tests (the worker tests opt out); no cache leaks between tests."""
    from django.core.cache import cache

    from healthscore.celery import app

    app.conf.task_always_eager = not request.node.get_closest_marker("redis")
    app.conf.task_eager_propagates = True
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def default_scorecard(db):
    from scoring.defaults import create_default_scorecard
    from scoring.models import Scorecard, SignalDefinition

    return create_default_scorecard(Scorecard, SignalDefinition)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.5 s a user; the tests are not about it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # Pages render with DEBUG off, but the suite never runs collectstatic: no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _import_dir_of_the_test(settings, tmp_path):
    # Background imports store their uploads here: never in the checkout's media/.
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture(autouse=True)
def _install_language():
    """Every test starts, and leaves, in the install's language: a request in another language
    (the test client's Accept-Language, a user's profile) leaves it active in this thread, as a
    server's next request would not notice but a test that formats outside a request would."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
