"""Tests for the pure scoring maths: no database, no Django."""

import math
import random
import time

import pytest

from scoring.explanations import change_sentences as changes
from scoring.explanations import driver_sentences as drivers
from scoring.maths import (
    Bands,
    Colour,
    Component,
    Health,
    Method,
    combine,
    component_score,
    percentile_scores,
    relative_change,
    score_delta,
    threshold_score,
)

BANDS = Bands()


def comp(
    key: str,
    score: float | None,
    weight: float = 1.0,
    *,
    raw: float | None = None,
    critical: bool = False,
    unit: str = "",
    label: str | None = None,
) -> Component:
    return Component(
        key=key,
        label=label or key.capitalize(),
        raw=raw,
        score=score,
        weight=weight,
        critical=critical,
        unit=unit,
    )


def health(*components: Component, min_coverage: float = 0.5) -> Health:
    return combine(components, bands=BANDS, min_coverage=min_coverage)


# --- Bands -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, Colour.RED),
        (39.9, Colour.RED),
        (40, Colour.YELLOW),
        (69.9, Colour.YELLOW),
        (70, Colour.GREEN),
        (100, Colour.GREEN),
        (None, Colour.GREY),
    ],
)
def test_default_bands_colour_scores_at_their_exact_edges(score, expected):
    assert BANDS.colour(score) is expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [(49.9, Colour.RED), (50, Colour.YELLOW), (79.9, Colour.YELLOW), (80, Colour.GREEN)],
)
def test_custom_bands_move_the_colour_edges(score, expected):
    assert Bands(green_min=80, yellow_min=50).colour(score) is expected


@pytest.mark.parametrize(
    ("green_min", "yellow_min"),
    [(40, 40), (40, 70), (101, 40), (70, -1), (math.nan, 40), (70, math.nan)],
)
def test_invalid_bands_are_rejected_with_a_clear_message(green_min, yellow_min):
    with pytest.raises(ValueError, match="0 <= yellow_min < green_min <= 100"):
        Bands(green_min=green_min, yellow_min=yellow_min)


def test_widest_possible_bands_are_accepted():
    bands = Bands(green_min=100, yellow_min=0)
    assert (bands.colour(0), bands.colour(99.9), bands.colour(100)) == (
        Colour.YELLOW,
        Colour.YELLOW,
        Colour.GREEN,
    )


# --- threshold_score -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "poor", "good", "expected"),
    [
        # higher is better
        (0, 0, 10, 0),
        (2.5, 0, 10, 25),
        (5, 0, 10, 50),
        (10, 0, 10, 100),
        # lower is better (e.g. days overdue: 60 is poor, 0 is good)
        (60, 60, 0, 0),
        (45, 60, 0, 25),
        (30, 60, 0, 50),
        (0, 60, 0, 100),
        # clamped outside the poor..good range
        (-5, 0, 10, 0),
        (20, 0, 10, 100),
        (90, 60, 0, 0),
        (-10, 60, 0, 100),
    ],
)
def test_threshold_score_interpolates_linearly_and_clamps(value, poor, good, expected):
    assert threshold_score(value, poor=poor, good=good) == pytest.approx(expected)


def test_threshold_score_has_no_cliff_edge_between_neighbouring_values():
    below = threshold_score(4.9, poor=0, good=10)
    above = threshold_score(5.1, poor=0, good=10)
    assert above - below == pytest.approx(2.0)


def test_threshold_score_rejects_equal_poor_and_good():
    with pytest.raises(ValueError, match="poor and good must differ"):
        threshold_score(5, poor=3, good=3)


# --- percentile_scores -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "higher_is_better", "expected"),
    [
        ({"a": 1, "b": 2, "c": 3}, True, {"a": 0, "b": 50, "c": 100}),
        ({"a": 1, "b": 2, "c": 3}, False, {"a": 100, "b": 50, "c": 0}),
        # ties share their mid-rank
        ({"a": 1, "b": 2, "c": 2, "d": 3}, True, {"a": 0, "b": 50, "c": 50, "d": 100}),
        ({"a": 1, "b": 1, "c": 5}, True, {"a": 25, "b": 25, "c": 100}),
        ({"a": 1, "b": 1, "c": 5}, False, {"a": 75, "b": 75, "c": 0}),
        # insertion order does not matter
        (
            {"e": 50, "a": 10, "d": 40, "b": 20, "c": 30},
            True,
            {k: v for k, v in zip("abcde", (0, 25, 50, 75, 100), strict=True)},
        ),
        # all tied, single, empty
        ({"a": 7, "b": 7, "c": 7}, True, {"a": 50, "b": 50, "c": 50}),
        ({"a": 3}, True, {"a": 50}),
        ({"a": 3}, False, {"a": 50}),
        ({}, True, {}),
    ],
)
def test_percentile_scores_rank_with_mid_rank_ties(values, higher_is_better, expected):
    result = percentile_scores(values, higher_is_better=higher_is_better)
    assert result == pytest.approx(expected)
    assert list(result) == list(values)  # every key, in the caller's order


def test_percentile_scores_match_the_formula_on_random_data_with_ties():
    rng = random.Random(42)
    values = {i: float(rng.randint(0, 20)) for i in range(300)}
    n = len(values)
    result = percentile_scores(values)
    for key, v in values.items():
        worse = sum(1 for w in values.values() if w < v)
        equal = sum(1 for w in values.values() if w == v)
        assert result[key] == pytest.approx(100 * (worse + 0.5 * (equal - 1)) / (n - 1))


def test_percentile_scores_accept_keys_that_cannot_be_ordered():
    assert percentile_scores({1: 5.0, "x": 3.0, (2,): 5.0}) == {1: 75.0, "x": 0.0, (2,): 75.0}


def test_percentile_scores_reject_nan():
    with pytest.raises(ValueError, match="NaN"):
        percentile_scores({"a": 1.0, "b": math.nan})


def test_percentile_scores_handle_100000_accounts_quickly():
    rng = random.Random(7)
    values = {f"acct-{i}": float(rng.randint(0, 1000)) for i in range(100_000)}
    start = time.perf_counter()
    result = percentile_scores(values)
    # A quadratic implementation takes minutes here; O(n log n) takes well under a second.
    assert time.perf_counter() - start < 5
    assert len(result) == 100_000
    assert min(result.values()) >= 0 and max(result.values()) <= 100


# --- relative_change -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (110, 100, 10.0),
        (90, 100, -10.0),
        (0, 100, -100.0),
        (100, 100, 0.0),
        (0, 0, 0.0),  # nothing before, nothing now: no change
        (5, 0, None),  # no baseline to compare with
        (None, 100, None),
        (100, None, None),
        (None, None, None),
        (-5, -10, 50.0),  # a negative baseline keeps "up" positive
    ],
)
def test_relative_change_edge_cases(current, previous, expected):
    result = relative_change(current, previous)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


# --- component_score -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "raw", "poor", "good", "expected"),
    [
        (Method.THRESHOLD, 5, 0, 10, 50.0),
        (Method.THRESHOLD, 45, 60, 0, 25.0),
        (Method.TREND, -20, -50, 0, 60.0),  # raw is a percent change
        (Method.TREND, 30, -50, 0, 100.0),
        (Method.THRESHOLD, None, 0, 10, None),
        (Method.TREND, None, -50, 0, None),
    ],
)
def test_component_score_for_threshold_and_trend(method, raw, poor, good, expected):
    result = component_score(method, raw, poor=poor, good=good)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize("raw", [10.0, None])
def test_component_score_refuses_percentile_which_needs_the_population(raw):
    with pytest.raises(ValueError, match="percentile_scores"):
        component_score(Method.PERCENTILE, raw, poor=None, good=None)


@pytest.mark.parametrize(("poor", "good"), [(None, 10), (0, None)])
def test_component_score_needs_both_poor_and_good(poor, good):
    with pytest.raises(ValueError, match="poor and good"):
        component_score(Method.THRESHOLD, 5, poor=poor, good=good)


@pytest.mark.parametrize(
    ("score", "weight"), [(50, -1), (50, math.nan), (50, math.inf), (-0.1, 1), (100.1, 1)]
)
def test_component_rejects_negative_weight_or_score_outside_0_to_100(score, weight):
    with pytest.raises(ValueError, match="usage"):
        comp("usage", score, weight)


# --- combine ---------------------------------------------------------------------------------


def test_overall_score_is_the_weighted_mean_of_components():
    h = health(comp("usage", 80, 2), comp("nps", 50, 1))
    assert h.score == 70.0
    assert h.colour is Colour.GREEN
    assert h.coverage == 1.0
    assert [p.share for p in h.parts] == pytest.approx([2 / 3, 1 / 3])
    assert [p.contribution for p in h.parts] == pytest.approx([160 / 3, 50 / 3])
    assert h.critical_override is None


def test_missing_components_are_left_out_and_the_rest_renormalised():
    h = health(comp("usage", 80, 2), comp("nps", None, 1), comp("support", 50, 1))
    assert h.score == 70.0
    assert h.coverage == pytest.approx(0.75)
    assert [p.component.key for p in h.parts] == ["usage", "nps", "support"]
    assert [p.share for p in h.parts] == pytest.approx([2 / 3, 0, 1 / 3])
    assert [p.contribution for p in h.parts] == pytest.approx([160 / 3, 0, 50 / 3])


def test_score_is_rounded_to_one_decimal():
    assert health(comp("a", 100), comp("b", 0), comp("c", 0)).score == 33.3


def test_colour_follows_the_rounded_score_shown_to_the_user():
    h = health(comp("usage", 69.96))
    assert (h.score, h.colour) == (70.0, Colour.GREEN)


@pytest.mark.parametrize(
    ("components", "min_coverage"),
    [
        ((comp("usage", 80), comp("nps", None), comp("support", None)), 0.5),
        ((comp("usage", 80, 3), comp("nps", None, 1)), 0.8),
        ((comp("usage", None), comp("nps", None)), 0.5),
    ],
)
def test_account_is_grey_with_no_score_when_coverage_is_below_minimum(components, min_coverage):
    h = combine(components, bands=BANDS, min_coverage=min_coverage)
    assert h.score is None
    assert h.colour is Colour.GREY
    assert h.critical_override is None


@pytest.mark.parametrize(
    ("weights", "min_coverage"),
    [((1, 1), 0.5), ((0.35, 0.05, 0.4), 0.5), ((0.7, 0.1, 0.2), 0.8)],
)
def test_coverage_exactly_at_the_minimum_is_enough(weights, min_coverage):
    # All but the last component have data: coverage equals min_coverage up to float error.
    components = [comp(f"c{i}", 60, w) for i, w in enumerate(weights[:-1])]
    components.append(comp("missing", None, weights[-1]))
    h = combine(components, bands=BANDS, min_coverage=min_coverage)
    assert h.coverage == pytest.approx(min_coverage)
    assert h.score == 60.0


@pytest.mark.parametrize(
    "components",
    [(), (comp("usage", 80, 0), comp("nps", 20, 0)), (comp("usage", None, 0),)],
)
def test_zero_total_weight_gives_zero_coverage_and_grey(components):
    h = combine(components, bands=BANDS)
    assert (h.score, h.colour, h.coverage) == (None, Colour.GREY, 0.0)
    assert all(p.share == 0 and p.contribution == 0 for p in h.parts)
    assert len(h.parts) == len(components)


def test_zero_weight_component_is_listed_with_zero_share_and_does_not_move_the_score():
    h = health(comp("usage", 80, 1), comp("beta", 0, 0))
    assert h.score == 80.0
    assert [(p.component.key, p.share, p.contribution) for p in h.parts] == [
        ("usage", 1.0, 80.0),
        ("beta", 0.0, 0.0),
    ]


def test_account_is_red_when_critical_invoice_signal_is_red():
    h = health(comp("usage", 100, 3), comp("invoices", 0, 1, critical=True))
    assert h.score == 75.0  # the mean itself is untouched
    assert h.colour is Colour.RED
    assert h.critical_override == "invoices"


def test_same_account_without_the_critical_flag_is_green():
    h = health(comp("usage", 100, 3), comp("invoices", 0, 1))
    assert (h.score, h.colour, h.critical_override) == (75.0, Colour.GREEN, None)


@pytest.mark.parametrize("invoice_score", [40, 69.9, 100, None])
def test_critical_component_that_is_not_red_changes_nothing(invoice_score):
    h = health(comp("usage", 100, 3), comp("invoices", invoice_score, 1, critical=True))
    assert h.colour is Colour.GREEN
    assert h.critical_override is None


def test_critical_red_signal_makes_account_red_even_with_insufficient_coverage():
    h = health(comp("invoices", 0, 1, critical=True), comp("usage", None, 2), comp("nps", None, 2))
    assert h.score is None
    assert h.colour is Colour.RED
    assert h.critical_override == "invoices"


def test_worst_of_several_critical_red_signals_is_named():
    h = health(
        comp("invoices", 30, critical=True),
        comp("outage", 10, critical=True),
        comp("usage", 100, 5),
    )
    assert h.critical_override == "outage"


@pytest.mark.parametrize("min_coverage", [-0.1, 1.1])
def test_min_coverage_outside_0_to_1_is_rejected(min_coverage):
    with pytest.raises(ValueError, match="min_coverage"):
        combine([comp("usage", 50)], bands=BANDS, min_coverage=min_coverage)


# --- drivers ---------------------------------------------------------------------------------


def test_driver_sentence_names_raw_value_score_and_points_lost():
    h = health(
        comp("invoices", 0, 18, raw=64, unit="days overdue"),
        comp("usage", 100, 82, raw=120, unit="logins"),
    )
    assert drivers(h) == ["Invoices: 64 days overdue scores 0/100 and costs 18 points."]


@pytest.mark.parametrize(
    ("limit", "expected_keys"),
    [
        (3, ["usage", "nps", "support"]),
        (2, ["usage", "nps"]),
        (10, ["usage", "nps", "support", "adoption"]),
        (0, []),
    ],
)
def test_drivers_are_ordered_by_points_lost_worst_first_ties_by_key(limit, expected_keys):
    # Equal weights, share 0.2 each: lost = (100 - score) * 0.2.
    h = health(
        comp("adoption", 75, label="adoption"),  # loses 5
        comp("support", 50, label="support"),  # loses 10
        comp("usage", 0, label="usage"),  # loses 20
        comp("nps", 50, label="nps"),  # loses 10, before support by key
        comp("csm", 100, label="csm"),  # loses nothing
    )
    assert [s.split(" ")[0] for s in drivers(h, limit=limit)] == expected_keys


def test_drivers_skip_components_without_data_or_with_nothing_lost():
    h = health(comp("usage", 100), comp("nps", None), comp("beta", 0, 0))
    assert drivers(h) == []


def test_critical_override_gets_its_own_first_sentence():
    h = health(
        comp("usage", 100, 3, raw=120, unit="logins"),
        comp("invoices", 0, 1, raw=64, unit="days overdue", critical=True),
    )
    assert drivers(h) == [
        "Invoices is critical and red, so the account is red whatever the other signals say.",
        "Invoices: 64 days overdue scores 0/100 and costs 25 points.",
    ]
    assert drivers(h, limit=0) == [
        "Invoices is critical and red, so the account is red whatever the other signals say."
    ]


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        (
            comp("trend", 33.333, raw=-12.34, unit="%", label="Usage trend"),
            "Usage trend: -12.3% scores 33.3/100 and costs 66.7 points.",
        ),
        (
            comp("nps", 99, raw=9, label="NPS"),
            "NPS: 9 scores 99/100 and costs 1 point.",
        ),
        (
            comp("sentiment", 40.0, raw=None, label="CSM sentiment"),
            "CSM sentiment scores 40/100 and costs 60 points.",
        ),
    ],
)
def test_driver_numbers_are_formatted_for_people(component, expected):
    assert drivers(health(component)) == [expected]


# --- changes ---------------------------------------------------------------------------------


def test_first_snapshot_is_said_as_such():
    assert changes(None, health(comp("usage", 70))) == ["First snapshot."]


def test_nothing_changed_gives_no_sentences():
    h = health(comp("usage", 70), comp("nps", 40))
    assert changes(h, health(comp("usage", 70), comp("nps", 40))) == []


def test_score_fall_colour_change_and_component_move_are_described():
    before = health(comp("usage", 72, label="Usage"))
    after = health(comp("usage", 58, label="Usage"))
    assert changes(before, after) == [
        "Score fell from 72 to 58 (-14).",
        "Turned yellow (was green).",
        "Usage fell from 72/100 to 58/100 (-14).",
    ]


def test_score_rise_with_decimals_is_described_with_a_plus_sign():
    before = health(comp("usage", 58))
    after = health(comp("usage", 72.5))
    assert changes(before, after)[:2] == [
        "Score rose from 58 to 72.5 (+14.5).",
        "Turned green (was yellow).",
    ]


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [(60, 65, True), (60, 55, True), (60, 64.9, False), (60, 55.1, False)],
)
def test_component_move_is_reported_only_from_min_points(old, new, reported):
    # A 10x heavier steady component keeps the overall colour and move small.
    before = health(comp("steady", 50, 10), comp("nps", old, label="NPS"))
    after = health(comp("steady", 50, 10), comp("nps", new, label="NPS"))
    component_lines = [s for s in changes(before, after) if s.startswith("NPS")]
    assert bool(component_lines) is reported


def test_component_moves_are_listed_biggest_first():
    before = health(comp("usage", 60), comp("nps", 50), comp("support", 50))
    after = health(comp("usage", 40), comp("nps", 80), comp("support", 40))
    component_lines = [s for s in changes(before, after) if not s.startswith(("Score", "Turned"))]
    assert component_lines == [
        "Nps rose from 50/100 to 80/100 (+30).",
        "Usage fell from 60/100 to 40/100 (-20).",
        "Support fell from 50/100 to 40/100 (-10).",
    ]


def test_component_gaining_or_losing_data_is_described():
    before = health(comp("usage", 60), comp("nps", None, label="NPS"), comp("csm", 50, label="CSM"))
    after = health(comp("usage", 60), comp("nps", 30, label="NPS"), comp("csm", None, label="CSM"))
    assert changes(before, after)[-2:] == [
        "CSM: 50/100 before, no data now.",
        "NPS: no data before, now 30/100.",
    ]


def test_losing_enough_data_to_score_is_described():
    before = health(comp("usage", 80), comp("nps", 80))
    after = health(comp("usage", None), comp("nps", 80), min_coverage=0.6)
    assert changes(before, after)[:2] == [
        "Not enough data to score now (was 80).",
        "Turned grey (was green).",
    ]


def test_regaining_enough_data_to_score_is_described():
    before = health(comp("usage", None), comp("nps", 80), min_coverage=0.6)
    after = health(comp("usage", 80), comp("nps", 80))
    assert changes(before, after)[:2] == [
        "Score is now 80 (not enough data before).",
        "Turned green (was grey).",
    ]


def test_component_added_to_the_scorecard_counts_as_gaining_data():
    before = health(comp("usage", 60))
    after = health(comp("usage", 60), comp("nps", 60, label="NPS"))
    assert changes(before, after) == ["NPS: no data before, now 60/100."]


# --- score_delta -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "earlier", "expected"),
    [
        (58, 72, -14.0),
        (72.5, 70, 2.5),
        (70.04, 70, 0.0),
        (70.26, 70.1, 0.2),
        (None, 70, None),
        (70, None, None),
        (None, None, None),
    ],
)
def test_score_delta_is_rounded_and_none_when_a_score_is_missing(current, earlier, expected):
    assert score_delta(current, earlier) == expected


def test_score_delta_never_returns_negative_zero():
    assert math.copysign(1, score_delta(70, 70.04)) == 1.0
