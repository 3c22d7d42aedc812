"""Suggested weights: a regularised logistic regression of churn-within-N-days on the component
scores of past snapshots, judged on later days than it was fitted on.

No Django here: `reports.weights_suggestion` gathers the observations (stored component scores,
plus candidate usage metrics no signal measures yet, scored as percentiles) and this module
fits and judges. The model is fitted on *risk* = (100 − component score) ÷ 100 for every
feature, so all features share one scale and a coefficient reads as "how much a lost point of
this component raises the odds of churn"; clipped at 0 and scaled to 100, the coefficients are
weights a scorecard can use as they are (its weighted mean is linear in the same scores).

A candidate (a usage metric no signal measures, account age when no signal measures it) has
no direction yet: when more of it goes with more churn (errors, downgrades), its coefficient
comes out negative, and it becomes a lower-is-better signal with the coefficient's size as its
weight — for a logistic regression, flipping a feature x to 1 − x only flips its sign. A signal
the scorecard already has keeps the direction its admin gave it and gets 0.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.utils.translation import gettext, gettext_noop
from sklearn.linear_model import LogisticRegression

from scoring.quality import normalised_weights, roc_auc, score_auc, weighted_score

# Inverse regularisation strength: the features are 0..1, so this is a mild L2 penalty that
# keeps a rarely-present component from taking all the weight on a handful of churners.
C = 1.0
TEST_SHARE = 1 / 3
MIN_CHURNED = 3  # per side of the split; fewer and the AUC is noise


@dataclass(frozen=True)
class Observation:
    """One account on one snapshot day: its component scores and whether it churned within
    the horizon after that day."""

    day: date
    account_id: int
    components: dict[str, float | None]
    churned: bool
    baseline: float | None = None  # the naive score: percentile of total usage over 30 days


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    current_weight: float  # 0 for a candidate no signal measures yet
    candidate: bool = False
    metric: str = ""  # the usage metric of a candidate ("" for account age)


@dataclass(frozen=True)
class FeatureResult:
    feature: Feature
    coefficient: float | None  # None: no data in the training days
    suggested_weight: float
    coverage: float  # share of held-out observations with data
    auc: float | None  # the component's own held-out AUC, in its suggested direction
    lower_is_better: bool = False  # a candidate for which more means more churn


@dataclass
class Suggestion:
    horizon: int
    features: list[FeatureResult] = field(default_factory=list)
    train_days: tuple[date, date] | None = None
    test_days: tuple[date, date] | None = None
    n_train: int = 0
    n_test: int = 0
    churned_train: int = 0
    churned_test: int = 0
    auc_current: float | None = None
    auc_suggested: float | None = None
    auc_baseline: float | None = None  # "just count activity", on the same held-out snapshots
    problem: str = ""  # why there is no suggestion, in words

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def weights(self) -> dict[str, float]:
        return {r.feature.key: r.suggested_weight for r in self.features}

    @property
    def flipped(self) -> set[str]:
        """Keys of the candidates that are lower-is-better."""
        return {r.feature.key for r in self.features if r.lower_is_better}


def _flip(components: dict[str, float | None], flipped: set[str]) -> dict[str, float | None]:
    """Scores as the suggested directions read them: 100 − score for a flipped candidate."""
    return {k: (100.0 - v if k in flipped and v is not None else v) for k, v in components.items()}


def time_split(days: Sequence[date], *, test_share: float = TEST_SHARE) -> tuple[list, list]:
    """Earlier days to fit on, the later `test_share` of them (at least one) to judge on."""
    ordered = sorted(set(days))
    if len(ordered) < 2:
        return ordered, []
    n_test = min(len(ordered) - 1, max(1, round(len(ordered) * test_share)))
    return ordered[:-n_test], ordered[-n_test:]


def splittable(days: Sequence[date], *, horizon: int) -> bool:
    """Whether the days leave some to fit on once those whose churn window reaches the days
    judged on are purged (see `suggest_weights`)."""
    _, test_days = time_split(days)
    return bool(test_days) and any(d + timedelta(days=horizon) < test_days[0] for d in days)


def _risk_matrix(rows: Sequence[Observation], keys: Sequence[str], fill: Sequence[float]):
    x = np.empty((len(rows), len(keys)))
    for i, row in enumerate(rows):
        for j, key in enumerate(keys):
            score = row.components.get(key)
            x[i, j] = fill[j] if score is None else (100.0 - score) / 100.0
    return x


def suggest_weights(
    observations: Sequence[Observation], features: Sequence[Feature], *, horizon: int
) -> Suggestion:
    """Fit on the earlier days, propose weights, and compare the held-out AUC of the current
    weights with the suggested ones (both combined as the scorecard does: a weighted mean of
    the components with data)."""
    result = Suggestion(horizon=horizon)
    _, test_days = time_split([o.day for o in observations])
    if not test_days:
        result.problem = gettext(
            "Too few snapshot days with a known outcome to split into past and later."
        )
        return result
    first_test = test_days[0]
    # A training day's outcome window must close before the first day judged on, or the same
    # churn would be learnt from and then judged on ("purged" split).
    train = [o for o in observations if o.day + timedelta(days=horizon) < first_test]
    test = [o for o in observations if o.day >= first_test]
    if not train:
        result.problem = gettext(
            "Too few snapshot days: none ends its %(days)d-day churn window before the days "
            "judged on. Choose a longer period or a shorter horizon."
        ) % {"days": horizon}
        return result
    result.train_days = (min(o.day for o in train), max(o.day for o in train))
    result.test_days = (test_days[0], test_days[-1])
    result.n_train, result.n_test = len(train), len(test)
    result.churned_train = sum(o.churned for o in train)
    result.churned_test = sum(o.churned for o in test)
    for message, n, churned in (
        (
            gettext_noop(
                "Not enough churn to fit on: %(churned)d churned and %(stayed)d stayed "
                "(at least %(min)d of each are needed). Choose a longer period."
            ),
            len(train),
            result.churned_train,
        ),
        (
            gettext_noop(
                "Not enough churn to judge on: %(churned)d churned and %(stayed)d stayed "
                "(at least %(min)d of each are needed). Choose a longer period."
            ),
            len(test),
            result.churned_test,
        ),
    ):
        if churned < MIN_CHURNED or n - churned < MIN_CHURNED:
            result.problem = gettext(message) % {
                "churned": churned,
                "stayed": n - churned,
                "min": MIN_CHURNED,
            }
            return result

    # A feature without any data in the training days cannot be fitted: it keeps weight 0.
    keys, fill = [], []
    for f in features:
        present = [o.components[f.key] for o in train if o.components.get(f.key) is not None]
        if present:
            keys.append(f.key)
            # Missing scores take the feature's mean, so "no data" neither helps nor hurts.
            fill.append(sum((100.0 - s) / 100.0 for s in present) / len(present))
    if not keys:
        result.problem = gettext("No component has data on the training days.")
        return result

    model = LogisticRegression(C=C, l1_ratio=0.0, class_weight="balanced", max_iter=2000)
    model.fit(_risk_matrix(train, keys, fill), np.array([o.churned for o in train]))
    coefficients = dict(zip(keys, (float(c) for c in model.coef_[0]), strict=True))
    flipped = {f.key for f in features if f.candidate and coefficients.get(f.key, 0.0) < 0}
    suggested = normalised_weights(
        {
            f.key: abs(coefficients.get(f.key, 0.0))
            if f.key in flipped
            else coefficients.get(f.key, 0.0)
            for f in features
        }
    )
    if not any(suggested.values()):
        result.problem = gettext(
            "No component makes churn likelier as it falls: nothing to suggest."
        )

    current = {f.key: f.current_weight for f in features}
    pairs = [
        (
            weighted_score(o.components, current),
            weighted_score(_flip(o.components, flipped), suggested),
            o,
        )
        for o in test
    ]
    # All on the same observations: those that both weightings (and the baseline) can score.
    both = [(c, s, o) for c, s, o in pairs if c is not None and s is not None]
    if both:
        churned = [o.churned for _, _, o in both]
        result.auc_current = score_auc([c for c, _, _ in both], churned)
        result.auc_suggested = score_auc([s for _, s, _ in both], churned)
        naive = [(o.baseline, o.churned) for _, _, o in both if o.baseline is not None]
        if len(naive) == len(both):
            result.auc_baseline = score_auc([b for b, _ in naive], [y for _, y in naive])

    for f in features:
        with_data = [o for o in test if o.components.get(f.key) is not None]
        sign = -1.0 if f.key in flipped else 1.0
        result.features.append(
            FeatureResult(
                feature=f,
                coefficient=coefficients.get(f.key),
                suggested_weight=suggested.get(f.key, 0.0),
                coverage=len(with_data) / len(test) if test else 0.0,
                auc=roc_auc(
                    [-sign * (o.components[f.key] or 0.0) for o in with_data],
                    [o.churned for o in with_data],
                ),
                lower_is_better=f.key in flipped,
            )
        )
    result.features.sort(key=lambda r: (-r.suggested_weight, -r.feature.current_weight))
    return result
