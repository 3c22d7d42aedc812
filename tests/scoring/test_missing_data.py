"""The missing-data rules, judged by source: pure tables of cases, no database."""

from datetime import date

import pytest

from scoring.explanations import change_sentences as changes
from scoring.explanations import driver_sentences as drivers
from scoring.maths import Bands, Component, State, combine, component_state
from scoring.measures import age_days, days_in_window

BANDS = Bands()


@pytest.mark.parametrize(
    ("book_has_source", "has_value", "age", "needs", "expected"),
    [
        # The book has no data of the source at all: not measured, whatever the account has.
        (False, False, 400, 30, State.NOT_MEASURED),
        (False, True, 400, 30, State.NOT_MEASURED),  # e.g. "0 ticket-days open" of nobody
        (False, False, 3, 30, State.NOT_MEASURED),
        # The book has it: a value scores, at any age.
        (True, True, 400, 30, State.SCORED),
        (True, True, 0, 180, State.SCORED),
        # Missing for an account old enough: it counts against the account.
        (True, False, 400, 180, State.NO_DATA),
        (True, False, 180, 180, State.NO_DATA),
        (True, False, None, 30, State.NO_DATA),  # no known start: no excuse
        # Missing for an account younger than the component needs: left out for it alone.
        (True, False, 179, 180, State.NEW),
        (True, False, 10, 60, State.NEW),  # a 30-day trend needs both windows
    ],
)
def test_component_state(book_has_source, has_value, age, needs, expected):
    state = component_state(
        book_has_source=book_has_source,
        has_value=has_value,
        account_age_days=age,
        needs_days=needs,
    )
    assert state is expected


def comp(key, score, weight, state=None, **extra):
    return Component(key=key, label=key, raw=None, score=score, weight=weight, state=state, **extra)


@pytest.mark.parametrize(
    ("components", "score", "coverage"),
    [
        # Sources the book lacks count neither for nor against: not in the mean, not in coverage.
        (
            [comp("usage", 40, 30), comp("tickets", None, 10, State.NOT_MEASURED)],
            40.0,
            1.0,
        ),
        # A component too new for the account is left out for it alone.
        ([comp("usage", 40, 30), comp("trend", None, 10, State.NEW)], 40.0, 1.0),
        # No data where the book has the source lowers coverage, and below 0.5 it is grey.
        ([comp("usage", 40, 30), comp("nps", None, 40, State.NO_DATA)], None, 30 / 70),
        ([comp("usage", 40, 30), comp("nps", None, 20, State.NO_DATA)], 40.0, 0.6),
        # Nothing measured at all: grey, never a guess.
        ([comp("a", None, 10, State.NOT_MEASURED)], None, 0.0),
    ],
)
def test_combine_leaves_out_what_is_not_measured_or_too_new(components, score, coverage):
    health = combine(components, bands=BANDS, min_coverage=0.5)
    assert health.score == score
    assert health.coverage == pytest.approx(coverage)


def test_a_state_other_than_scored_cannot_carry_a_score():
    with pytest.raises(ValueError, match="SCORED"):
        comp("usage", 50, 10, State.NOT_MEASURED)
    with pytest.raises(ValueError, match="SCORED"):
        comp("usage", None, 10, State.SCORED)


def test_a_score_without_a_state_is_scored_and_none_is_no_data():
    assert comp("a", 10, 1).state is State.SCORED
    assert comp("a", None, 1).state is State.NO_DATA


def test_a_usage_driver_names_its_weakest_metric():
    usage = comp(
        "usage",
        35.0,
        30,
        metrics=(("logins", 4.2, 60.0), ("reports_created", 0.1, 10.0)),
        unit="a day",
    )
    health = combine([usage, comp("age", 100, 10)], bands=BANDS)
    assert drivers(health)[0] == (
        "usage (lowest: reports_created, 0.1 a day) scores 35/100 and costs 48.8 points."
    )


@pytest.mark.parametrize(
    ("day", "window", "start", "expected"),
    [
        (date(2026, 6, 30), 30, date(2025, 1, 1), 30),  # older than the window: all of it
        (date(2026, 6, 30), 30, date(2026, 6, 1), 30),  # exactly the window
        (date(2026, 6, 30), 30, date(2026, 6, 21), 10),  # 10 days old: 10 days
        (date(2026, 6, 30), 30, date(2026, 6, 30), 1),  # first day
        (date(2026, 6, 30), 30, None, 30),  # unknown start
    ],
)
def test_days_in_window(day, window, start, expected):
    assert days_in_window(day, window, start) == expected


def test_age_counts_from_the_first_subscription_day():
    assert age_days(date(2026, 6, 30), date(2026, 6, 30)) == 0
    assert age_days(date(2026, 6, 30), date(2026, 1, 1)) == 180
    assert age_days(date(2026, 6, 30), None) is None


def test_a_source_that_leaves_the_book_is_said_to_be_not_measured_not_missing():

    before = combine([comp("usage", 50, 30), comp("email", 90, 10)], bands=BANDS)
    after = combine(
        [comp("usage", 50, 30), comp("email", None, 10, State.NOT_MEASURED)], bands=BANDS
    )
    assert changes(before, after)[-1] == (
        "email: 90/100 before, not measured now (no account has data from this source)."
    )


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([(69.9, 1), (70.0, 1)], 70.0),  # exactly 69.95: up, and green
        ([(70.0, 1), (69.9, 1)], 70.0),  # the same in another order
        ([(39.9, 1), (40.0, 1)], 40.0),  # 39.95
        ([(60.1, 3), (89.5, 1)], 67.5),  # 67.45 from weights 3 and 1
        ([(30.0, 1), (33.3, 1)], 31.7),  # 31.65, which the float sum puts a hair below
        ([(30.0, 25), (34.4, 15)], 31.7),
        ([(30.0, 1), (42.1, 1)], 36.1),
        ([(60.1, 3), (89.4, 1)], 67.4),  # 67.425: not a half, nearest
    ],
)
def test_a_mean_of_exactly_a_half_rounds_up_whatever_the_float_sum(scores, expected):
    components = [comp(f"c{i}", s, w) for i, (s, w) in enumerate(scores)]
    assert combine(components, bands=BANDS).score == expected


def test_after_a_scorecard_change_components_are_not_compared():

    before = combine([comp("usage", 50, 30)], bands=BANDS)
    after = combine([comp("usage", 50, 30), comp("age", 100, 10)], bands=BANDS)
    assert changes(before, after, new_scorecard="Default (v2)") == [
        "Score rose from 50 to 62.5 (+12.5).",
        "Now scored by Default (v2), so its components are not compared.",
    ]
    assert "age: no data before, now 100/100." in changes(before, after)
