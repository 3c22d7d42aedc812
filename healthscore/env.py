"""Typed readers for configuration from environment variables.

Each reader fails loudly, naming the variable, so a typo in production stops start-up
instead of silently falling back to a default.
"""

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    # Empty means unset (as for numbers): `EMAIL_USE_TLS=` in an env file must not turn TLS off.
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"from {minimum}" if minimum is not None else ""
        bounds += f" up to {maximum}" if maximum is not None else ""
        raise ImproperlyConfigured(
            f"{name}={raw!r} is out of range; use a number {bounds.strip()}."
        )
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw in choices:
        return raw
    raise ImproperlyConfigured(f"{name}={raw!r} is not one of {', '.join(choices)}.")


def env_log_level(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.upper() in _LOG_LEVELS:
        return raw.upper()
    raise ImproperlyConfigured(f"{name}={raw!r} is not one of {', '.join(_LOG_LEVELS)}.")


def env_timezone(name: str, default: str) -> str:
    """An IANA time zone name such as Europe/Berlin."""
    raw = os.environ.get(name, "").strip() or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a time zone; use an IANA name such as Europe/Berlin."
        ) from None
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default: str) -> dict:
    """Parse a database URL such as postgres://user:pass@host:5432/db."""
    import dj_database_url

    raw = os.environ.get(name) or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} names no supported database engine.")
    if not config.get("NAME") and not config.get("OPTIONS", {}).get("service"):
        raise ImproperlyConfigured(f"{name} names no database, e.g. postgres://user@host:5432/db.")
    return config


def env_redis_url(name: str) -> str:
    raw = os.environ.get(name, "").strip()
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        # Name only the scheme: the rest of the URL may hold a password.
        scheme = raw.split("://", 1)[0] + "://" if "://" in raw else "no scheme"
        raise ImproperlyConfigured(
            f"{name} starts with {scheme}; it must start with redis://, rediss:// or unix://."
        )
    return raw
