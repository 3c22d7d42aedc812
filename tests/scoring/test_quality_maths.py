"""The pure maths of score quality: ROC AUC (checked against scikit-learn), churn by colour,
the lift of the red band, calibration, and combining components under other weights."""

import random

import pytest
from sklearn.metrics import roc_auc_score

from scoring.quality import (
    Band,
    calibration,
    churn_by_colour,
    lift,
    normalised_weights,
    roc_auc,
    score_auc,
    weighted_score,
)


@pytest.mark.parametrize(
    ("values", "labels", "expected"),
    [
        ([1, 2, 3, 4], [False, False, True, True], 1.0),  # positives rank above every negative
        ([1, 2, 3, 4], [True, True, False, False], 0.0),
        ([1, 3, 2, 4], [False, False, True, True], 0.75),  # 3 of the 4 pairs in order
        ([5, 5, 5, 5], [True, False, True, False], 0.5),  # all tied: every pair counts half
        ([1, 2, 2, 3], [False, True, False, True], 0.875),  # (2 vs 2) counts half: 3.5 of 4
    ],
)
def test_auc_counts_pairs_in_order_and_ties_as_half(values, labels, expected):
    assert roc_auc(values, labels) == pytest.approx(expected)


def test_auc_needs_both_classes():
    assert roc_auc([1, 2, 3], [True, True, True]) is None
    assert roc_auc([1, 2, 3], [False, False, False]) is None
    assert roc_auc([], []) is None


def test_auc_refuses_mismatched_lengths_and_nan():
    with pytest.raises(ValueError):
        roc_auc([1, 2], [True])
    with pytest.raises(ValueError):
        roc_auc([1, float("nan")], [True, False])


@pytest.mark.parametrize("seed", range(25))
def test_auc_equals_sklearn_roc_auc_score_with_many_ties(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 400)
    # Scores on a coarse grid, so ties between and within classes are common.
    values = [float(rng.randint(0, 20)) for _ in range(n)]
    labels = [rng.random() < 0.3 for _ in range(n)]
    labels[0], labels[-1] = True, False  # both classes present
    assert roc_auc(values, labels) == pytest.approx(roc_auc_score(labels, values), abs=1e-12)


def test_score_auc_reads_a_low_health_score_as_a_churn_signal():
    scores = [20.0, 35.0, 80.0, 90.0]
    churned = [True, True, False, False]
    assert score_auc(scores, churned) == 1.0
    assert score_auc(scores, churned) == pytest.approx(
        roc_auc_score(churned, [100 - s for s in scores])
    )


def test_churn_by_colour_lists_every_colour_red_first():
    bands = churn_by_colour(
        [("red", True), ("red", False), ("green", False), ("green", False), ("yellow", True)]
    )
    assert [(b.name, b.n, b.churned) for b in bands] == [
        ("red", 2, 1),
        ("yellow", 1, 1),
        ("green", 2, 0),
        ("grey", 0, 0),
    ]
    assert bands[0].rate == 50.0
    assert bands[3].rate is None


def test_lift_is_the_bands_churn_rate_over_the_average():
    # Red: 3 of 10 churned (30 %); all: 5 of 100 (5 %) -> red churns 6 times as often.
    bands = [Band("red", 10, 3), Band("yellow", 30, 2), Band("green", 60, 0)]
    assert lift(bands) == pytest.approx(6.0)


def test_lift_is_unknown_without_red_accounts_or_without_churn():
    assert lift([Band("red", 0, 0), Band("green", 10, 1)]) is None
    assert lift([Band("red", 5, 0), Band("green", 10, 0)]) is None


def test_calibration_bins_scores_by_tenths_of_the_scale():
    scores = [0.0, 5.0, 9.99, 10.0, 55.0, 59.0, 99.0, 100.0]
    churned = [True, True, False, True, False, True, False, False]
    bins = calibration(scores, churned)
    assert len(bins) == 10
    assert (bins[0].name, bins[0].n, bins[0].churned) == ("0–10", 3, 2)
    assert (bins[1].n, bins[1].churned) == (1, 1)
    assert (bins[5].n, bins[5].churned, bins[5].mean_score) == (2, 1, 57.0)
    assert (bins[9].name, bins[9].n) == ("90–100", 2)  # 100 belongs to the top bin
    assert bins[3].n == 0 and bins[3].rate is None


def test_weighted_score_renormalises_over_the_components_with_data():
    weights = {"usage": 30.0, "nps": 10.0, "email": 60.0}
    assert weighted_score({"usage": 40.0, "nps": 80.0, "email": None}, weights) == 50.0
    assert weighted_score({"usage": None, "nps": None}, weights) is None
    # A zero weight neither counts nor divides.
    assert weighted_score({"usage": 40.0, "nps": 80.0}, {"usage": 1.0, "nps": 0.0}) == 40.0


def test_normalised_weights_clip_negatives_and_sum_to_100():
    assert normalised_weights({"a": 3.0, "b": 1.0, "c": -2.0}) == {"a": 75.0, "b": 25.0, "c": 0.0}
    assert normalised_weights({"a": -1.0, "b": 0.0}) == {"a": 0.0, "b": 0.0}


@pytest.mark.parametrize(
    ("scores", "red", "green", "expected"),
    [
        # Ten scores 10..100: the lowest 20 % red (below 30), the highest 30 % green (from 80).
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.2, 0.3, (30.0, 80.0)),
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.0, 0.5, (0.0, 60.0)),
        # Everyone alike: the green cut moves just above the yellow one, bands stay in order.
        ([50, 50, 50, 50], 0.25, 0.25, (50.0, 50.1)),
        ([], 0.15, 0.5, None),
    ],
)
def test_bands_from_shares(scores, red, green, expected):
    from scoring.quality import bands_from_shares

    assert bands_from_shares(scores, red_share=red, green_share=green) == expected


@pytest.mark.parametrize(("red", "green"), [(-0.1, 0.5), (0.6, 0.6), (0.1, 0.0), (1.0, 0.1)])
def test_bands_from_shares_refuses_shares_that_cannot_be(red, green):
    from scoring.quality import bands_from_shares

    with pytest.raises(ValueError, match="Shares"):
        bands_from_shares([1, 2, 3], red_share=red, green_share=green)
