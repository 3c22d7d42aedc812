"""What a cell of an import may hold: one parser per type of value, each refusing a bad
cell with the reason the user reads."""

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from accounts.dates import OUTSIDE, in_window

# ---------------------------------------------------------------- cell parsers
# Each takes a stripped, non-empty cell and returns a value or raises ValueError(reason).
# They run once per cell of files with millions of cells, so the common case comes first.


def text(max_length: int) -> Callable[[str], str]:
    def parse(cell: str) -> str:
        if len(cell) > max_length:
            raise ValueError(f"is longer than {max_length} characters")
        return cell

    return parse


def whole_number(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    def parse(cell: str) -> int:
        try:
            value = int(cell)
        except ValueError:
            raise ValueError(f"'{cell}' is not a whole number") from None
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            raise ValueError(f"{value} is outside {minimum}–{maximum}")
        return value

    return parse


def number(cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a number") from None
    if 0 <= value < math.inf:  # one test for the common case; NaN fails it too
        return value
    if not math.isfinite(value):
        raise ValueError(f"'{cell}' is not a finite number")
    raise ValueError(f"{cell} is negative; it must be 0 or more")


def signed_number(cell: str) -> float:
    """A finite number of either sign (a KPI's target may be a fall: -5 % churn)."""
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"'{cell}' is not a finite number")
    return value


CENT = Decimal("0.01")


def money(cell: str) -> Decimal:
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise ValueError(f"'{cell}' is not a number") from None
    if not value.is_finite():
        raise ValueError(f"'{cell}' is not a finite number")
    if value < 0:
        raise ValueError(f"{cell} is negative; it must be 0 or more")
    too_precise = value.as_tuple().exponent < -2  # type: ignore[operator]
    # 10.500 is 10.50; 10.005 would be rounded by the database, so it is refused instead.
    if value >= Decimal("1e10") or too_precise and value != value.quantize(CENT):
        raise ValueError(f"{cell} needs at most 10 digits before and 2 after the point")
    return value.quantize(CENT) if too_precise else value


@lru_cache(maxsize=4096)  # a file repeats the same few hundred days over and over
def iso_date(cell: str) -> date:
    try:
        value = date.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a date; use YYYY-MM-DD") from None
    if not in_window(value):
        raise ValueError(f"'{cell}' {OUTSIDE}")
    return value


def iso_datetime(cell: str) -> datetime:
    try:
        value = datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"'{cell}' is not a date-time; use YYYY-MM-DDTHH:MM:SS+00:00") from None
    # A time without a zone is taken as UTC, the zone billing and help-desk exports use.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # Real zones lie within ±14 h; PostgreSQL refuses offsets past ±15:59.
    elif abs(value.utcoffset()) >= timedelta(hours=16):
        raise ValueError(f"'{cell}' has a time-zone offset beyond ±15:59")
    if not in_window(value):
        raise ValueError(f"'{cell}' {OUTSIDE} (in UTC)")
    return value


def choice(choices: type[models.TextChoices]) -> Callable[[str], str]:
    allowed = {value: value for value in choices.values}
    allowed.update({label.lower(): value for value, label in choices.choices})

    def parse(cell: str) -> str:
        value = allowed.get(cell.lower())
        if value is None:
            raise ValueError(f"'{cell}' is not one of: {', '.join(choices.values)}")
        return value

    return parse


def boolean(cell: str) -> bool:
    lowered = cell.lower()
    if lowered in ("true", "1", "yes", "y", "t"):
        return True
    if lowered in ("false", "0", "no", "n", "f"):
        return False
    raise ValueError(f"'{cell}' is not true or false")


def email(cell: str) -> str:
    try:
        validate_email(cell)
    except ValidationError:
        raise ValueError(f"'{cell}' is not an e-mail address") from None
    return cell.lower()


TAG_SEPARATORS = re.compile(r"[;|]")


def tag_names(cell: str) -> tuple[str, ...]:
    """Tag names separated by ; or | ("billing; SSO|v2.4"), each once whatever its case."""
    names: dict[str, str] = {}
    for name in TAG_SEPARATORS.split(cell):
        name = " ".join(name.split())
        if len(name) > 64:
            raise ValueError(f"tag '{name[:64]}…' is longer than 64 characters")
        if name:
            names.setdefault(name.lower(), name)
    return tuple(names.values())
