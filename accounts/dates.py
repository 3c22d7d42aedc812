"""The window of dates the app accepts: 1900-01-01 to 2199-12-31, wherever data comes in.

Python's dates end in 9999, PostgreSQL's much later; a date-time in a far zone can be in year
9999 locally and 10000 in UTC, which the database stores but Python cannot read back (every
page showing it fails). No customer fact is older than 1900 or later than 2199, so anything
outside is a typo or a probe and is refused when it arrives. Date-times are compared in UTC.

This sits in the bottom app because every app takes dates (accounts: churn dates).
"""

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)

_START = datetime(EARLIEST.year, 1, 1, tzinfo=UTC)
_END = datetime(LATEST.year + 1, 1, 1, tzinfo=UTC)  # exclusive


def in_window(value: date | datetime) -> bool:
    """Whether a date, or a date-time (naive ones are taken as UTC), lies in the window."""
    if isinstance(value, datetime):
        # Comparing aware date-times works on their UTC instants without converting either
        # (converting 9999-12-31T23:30-15:00 to UTC overflows).
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return _START <= value < _END
    return EARLIEST <= value <= LATEST


def validate_in_window(value: date | datetime | None) -> None:
    """A form field validator."""
    if value is not None and not in_window(value):
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="window",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )


class DateWindowAdmin:
    """ModelAdmin mixin: every date and date-time field of the form refuses dates outside the
    window, as the import and the API do."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if isinstance(db_field, models.DateField) and formfield is not None:
            formfield.validators = [*formfield.validators, validate_in_window]
        return formfield
