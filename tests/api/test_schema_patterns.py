"""The date window as the schema's patterns state it: never wider than what a write accepts."""

import itertools
import re

import pytest

from api.schema import DATE_PATTERN, DATE_TIME_PATTERN
from signals.cells import iso_date, iso_datetime

DAYS = ["1899-12-31", "1900-01-01", "1900-01-02", "2026-06-15", "2199-12-30", "2199-12-31"]
TIMES = ["00:00:00", "00:30:00", "11:59:59.5", "23:59:59"]
OFFSETS = ["Z", "+00:00", "-00:00", "+01:00", "-01:00", "+15:59", "-15:59", "+16:00", "-23:59"]


def accepted(parse, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("day", [*DAYS, "2200-01-01"])
def test_the_date_pattern_is_the_window(day):
    assert bool(re.search(DATE_PATTERN, day)) == accepted(iso_date, day)


def test_a_date_time_the_pattern_admits_is_accepted():
    admitted = 0
    for day, time, offset in itertools.product(DAYS, TIMES, OFFSETS):
        text = f"{day}T{time}{offset}"
        if re.search(DATE_TIME_PATTERN, text):
            admitted += 1
            assert accepted(iso_datetime, text), text
    assert admitted > len(DAYS) * len(TIMES) * 4  # and it admits plenty
    assert not re.search(DATE_TIME_PATTERN, "9999-12-31T23:30:00-15:00")
