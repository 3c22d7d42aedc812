"""Pure maths behind "does the score predict churn?": ROC AUC, churn rate by colour, the lift of
the red band, a calibration table, and scoring components under other weights.

No Django here (numpy only ranks large samples fast). Observations are (score, churned) pairs
— a stored snapshot's score on some day and whether that account churned in the following N
days — gathered by `reports.py`.

A health score is "higher is healthier", so the AUC is that of the score *predicting churn by
being low*: 1.0 means every churner scored below every account that stayed, 0.5 a coin toss.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

COLOURS = ("red", "yellow", "green", "grey")


def roc_auc(values: Sequence[float], positive: Sequence[bool]) -> float | None:
    """Area under the ROC curve of `values` ranking the positives above the negatives.

    The Mann–Whitney form: the share of (positive, negative) pairs in which the positive has
    the higher value, ties counted half — computed from mid-ranks, U = R₊ − n₊(n₊ + 1)/2 and
    AUC = U ÷ (n₊ n₋), in O(n log n) (numpy only sorts and sums: a score-quality page ranks a
    few hundred thousand snapshots). None when either class is empty (nothing to rank)."""
    if len(values) != len(positive):
        raise ValueError("values and labels differ in length")
    x = np.asarray(values, dtype=float)
    y = np.asarray(positive, dtype=bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    if np.isnan(x).any():
        raise ValueError("roc_auc cannot rank NaN values")
    # Tied values share the mean of the ranks they span: ranks start+1 .. end.
    _, group, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mid_ranks = ends - (counts - 1) / 2.0
    rank_sum = float(mid_ranks[group][y].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def score_auc(scores: Sequence[float], churned: Sequence[bool]) -> float | None:
    """AUC of a health score (0-100, high = healthy) as a predictor of churn."""
    return roc_auc([-s for s in scores], churned)


@dataclass(frozen=True)
class Band:
    """Churn among the observations of one colour (or score bin)."""

    name: str
    n: int
    churned: int

    @property
    def rate(self) -> float | None:
        return self.churned / self.n * 100.0 if self.n else None


def churn_by_colour(observations: Iterable[tuple[str, bool]]) -> list[Band]:
    """(colour, churned) pairs -> one Band per colour, red first; every colour listed."""
    n = dict.fromkeys(COLOURS, 0)
    churned = dict.fromkeys(COLOURS, 0)
    for colour, did_churn in observations:
        n[colour] = n.get(colour, 0) + 1
        churned[colour] = churned.get(colour, 0) + bool(did_churn)
    return [Band(c, n[c], churned[c]) for c in n]


def lift(bands: Sequence[Band], name: str = "red") -> float | None:
    """How many times likelier the band's accounts churned than the average account."""
    total_n = sum(b.n for b in bands)
    total_churned = sum(b.churned for b in bands)
    band = next((b for b in bands if b.name == name), None)
    if band is None or not band.n or not total_churned:
        return None
    return (band.churned / band.n) / (total_churned / total_n)


@dataclass(frozen=True)
class Bin(Band):
    low: float = 0.0
    high: float = 0.0
    mean_score: float | None = None


def calibration(scores: Sequence[float], churned: Sequence[bool], *, bins: int = 10) -> list[Bin]:
    """Observed churn per tenth of the score scale (0–9.9, 10–19.9, …, 90–100): a score that
    means something shows churn falling as the score rises."""
    width = 100.0 / bins
    n = [0] * bins
    events = [0] * bins
    totals = [0.0] * bins
    for score, did_churn in zip(scores, churned, strict=True):
        index = min(int(score // width), bins - 1) if score > 0 else 0
        n[index] += 1
        events[index] += bool(did_churn)
        totals[index] += score
    return [
        Bin(
            name=f"{i * width:g}–{(i + 1) * width:g}",
            n=n[i],
            churned=events[i],
            low=i * width,
            high=(i + 1) * width,
            mean_score=totals[i] / n[i] if n[i] else None,
        )
        for i in range(bins)
    ]


def weighted_score(
    components: Mapping[str, float | None], weights: Mapping[str, float]
) -> float | None:
    """Weighted mean of the component scores that have data, weights renormalised over them
    (as the scorecard combines them); None when no weighted component has data."""
    total = weight_sum = 0.0
    for key, weight in weights.items():
        score = components.get(key)
        if score is None or weight <= 0:
            continue
        total += score * weight
        weight_sum += weight
    return total / weight_sum if weight_sum > 0 else None


def normalised_weights(raw: Mapping[str, float], *, total: float = 100.0) -> dict[str, float]:
    """Clip negative weights to 0 and scale the rest to sum to `total` (1 decimal). All zero
    -> every weight 0 (there is nothing to suggest)."""
    clipped = {k: max(0.0, float(v)) if math.isfinite(v) else 0.0 for k, v in raw.items()}
    mass = sum(clipped.values())
    if mass <= 0:
        return dict.fromkeys(raw, 0.0)
    return {k: round(v / mass * total, 1) for k, v in clipped.items()}


def bands_from_shares(
    scores: Sequence[float], *, red_share: float, green_share: float
) -> tuple[float, float] | None:
    """Cut points (yellow_min, green_min) that colour the lowest `red_share` of `scores` red
    and the highest `green_share` green — bands set from the book's own score distribution,
    for when fixed bands leave red empty or swamped. Ties at a cut stay together, so a share
    can come out a little off. None without scores."""
    if not (0 <= red_share < 1 and 0 < green_share <= 1 and red_share + green_share <= 1):
        raise ValueError("Shares need 0 <= red < 1, 0 < green <= 1 and red + green <= 1.")
    if not scores:
        return None
    ordered = sorted(scores)
    n = len(ordered)
    # Red is "below yellow_min": the score just past the lowest red_share is the cut.
    yellow_min = ordered[min(n - 1, round(n * red_share))] if red_share else 0.0
    green_min = ordered[max(0, n - max(1, round(n * green_share)))]
    yellow_min = min(max(yellow_min, 0.0), 99.9)
    green_min = min(max(green_min, yellow_min + 0.1), 100.0)
    return round(yellow_min, 1), round(green_min, 1)
