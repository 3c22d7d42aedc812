"""Pure scoring maths for health scores: component scores, the weighted mean and its explanation.

No Django here on purpose: the same functions serve live scoring, backfills, draft previews and
tests, and must stay fast and deterministic on 100,000 accounts.
"""

import math
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

# Float sums such as 0.1 + 0.2 + 0.2 land a hair off the exact share; without this slack a
# coverage of exactly the configured minimum could be reported as insufficient.
COVERAGE_EPSILON = 1e-9
HALF_NUDGE = 1e-9


class Method(StrEnum):
    """How a signal's raw value becomes a 0-100 component score."""

    THRESHOLD = "threshold"
    PERCENTILE = "percentile"
    TREND = "trend"


class State(StrEnum):
    """Whether a component counts in the score, decided by `component_state`."""

    SCORED = "scored"  # has a score: in the mean and in the coverage share
    NO_DATA = "no_data"  # missing where the book has the source: counts against coverage
    NEW = "new"  # the account is younger than the component needs: left out for it alone
    NOT_MEASURED = "not_measured"  # the book has no data of this source: left out for all


# States whose weight is part of the coverage share's denominator.
COUNTED = frozenset({State.SCORED, State.NO_DATA})


def component_state(
    *, book_has_source: bool, has_value: bool, account_age_days: int | None, needs_days: int
) -> State:
    """The one rule for missing data, judged by source.

    A source of which the book has no data at all is not measured: neither good nor bad, for
    anyone. Within a source the book has, a value scores (the measures already turn meaningful
    absence into a value: no open ticket is 0 ticket-days, no usage is 0 events). A missing
    value counts against the account — unless the account is younger than the span the
    component needs (`needs_days`: its window, or two windows for a trend), in which case the
    gap says nothing about it and only that component is left out.
    """
    if not book_has_source:
        return State.NOT_MEASURED
    if has_value:
        return State.SCORED
    if account_age_days is not None and account_age_days < needs_days:
        return State.NEW
    return State.NO_DATA


class Colour(StrEnum):
    """Health colour; GREY means insufficient data, never a guess."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    GREY = "grey"


@dataclass(frozen=True)
class Bands:
    """Colour bands: green from ``green_min``, yellow from ``yellow_min``, red below."""

    green_min: float = 70.0
    yellow_min: float = 40.0

    def __post_init__(self) -> None:
        # Written as a positive condition so that NaN (which fails every comparison) is rejected.
        if not (0 <= self.yellow_min < self.green_min <= 100):
            raise ValueError(
                "Colour bands need 0 <= yellow_min < green_min <= 100, "
                f"got yellow_min={self.yellow_min}, green_min={self.green_min}."
            )

    def colour(self, score: float | None) -> Colour:
        """Colour of a 0-100 score; None (no data) is grey."""
        if score is None:
            return Colour.GREY
        if score >= self.green_min:
            return Colour.GREEN
        if score >= self.yellow_min:
            return Colour.YELLOW
        return Colour.RED


def threshold_score(value: float, *, poor: float, good: float) -> float:
    """Score ``value`` linearly from 0 at ``poor`` to 100 at ``good``, clamped to [0, 100].

    ``poor < good`` means higher is better, ``poor > good`` lower is better. Linear rather than
    stepped so a small change in the raw value never flips the score by a whole band.
    """
    if poor == good:
        raise ValueError(f"poor and good must differ (both are {poor}).")
    # The same formula serves both directions: the sign of (good - poor) flips the slope.
    score = (value - poor) / (good - poor) * 100.0
    return min(100.0, max(0.0, score))


def percentile_scores(
    values: Mapping[K, float], *, higher_is_better: bool = True
) -> dict[K, float]:
    """Rank every key among all values: worst 0, best 100, ties share their mid-rank.

    score = 100 * (strictly_worse + 0.5 * (equal - 1)) / (n - 1); a lone value, or a population
    that is all tied, scores 50 (nothing to be better or worse than). O(n log n).
    """
    n = len(values)
    if n == 0:
        return {}
    if any(math.isnan(v) for v in values.values()):
        # NaN breaks sort order silently, which would give nonsense ranks to everyone.
        raise ValueError("percentile_scores cannot rank NaN values.")
    if n == 1:
        return dict.fromkeys(values, 50.0)

    # Sort the values only (keys need not be orderable), worst first, and give each distinct
    # value one score; looking keys up in that table keeps the whole thing O(n log n).
    ordered = sorted(values.values(), reverse=not higher_is_better)
    score_of: dict[float, float] = {}
    i = 0
    while i < n:
        j = i
        while j < n and ordered[j] == ordered[i]:
            j += 1
        equal = j - i
        score_of[ordered[i]] = 100.0 * (i + 0.5 * (equal - 1)) / (n - 1)
        i = j
    return {key: score_of[value] for key, value in values.items()}


def relative_change(current: float | None, previous: float | None) -> float | None:
    """Percent change from ``previous`` to ``current``; None when it cannot be measured.

    A zero baseline gives 0.0 if nothing changed, else None (any percentage would be invented).
    """
    if current is None or previous is None:
        return None
    if previous == 0:
        return 0.0 if current == 0 else None
    # abs() keeps the sign meaning "went up" even for a negative baseline (-10 -> -5 is +50%).
    return (current - previous) / abs(previous) * 100.0


def component_score(
    method: Method, raw: float | None, *, poor: float | None, good: float | None
) -> float | None:
    """Score one raw value with THRESHOLD or TREND (raw is then a percent change).

    PERCENTILE raises ValueError: it needs the whole population, see ``percentile_scores``.
    """
    if method is Method.PERCENTILE:
        raise ValueError("Percentile scores need the whole population: use percentile_scores().")
    if poor is None or good is None:
        raise ValueError(f"{method} scoring needs both poor and good values.")
    if raw is None:
        return None
    return threshold_score(raw, poor=poor, good=good)


@dataclass(frozen=True)
class Component:
    """One signal's measurement for an account; ``score`` None means no data."""

    key: str
    label: str
    raw: float | None
    score: float | None
    weight: float
    critical: bool = False
    unit: str = ""
    state: State | None = None  # None: SCORED when there is a score, else NO_DATA
    # Per-metric detail of a component that combines several usage metrics: (metric, raw,
    # score), the component's score being the mean of theirs.
    metrics: tuple[tuple[str, float, float], ...] = ()

    def __post_init__(self) -> None:
        # Fail where the bad value is made, not later inside a weighted mean.
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"Weight of {self.key!r} must be a finite number >= 0.")
        if self.score is not None and not (0 <= self.score <= 100):
            raise ValueError(f"Score of {self.key!r} must be within 0..100, got {self.score}.")

        if self.state is None:
            state = State.SCORED if self.score is not None else State.NO_DATA
            object.__setattr__(self, "state", state)
        elif (self.state is State.SCORED) != (self.score is not None):
            raise ValueError(f"{self.key!r}: a score goes with the state SCORED, got {self.state}.")

    @property
    def has_data(self) -> bool:
        return self.score is not None

    @property
    def counted(self) -> bool:
        """Whether its weight is part of the coverage share (not measured and new are not)."""
        return self.state in COUNTED


@dataclass(frozen=True)
class Part:
    """A component as it entered the overall score."""

    component: Component
    share: float  # weight / sum of weights with data; 0 without data
    contribution: float  # score * share, in points of the overall score; 0 without data


@dataclass(frozen=True)
class Health:
    """The overall score of one account, with everything needed to explain it."""

    score: float | None  # 1 decimal; None when coverage is insufficient
    colour: Colour
    coverage: float  # 0..1 share of the counted weight whose component has data
    parts: tuple[Part, ...]
    critical_override: str | None  # key of the critical component that forced red


def combine(components: Sequence[Component], *, bands: Bands, min_coverage: float = 0.5) -> Health:
    """Weighted mean of the components with data, renormalised over their weights.

    Coverage is the share of the *counted* weight that has data: components not measured in the
    book, or too new for the account, are left out of both (see `component_state`). Below
    ``min_coverage`` the score is None and the colour grey. A critical component whose own
    score is red makes the account red regardless of the mean, even when it is grey.
    """
    if not (0 <= min_coverage <= 1):
        raise ValueError(f"min_coverage must be within 0..1, got {min_coverage}.")

    total_weight = math.fsum(c.weight for c in components if c.counted)
    data_weight = math.fsum(c.weight for c in components if c.has_data)
    coverage = data_weight / total_weight if total_weight > 0 else 0.0

    parts: list[Part] = []
    for c in components:
        if c.score is not None and data_weight > 0:
            share = c.weight / data_weight
            parts.append(Part(c, share, c.score * share))
        else:
            parts.append(Part(c, 0.0, 0.0))

    score: float | None = None
    if data_weight > 0 and coverage >= min_coverage - COVERAGE_EPSILON:
        # Half up, the same way for every account: a mean of exactly x.x5 comes out of the float
        # sum a hair above or below it, which would show 70.0 green for one account and 69.9
        # yellow for another with the same components. Real means are multiples of far more
        # than 1e-9 away from a half (scores have one decimal), so the nudge moves only those.
        score = round(math.fsum(p.contribution for p in parts) + HALF_NUDGE, 1)

    # The worst critical red wins so the explanation names the most alarming signal.
    critical_reds = [
        c
        for c in components
        if c.critical and c.score is not None and bands.colour(c.score) is Colour.RED
    ]
    override = min(critical_reds, key=lambda c: (c.score or 0.0, c.key)) if critical_reds else None

    # Colour the rounded score so the colour always agrees with the number on screen.
    colour = Colour.RED if override is not None else bands.colour(score)

    return Health(
        score=score,
        colour=colour,
        coverage=coverage,
        parts=tuple(parts),
        critical_override=override.key if override else None,
    )


def lost_points(part: Part) -> float:
    """Points of the overall score a component cost: (100 - score) x share."""
    score = part.component.score
    return 0.0 if score is None else (100.0 - score) * part.share


def score_delta(current: float | None, earlier: float | None) -> float | None:
    """``current - earlier`` to 1 decimal; None if either is missing (7- and 30-day trends)."""
    if current is None or earlier is None:
        return None
    return round(current - earlier, 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def percentile_against(
    value: float, population: Sequence[float], *, higher_is_better: bool = True
) -> float:
    """Score one value against a sorted population, with the same mid-rank rule as
    ``percentile_scores`` (the population includes the value itself).

    Lets a chunk of accounts be scored against the whole book without reloading it.
    """
    n = len(population)
    if n <= 1:
        return 50.0
    below = bisect_left(population, value)
    equal = bisect_right(population, value) - below
    if equal == 0:  # not in the population: rank it as if it were added
        equal, n = 1, n + 1
    worse = below if higher_is_better else n - below - equal
    return 100.0 * (worse + 0.5 * (equal - 1)) / (n - 1)
