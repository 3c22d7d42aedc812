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


def describe(rate: str) -> tuple[int, str]:
    """'600/minute' -> (600, 'minute'); '10/s' -> (10, 'second')."""
    count, period = rate.split("/")
    return int(count), _UNITS[period[0]]
