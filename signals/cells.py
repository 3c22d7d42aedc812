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
from django.utils.translation import gettext_noop

from accounts.dates import EARLIEST, LATEST, in_window
from signals.messages import Message

# ---------------------------------------------------------------- reasons
# Marked here, translated when shown (signals.messages). `cell` is the cell as written.

LONGER = gettext_noop("is longer than %(max)s characters")
NOT_WHOLE = gettext_noop("'%(cell)s' is not a whole number")
OUT_OF_RANGE = gettext_noop("%(value)s is outside %(minimum)s–%(maximum)s")
NOT_A_NUMBER = gettext_noop("'%(cell)s' is not a number")
NOT_FINITE = gettext_noop("'%(cell)s' is not a finite number")
NEGATIVE = gettext_noop("%(cell)s is negative; it must be 0 or more")
TOO_MANY_DIGITS = gettext_noop("%(cell)s needs at most 10 digits before and 2 after the point")
NOT_A_DATE = gettext_noop("'%(cell)s' is not a date; use %(format)s")
NOT_A_DATETIME = gettext_noop("'%(cell)s' is not a date-time; use %(format)s")
OUTSIDE = gettext_noop("'%(cell)s' is outside %(earliest)s – %(latest)s")
OUTSIDE_UTC = gettext_noop("'%(cell)s' is outside %(earliest)s – %(latest)s (in UTC)")
FAR_ZONE = gettext_noop("'%(cell)s' has a time-zone offset beyond ±15:59")
NOT_ONE_OF = gettext_noop("'%(cell)s' is not one of: %(allowed)s")
NOT_BOOLEAN = gettext_noop("'%(cell)s' is not true or false")
NOT_EMAIL = gettext_noop("'%(cell)s' is not an e-mail address")
LONG_TAG = gettext_noop("tag '%(tag)s…' is longer than %(max)s characters")


def outside(cell: str, *, utc: bool = False) -> Message:
    """The reason a date (or a date-time, compared in UTC) outside the accepted window fails."""
    return Message(
        OUTSIDE_UTC if utc else OUTSIDE,
        cell=cell,
        earliest=EARLIEST.isoformat(),
        latest=LATEST.isoformat(),
    )


# ---------------------------------------------------------------- cell parsers
# Each takes a stripped, non-empty cell and returns a value or raises ValueError(reason), the
# reason a Message: put into words in the language of whoever reads it.
# They run once per cell of files with millions of cells, so the common case comes first.


def text(max_length: int) -> Callable[[str], str]:
    def parse(cell: str) -> str:
        if len(cell) > max_length:
            raise ValueError(Message(LONGER, max=max_length))
        return cell

    return parse


def whole_number(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    def parse(cell: str) -> int:
        try:
            value = int(cell)
        except ValueError:
            raise ValueError(Message(NOT_WHOLE, cell=cell)) from None
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            raise ValueError(Message(OUT_OF_RANGE, value=value, minimum=minimum, maximum=maximum))
        return value

    return parse


def number(cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(Message(NOT_A_NUMBER, cell=cell)) from None
    if 0 <= value < math.inf:  # one test for the common case; NaN fails it too
        return value
    if not math.isfinite(value):
        raise ValueError(Message(NOT_FINITE, cell=cell))
    raise ValueError(Message(NEGATIVE, cell=cell))


def signed_number(cell: str) -> float:
    """A finite number of either sign (a KPI's target may be a fall: -5 % churn)."""
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(Message(NOT_A_NUMBER, cell=cell)) from None
    if not math.isfinite(value):
        raise ValueError(Message(NOT_FINITE, cell=cell))
    return value


CENT = Decimal("0.01")


def money(cell: str) -> Decimal:
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise ValueError(Message(NOT_A_NUMBER, cell=cell)) from None
    if not value.is_finite():
        raise ValueError(Message(NOT_FINITE, cell=cell))
    if value < 0:
        raise ValueError(Message(NEGATIVE, cell=cell))
    too_precise = value.as_tuple().exponent < -2  # type: ignore[operator]
    # 10.500 is 10.50; 10.005 would be rounded by the database, so it is refused instead.
    if value >= Decimal("1e10") or too_precise and value != value.quantize(CENT):
        raise ValueError(Message(TOO_MANY_DIGITS, cell=cell))
    return value.quantize(CENT) if too_precise else value


@lru_cache(maxsize=4096)  # a file repeats the same few hundred days over and over
def iso_date(cell: str) -> date:
    try:
        value = date.fromisoformat(cell)
    except ValueError:
        raise ValueError(Message(NOT_A_DATE, cell=cell, format="YYYY-MM-DD")) from None
    if not in_window(value):
        raise ValueError(outside(cell))
    return value


def iso_datetime(cell: str) -> datetime:
    try:
        value = datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError(
            Message(NOT_A_DATETIME, cell=cell, format="YYYY-MM-DDTHH:MM:SS+00:00")
        ) from None
    # A time without a zone is taken as UTC, the zone billing and help-desk exports use.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # Real zones lie within ±14 h; PostgreSQL refuses offsets past ±15:59.
    elif abs(value.utcoffset()) >= timedelta(hours=16):
        raise ValueError(Message(FAR_ZONE, cell=cell))
    if not in_window(value):
        raise ValueError(outside(cell, utc=True))
    return value


def choice(choices: type[models.TextChoices]) -> Callable[[str], str]:
    allowed = {value: value for value in choices.values}
    allowed.update({label.lower(): value for value, label in choices.choices})

    def parse(cell: str) -> str:
        value = allowed.get(cell.lower())
        if value is None:
            raise ValueError(Message(NOT_ONE_OF, cell=cell, allowed=", ".join(choices.values)))
        return value

    return parse


def boolean(cell: str) -> bool:
    lowered = cell.lower()
    if lowered in ("true", "1", "yes", "y", "t"):
        return True
    if lowered in ("false", "0", "no", "n", "f"):
        return False
    raise ValueError(Message(NOT_BOOLEAN, cell=cell))


def email(cell: str) -> str:
    try:
        validate_email(cell)
    except ValidationError:
        raise ValueError(Message(NOT_EMAIL, cell=cell)) from None
    return cell.lower()


TAG_SEPARATORS = re.compile(r"[;|]")


def tag_names(cell: str) -> tuple[str, ...]:
    """Tag names separated by ; or | ("billing; SSO|v2.4"), each once whatever its case."""
    names: dict[str, str] = {}
    for name in TAG_SEPARATORS.split(cell):
        name = " ".join(name.split())
        if len(name) > 64:
            raise ValueError(Message(LONG_TAG, tag=name[:64], max=64))
        if name:
            names.setdefault(name.lower(), name)
    return tuple(names.values())
