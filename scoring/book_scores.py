"""A scorecard's accounts scored all at once, column by column with numpy: the recompute's
hot path.

`scoring.maths` says what a score is — `threshold_score`, `percentile_against`,
`component_state` and `combine` for one account; this module does the same arithmetic on a
column of 100,000 accounts, in the same order of operations, so each figure comes out to the
same bits. Where numpy and Python could part — Python's `round` against numpy's on a value a
hair from a half, `math.fsum` against numpy's sum — the few elements near the edge are redone
with Python's own functions. A usage signal whose metrics for an account differ from the
book's (a trend that cannot be measured for one metric) is left to the scalar path
(`ScoredCard.scalar`). tests/scoring/test_book_scores.py holds both paths to the same bytes.

No Django here.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.maths import COVERAGE_EPSILON, HALF_NUDGE, Bands, Colour, State
from scoring.value_arrays import ValueArray

# A scaled value whose fraction is this close to a half is rounded by Python, not numpy.
_NEAR_HALF = 1e-6
# State codes in the arrays, and the uint16 a non-scored component is stored as
# (`scoring.compact`).
SCORED, NO_DATA, NEW, NOT_MEASURED = 0, 1, 2, 3
STATES = (State.SCORED, State.NO_DATA, State.NEW, State.NOT_MEASURED)
_STORED_CODE = np.array([0, 0xFFFF, 0xFFFE, 0xFFFD], dtype=np.uint16)
_COLOURS = (Colour.GREEN.value, Colour.YELLOW.value, Colour.RED.value, Colour.GREY.value)


@dataclass(frozen=True)
class Column:
    """One signal of a scorecard, with its raw value for every account it scores (in one
    order): a float, None, or for a per-metric signal {metric: float or None}."""

    key: str
    weight: float
    critical: bool
    needs_days: int
    in_book: bool
    percentile: bool
    higher: bool
    poor: float | None
    good: float | None
    per_metric: bool
    values: Sequence
    population: dict[str, list[float]]


def round_like_python(x: np.ndarray, digits: int) -> np.ndarray:
    """Python's round(x, digits) on every element (NaN stays NaN). numpy rounds x * 10**digits,
    which differs from Python's exact rounding only a hair from a half: those are redone."""
    out = np.round(x, digits)
    scaled = x * 10.0**digits
    flat, values = out.reshape(-1), x.reshape(-1)  # views: works for any shape
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < _NEAR_HALF):
        flat[i] = round(float(values[i]), digits)
    return out


def _scores(column: Column, raw: np.ndarray, population: list[float] | None) -> np.ndarray:
    """`_Scoring.score` of `scoring.recompute` on a column: percentile_against or
    threshold_score, the same operations in the same order. NaN (no value) stays NaN."""
    return np.where(np.isnan(raw), np.nan, _scores_of_values(column, raw, population))


def _scores_of_values(
    column: Column, raw: np.ndarray, population: list[float] | None
) -> np.ndarray:
    if column.percentile:
        n = len(population or [])
        if n <= 1:
            return np.full(raw.shape, 50.0)
        sorted_population = np.asarray(population, dtype=np.float64)
        below = np.searchsorted(sorted_population, raw, side="left")
        equal = np.searchsorted(sorted_population, raw, side="right") - below
        absent = equal == 0  # not in the population: ranked as if it were added
        equal = np.where(absent, 1, equal)
        size = np.where(absent, n + 1, n)
        worse = below if column.higher else size - below - equal
        return 100.0 * (worse + 0.5 * (equal - 1)) / (size - 1)
    if column.poor is None or column.good is None:
        raise ValueError(f"Scoring {column.key!r} needs both poor and good values.")
    if column.poor == column.good:
        raise ValueError(f"poor and good must differ (both are {column.poor}).")
    score = (raw - column.poor) / (column.good - column.poor) * 100.0
    score = np.where(score > 0.0, score, 0.0)  # max(0.0, score)
    return np.where(score < 100.0, score, 100.0)


@dataclass
class Scored:
    """One signal's figures for every account: its state, score (NaN: none), shown raw value,
    and for a per-metric signal the metrics (in name order) with their raws and scores."""

    state: np.ndarray
    score: np.ndarray
    raw: np.ndarray
    metrics: tuple[str, ...] = ()
    metric_raw: np.ndarray | None = None  # (accounts, metrics)
    metric_score: np.ndarray | None = None


def _floats(values: Sequence | ValueArray) -> np.ndarray:
    if isinstance(values, ValueArray):
        return values.array
    return np.array(values, dtype=np.float64)  # None becomes NaN


def _per_metric(column: Column) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple, np.ndarray]:
    """The metric scores of a per-metric signal, its component score (their mean), and which
    accounts the scalar path must do: those whose metrics are not the book's."""
    metrics = tuple(sorted(column.population))
    if isinstance(column.values, ValueArray):
        raws, irregular, has_value = _metric_arrays(column.values, metrics)
    else:
        raws, irregular, has_value = _metric_dicts(column.values, metrics)
    n = len(column.values)
    scores = np.empty_like(raws)
    for j, metric in enumerate(metrics):
        scores[:, j] = round_like_python(
            _scores(column, raws[:, j], column.population.get(metric)), 1
        )
    mean = round_like_python(_mean_like_fsum(scores), 1) if metrics else np.full(n, np.nan)
    mean[~has_value] = np.nan
    return round_like_python(raws, 2), scores, mean, metrics, irregular


def _metric_arrays(values: ValueArray, metrics: tuple[str, ...]):
    """(raws by the population's metrics, irregular, has a value) of per-metric arrays: a
    metric an account has no row of is a 0; one the population lacks makes it irregular."""
    n = len(values)
    has_value = np.ones(n, dtype=bool) if values.has is None else values.has
    raws = np.zeros((n, len(metrics)))
    irregular = np.zeros(n, dtype=bool)
    for j, metric in enumerate(values.metrics):
        used = ~np.isnan(values.array[:, j])
        if metric in metrics:
            raws[:, metrics.index(metric)] = np.where(used, values.array[:, j], 0.0)
        else:
            irregular |= used & has_value
    return raws, irregular, has_value


def _metric_dicts(values: Sequence, metrics: tuple[str, ...]):
    """As `_metric_arrays`, of {metric: value} dicts (None: no value); a metric whose value is
    None (a trend that cannot be measured for it) makes the account irregular."""
    known = set(metrics)
    n = len(values)
    raws = np.zeros((n, len(metrics)))
    irregular = np.zeros(n, dtype=bool)
    has_value = np.zeros(n, dtype=bool)
    for i, value in enumerate(values):
        if value is None:
            continue
        has_value[i] = True
        if not value.keys() <= known:
            irregular[i] = True
            continue
        for j, metric in enumerate(metrics):
            raw = value.get(metric, 0.0)
            if raw is None:  # a trend that cannot be measured for this metric
                irregular[i] = True
                break
            raws[i, j] = raw
    return raws, irregular, has_value


def _mean_like_fsum(scores: np.ndarray) -> np.ndarray:
    """fsum(row) / len(row) of each row; rows whose mean numpy's sum could round the other way
    are summed by math.fsum."""
    count = scores.shape[1]
    mean = scores.sum(axis=1) / count
    scaled = mean * 10.0
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < _NEAR_HALF):
        mean[i] = math.fsum(scores[i]) / count
    return mean


def score_column(column: Column, ages: np.ndarray) -> tuple[Scored, np.ndarray]:
    """A signal's component for every account (`_components` of `scoring.recompute`), and the
    accounts left to the scalar path."""
    n = len(column.values)
    irregular = np.zeros(n, dtype=bool)
    if column.per_metric:
        metric_raw, metric_score, score, metrics, irregular = _per_metric(column)
        raw = np.full(n, np.nan)
    else:
        values = _floats(column.values)
        raw = round_like_python(values, 2)
        score = round_like_python(_scores(column, values, column.population.get("")), 1)
        metrics, metric_raw, metric_score = (), None, None
    has = ~np.isnan(score)
    if not column.in_book:
        state = np.full(n, NOT_MEASURED, dtype=np.int8)
    else:
        too_young = ages < column.needs_days  # NaN (no start known) is never too young
        state = np.where(has, SCORED, np.where(too_young, NEW, NO_DATA)).astype(np.int8)
    scored = state == SCORED
    return (
        Scored(
            state=state,
            score=np.where(scored, score, np.nan),
            raw=np.where(scored, raw, np.nan),
            metrics=metrics,
            metric_raw=metric_raw,
            metric_score=metric_score,
        ),
        irregular,
    )


@dataclass
class ScoredCard:
    """Every account of a scorecard scored: the snapshot's figures, the components for its
    parts, and `scalar`, the accounts the scalar path is to redo."""

    columns: list[Column]
    components: list[Scored]
    score: np.ndarray  # NaN: grey for want of coverage
    colour: list[str]
    coverage: np.ndarray  # rounded to 4 decimals, as stored
    critical_override: list[str]
    scalar: np.ndarray

    def parts(self, metric_ids: dict[str, int]) -> list[bytes]:
        """Each account's parts as `scoring.compact.pack_values` packs them (the scalar rows
        too, but those are replaced)."""
        n = len(self.score)
        fixed = np.dtype([("code", "<u2"), ("raw", "<f4")])
        segments: list[tuple[np.ndarray, np.ndarray | None]] = []  # (scored, not scored)
        for column, scored in zip(self.columns, self.components, strict=True):
            head = np.empty(n, dtype=fixed)
            is_scored = scored.state == SCORED
            head["code"] = np.where(
                is_scored, np.rint(np.nan_to_num(scored.score) * 10), _STORED_CODE[scored.state]
            )
            head["raw"] = scored.raw
            head_bytes = head.view(np.uint8).reshape(n, fixed.itemsize)
            if not column.per_metric:
                segments.append((head_bytes, None))
                continue
            k = len(scored.metrics)
            entry = np.dtype([("id", "<u2"), ("code", "<u2"), ("raw", "<f4")])
            tail = np.zeros(n, dtype=np.dtype([("count", "u1"), ("m", entry, (k,))]))
            tail["count"] = k
            if k:
                tail["m"]["id"] = [metric_ids[m] for m in scored.metrics]
                tail["m"]["code"] = np.rint(scored.metric_score * 10)
                tail["m"]["raw"] = scored.metric_raw
            with_metrics = np.hstack([head_bytes, tail.view(np.uint8).reshape(n, -1)])
            without = np.hstack([head_bytes, np.zeros((n, 1), dtype=np.uint8)])
            segments.append((with_metrics, without))
        # A per-metric component not scored keeps no metrics: the rows fall into a few layouts.
        per_metric = [i for i, c in enumerate(self.columns) if c.per_metric]
        layout = np.zeros(n, dtype=np.int64)
        for bit, i in enumerate(per_metric):
            layout |= (self.components[i].state != SCORED).astype(np.int64) << bit
        out: list[bytes] = [b""] * n
        for code in np.unique(layout):
            rows = np.flatnonzero(layout == code)
            matrix = np.hstack(
                [
                    (without if (code >> per_metric.index(i)) & 1 else scored_bytes)[rows]
                    if without is not None
                    else scored_bytes[rows]
                    for i, (scored_bytes, without) in enumerate(segments)
                ]
            )
            width, data = matrix.shape[1], matrix.tobytes()
            for at, row in enumerate(rows):
                out[row] = data[at * width : (at + 1) * width]
        return out


def _weight_sums(mask: np.ndarray, weights: list[float]) -> np.ndarray:
    """math.fsum of the weights each row's mask selects, summed once per distinct mask."""
    codes = mask.astype(np.int64) @ (1 << np.arange(mask.shape[1], dtype=np.int64))
    distinct, inverse = np.unique(codes, return_inverse=True)
    sums = [math.fsum(w for bit, w in enumerate(weights) if code >> bit & 1) for code in distinct]
    return np.array(sums, dtype=np.float64)[inverse.reshape(-1)]


def score_card(
    columns: list[Column], ages: np.ndarray, *, bands: Bands, min_coverage: float
) -> ScoredCard:
    """`combine` of `scoring.maths` for every account: the weighted mean of the components
    with data over their weights, coverage, the critical override and the colour."""
    n = len(ages)
    scored_columns, scalar = [], np.zeros(n, dtype=bool)
    for column in columns:
        scored, irregular = score_column(column, ages)
        scored_columns.append(scored)
        scalar |= irregular
    weights = [c.weight for c in columns]
    if columns:
        states = np.stack([s.state for s in scored_columns], axis=1)
        scores = np.stack([s.score for s in scored_columns], axis=1)
    else:
        states, scores = np.zeros((n, 0), dtype=np.int8), np.zeros((n, 0))
    has_data = states == SCORED
    total_weight = _weight_sums(has_data | (states == NO_DATA), weights)
    data_weight = _weight_sums(has_data, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(total_weight > 0, data_weight / total_weight, 0.0)
        shares = np.array(weights, dtype=np.float64) / data_weight[:, None]
    contributions = np.where(has_data & (data_weight[:, None] > 0), scores * shares, 0.0)
    nudged = contributions.sum(axis=1) + HALF_NUDGE
    scaled = nudged * 10.0
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < _NEAR_HALF):
        nudged[i] = math.fsum(contributions[i]) + HALF_NUDGE
    enough = (data_weight > 0) & (coverage >= min_coverage - COVERAGE_EPSILON)
    score = np.where(enough, round_like_python(nudged, 1), np.nan)

    # The worst critical red wins, ties to the first key, as `combine` picks it.
    override = [""] * n
    critical = sorted((c.key, i) for i, c in enumerate(columns) if c.critical)
    if critical:
        reds = np.stack(
            [
                np.where(has_data[:, i] & (scores[:, i] < bands.yellow_min), scores[:, i], np.inf)
                for _, i in critical
            ],
            axis=1,
        )
        worst = reds.argmin(axis=1)
        for row in np.flatnonzero(np.isfinite(reds.min(axis=1))):
            override[row] = critical[worst[row]][0]
    band = np.where(score >= bands.green_min, 0, np.where(score >= bands.yellow_min, 1, 2))
    colour_code = np.where(np.isnan(score), 3, band)
    colour = [_COLOURS[2] if override[i] else _COLOURS[c] for i, c in enumerate(colour_code)]
    return ScoredCard(
        columns=columns,
        components=scored_columns,
        score=score,
        colour=colour,
        coverage=_round4_by_value(coverage),
        critical_override=override,
        scalar=scalar,
    )


def _round4_by_value(coverage: np.ndarray) -> np.ndarray:
    """round(coverage, 4) by Python, once per distinct value (a book has a few dozen)."""
    distinct, inverse = np.unique(coverage, return_inverse=True)
    return np.array([round(float(v), 4) for v in distinct])[inverse.reshape(-1)]
