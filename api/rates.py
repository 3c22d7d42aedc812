"""API rate limits from the environment. Pure: the settings module imports it."""

import os
import re

from django.core.exceptions import ImproperlyConfigured

_RATE = re.compile(r"([1-9][0-9]*)/(second|minute|hour|day|sec|min|s|m|h|d)")
_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def env_rate(name: str, default: str) -> str:
    """A DRF rate such as 600/minute, from the environment; fails loudly on a malformed one."""
    raw = os.environ.get(name, "").strip() or default
    if not _RATE.fullmatch(raw):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate; use requests/period, e.g. 600/minute "
            "(period: second, minute, hour or day)."
        )
    return raw


def describe(rate: str) -> str:
    """'600/minute' -> '600 requests per minute'."""
    count, period = rate.split("/")
    return f"{count} requests per {_UNITS[period[0]]}"
