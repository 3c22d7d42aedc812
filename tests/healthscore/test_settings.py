"""Configuration comes only from the environment, and a bad value stops start-up by name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from healthscore.env import (
    env_bool,
    env_database,
    env_int,
    env_list,
    env_log_level,
    env_redis_url,
    env_str,
    env_timezone,
)

VAR = "HEALTHSCORE_TEST_VALUE"
ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else sys.executable)
# Variables the settings read; the subprocess tests start from an environment without them.
SETTINGS_VARS = {
    "DEBUG",
    "DEMO",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "TIME_ZONE",
    "LOG_LEVEL",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
}


@pytest.fixture
def unset(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)


def raises_naming_the_variable():
    return pytest.raises(ImproperlyConfigured, match=VAR)


# --- env_str ----------------------------------------------------------------------------------


def test_env_str_reads_the_value_or_the_default(monkeypatch, unset):
    assert env_str(VAR, "fallback") == "fallback"
    monkeypatch.setenv(VAR, "hello")
    assert env_str(VAR, "fallback") == "hello"


# --- env_bool ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        (" YES ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("off", False),
    ],
)
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv(VAR, raw)
    assert env_bool(VAR, default=not expected) is expected


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_or_empty_is_the_default(monkeypatch, unset, default):
    assert env_bool(VAR, default=default) is default
    monkeypatch.setenv(VAR, "")
    assert env_bool(VAR, default=default) is default


@pytest.mark.parametrize("raw", ["maybe", "ture", "2", "y e s"])
def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VAR, raw)
    with raises_naming_the_variable():
        env_bool(VAR, default=False)


# --- env_int ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("42", 42), (" 7 ", 7), ("-3", -3)])
def test_env_int_reads_whole_numbers(monkeypatch, raw, expected):
    monkeypatch.setenv(VAR, raw)
    assert env_int(VAR, 99) == expected


def test_env_int_unset_or_empty_is_the_default(monkeypatch, unset):
    assert env_int(VAR, 99) == 99
    monkeypatch.setenv(VAR, "  ")
    assert env_int(VAR, 99) == 99


@pytest.mark.parametrize("raw", ["ten", "1.5", "5432abc", "0x10"])
def test_env_int_refuses_non_integers_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VAR, raw)
    with raises_naming_the_variable():
        env_int(VAR, 1)


@pytest.mark.parametrize(("raw", "ok"), [("0", False), ("1", True), ("23", True), ("24", False)])
def test_env_int_enforces_its_range(monkeypatch, raw, ok):
    monkeypatch.setenv(VAR, raw)
    if ok:
        assert env_int(VAR, 2, minimum=1, maximum=23) == int(raw)
    else:
        with pytest.raises(ImproperlyConfigured, match=f"{VAR}='{raw}' is out of range"):
            env_int(VAR, 2, minimum=1, maximum=23)


# --- env_list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", ["example.com"]),
        ("a.example.com, b.example.com", ["a.example.com", "b.example.com"]),
        (" a ,, b ,", ["a", "b"]),
        ("", []),
    ],
)
def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch, raw, expected):
    monkeypatch.setenv(VAR, raw)
    assert env_list(VAR, ["default"]) == expected


def test_env_list_unset_is_the_default(unset):
    assert env_list(VAR, ["localhost"]) == ["localhost"]


# --- env_database -----------------------------------------------------------------------------


def test_env_database_reads_a_postgres_url(monkeypatch):
    monkeypatch.setenv(VAR, "postgres://hs:s3cret@db.internal:5433/healthscore")
    config = env_database(VAR, "sqlite:///unused.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "healthscore")
    assert (config["USER"], config["PASSWORD"]) == ("hs", "s3cret")


@pytest.mark.parametrize("raw", [None, ""])
def test_env_database_unset_or_empty_uses_the_sqlite_default(monkeypatch, unset, raw):
    if raw is not None:
        monkeypatch.setenv(VAR, raw)
    config = env_database(VAR, "sqlite:////srv/healthscore/default.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/healthscore/default.sqlite3"


@pytest.mark.parametrize(
    "raw", ["nonsense://x", "not a url", "postgres//missing-colon", "postgres://db.internal:5432"]
)
def test_env_database_refuses_malformed_urls_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VAR, raw)
    with raises_naming_the_variable():
        env_database(VAR, "sqlite:///unused.sqlite3")


def test_env_database_error_does_not_echo_the_password(monkeypatch):
    monkeypatch.setenv(VAR, "postgres://hs:s3cret@db.internal:5432")
    with raises_naming_the_variable() as refused:
        env_database(VAR, "sqlite:///unused.sqlite3")
    assert "s3cret" not in str(refused.value)


# --- env_redis_url ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache:6380/1", "unix:///run/redis.sock"]
)
def test_env_redis_url_accepts_redis_schemes(monkeypatch, raw):
    monkeypatch.setenv(VAR, raw)
    assert env_redis_url(VAR) == raw


def test_env_redis_url_unset_or_blank_means_no_redis(monkeypatch, unset):
    assert env_redis_url(VAR) == ""
    monkeypatch.setenv(VAR, "  ")
    assert env_redis_url(VAR) == ""


@pytest.mark.parametrize(
    "raw", ["http://:hunter2@cache:6379", "127.0.0.1:6379", "amqp://guest@rabbit"]
)
def test_env_redis_url_refuses_other_schemes_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VAR, raw)
    with raises_naming_the_variable() as refused:
        env_redis_url(VAR)
    assert "hunter2" not in str(refused.value)


# --- env_timezone and env_log_level -----------------------------------------------------------


def test_env_timezone_accepts_iana_names_and_defaults(monkeypatch, unset):
    assert env_timezone(VAR, "UTC") == "UTC"
    monkeypatch.setenv(VAR, "Europe/Berlin")
    assert env_timezone(VAR, "UTC") == "Europe/Berlin"


@pytest.mark.parametrize("raw", ["Mars/Olympus_Mons", "../etc/passwd", "CEST+2"])
def test_env_timezone_refuses_unknown_zones_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VAR, raw)
    with raises_naming_the_variable():
        env_timezone(VAR, "UTC")


def test_env_log_level_reads_any_case_and_refuses_typos(monkeypatch, unset):
    assert env_log_level(VAR, "INFO") == "INFO"
    monkeypatch.setenv(VAR, "warning")
    assert env_log_level(VAR, "INFO") == "WARNING"
    monkeypatch.setenv(VAR, "verbose")
    with raises_naming_the_variable():
        env_log_level(VAR, "INFO")


# --- start-up in a fresh process --------------------------------------------------------------


def run_django(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run the venv's python in the project with a clean settings environment plus `env`."""
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [PYTHON, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check(**env: str) -> subprocess.CompletedProcess:
    return run_django(["manage.py", "check"], **env)


def test_check_passes_with_a_secret_key_and_the_defaults():
    result = check(SECRET_KEY="x")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("debug", [None, "false", "0"], ids=["unset", "false", "0"])
def test_start_up_without_secret_key_fails_when_debug_is_off(debug):
    result = check(**({"DEBUG": debug} if debug is not None else {}))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_start_up_without_secret_key_uses_a_development_key():
    result = check(DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_the_demo_starts_without_a_secret_key_too():
    result = check(DEMO="true")  # as `make run` does
    assert result.returncode == 0, result.stderr


def test_empty_secret_key_counts_as_missing():
    result = check(SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("DATABASE_URL", "nonsense://x"),
        ("REDIS_URL", "http://cache:6379"),
        ("DEBUG", "perhaps"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("EMAIL_PORT", "smtp"),
        ("LOG_LEVEL", "loud"),
        ("NIGHTLY_RECOMPUTE_HOUR", "25"),
    ],
)
def test_malformed_variable_stops_start_up_naming_it(var, value):
    result = check(SECRET_KEY="x", **{var: value})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert var in last_line


def test_defaults_need_no_services():
    code = (
        "from healthscore import settings as s; "
        "print(s.DATABASES['default']['ENGINE']); print(s.CELERY_TASK_ALWAYS_EAGER); "
        "print(s.CACHES['default']['BACKEND']); print(s.STORAGES['staticfiles']['BACKEND'])"
    )
    result = run_django(["-c", code], SECRET_KEY="x")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


def test_redis_url_switches_celery_and_cache_to_redis():
    code = (
        "from healthscore import settings as s; "
        "print(s.CELERY_BROKER_URL); print(s.CELERY_TASK_ALWAYS_EAGER); "
        "print(s.CACHES['default']['BACKEND'])"
    )
    result = run_django(["-c", code], SECRET_KEY="x", REDIS_URL="redis://cache:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "redis://cache:6379/0",
        "False",
        "healthscore.cache.ResilientRedisCache",
    ]
