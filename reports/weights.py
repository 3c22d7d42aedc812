"""Suggested weights: a weighting of the signals (and candidate usage metrics and account
age) learnt from which accounts churned, compared with the live one, and applied as a
draft of the default scorecard."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_noop

from audit.trail import audit_record
from reports.loading import Snapshot, churn_dates_known, observation_days, outcomes, snapshots_load
from reports.quality import default_signals, pick_horizon
from reports.tables import ReportFilters
from scoring import versioning
from scoring.maths import Method, percentile_scores, threshold_score
from scoring.measures import USAGE_SOURCES
from scoring.models import Direction, Scorecard, SignalDefinition, Source
from scoring.suggest import (
    Feature,
    FeatureResult,
    Observation,
    Suggestion,
    splittable,
    suggest_weights,
)
from signals.models import UsageRecord
from signals.revenue import customer_since

# ---------------------------------------------------------------- suggested weights

AGE_LABEL = gettext_noop("Account age")


CANDIDATE_WINDOW_DAYS = 30
AGE_KEY = "account-age"
AGE_GOOD_DAYS = 180  # as the default scorecard's account age


def candidate_key(metric: str) -> str:
    return ("usage-" + slugify(metric))[:50]


def _percentiles_by_day(
    values: dict[date, dict[int, float]], scored_on: dict[date, list[int]], *, default: float = 0.0
) -> dict[tuple[int, date], float]:
    scores: dict[tuple[int, date], float] = {}
    for day, accounts in scored_on.items():
        ranked = percentile_scores({a: values.get(day, {}).get(a, default) for a in accounts})
        for account_id, score in ranked.items():
            scores[(account_id, day)] = round(score, 1)
    return scores


def _usage_candidates(
    snapshots: Sequence[Snapshot], used: set[str], *, segment: str
) -> tuple[dict[str, dict[tuple[int, date], float]], dict[tuple[int, date], float]]:
    """Percentile (among the accounts scored that day) of each unused usage metric's volume over
    the 30 days to each snapshot day, and the naive baseline — the percentile of the total of
    every metric over the same 30 days. One query: a conditional sum per day, grouped by
    account and metric."""
    days = sorted({s.day for s in snapshots})
    if not days:
        return {}, {}
    window = timedelta(days=CANDIDATE_WINDOW_DAYS - 1)
    usage = UsageRecord.objects.filter(date__gte=days[0] - window, date__lte=days[-1]).order_by()
    if segment:
        usage = usage.filter(account__segment=segment)
    sums = {
        f"d{i}": Sum("value", filter=Q(date__gte=day - window, date__lte=day), default=0.0)
        for i, day in enumerate(days)
    }
    volume: dict[str, dict[date, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    totals: dict[date, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    rows = (
        usage.values("account_id", "metric")
        .annotate(**sums)
        .values_list("account_id", "metric", *sums)
    )
    for account_id, metric, *by_day in rows.iterator(chunk_size=5000):
        for day, total in zip(days, by_day, strict=True):
            totals[day][account_id] += float(total or 0.0)
            if metric not in used:
                volume[metric][day][account_id] = float(total or 0.0)
    scored_on: dict[date, list[int]] = defaultdict(list)
    for s in snapshots:
        scored_on[s.day].append(s.account_id)
    candidates = {
        metric: _percentiles_by_day(by_day, scored_on) for metric, by_day in volume.items()
    }
    return candidates, _percentiles_by_day(totals, scored_on)


def _age_candidate(snapshots: Sequence[Snapshot]) -> dict[tuple[int, date], float]:
    """Account age scored as the default scorecard does (0 on the first day, 100 from 180 days
    on), for a scorecard without an account-age signal. One query per snapshot day: an
    account that left and came back is young again from its return."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for s in snapshots:
        by_day[s.day].append(s.account_id)
    scores = {}
    for day, accounts in by_day.items():
        since = customer_since(day)
        for account_id in accounts:
            if account_id in since:
                age = (day - since[account_id]).days
                scores[(account_id, day)] = round(
                    threshold_score(age, poor=0, good=AGE_GOOD_DAYS), 1
                )
    return scores


def feature_kind(result: FeatureResult) -> str:
    if not result.feature.candidate:
        return "signal"
    if result.feature.metric:
        return (
            gettext("new usage signal, more is worse")
            if result.lower_is_better
            else gettext("new usage signal")
        )
    return gettext("new signal, more is worse") if result.lower_is_better else gettext("new signal")


@dataclass
class WeightsReport:
    filters: ReportFilters
    suggestion: Suggestion
    scorecard: Scorecard | None
    candidates: list[str] = field(default_factory=list)
    draft: Scorecard | None = None  # the default scorecard's unpublished draft, if any


def weights_suggestion(*, filters: ReportFilters) -> WeightsReport:
    """Fit suggested weights for the default scorecard on the period's snapshots (adding, as
    candidate signals, the usage metrics no signal of it measures by name) and judge them on
    its later days."""
    today = filters.today
    card = Scorecard.objects.filter(is_default=True).first()
    signals = default_signals() if card else []
    snapshots = snapshots_load(observation_days(filters), segment=filters.segment)
    by_horizon = outcomes(snapshots, churn_dates_known(today), today=today)
    # Unless one is chosen, the longest horizon a purged split can fit on and judge.
    horizon = pick_horizon(
        filters,
        by_horizon,
        usable=lambda h: splittable([s.day for s, _ in by_horizon[h]], horizon=h),
    )
    observed = by_horizon[horizon]
    used = {
        s.metric or ("active_users" if s.source == Source.LICENCE_UTILISATION else "")
        for s in signals
        if s.source in USAGE_SOURCES
    }
    observed_snapshots = [s for s, _ in observed]
    candidates, baseline = _usage_candidates(observed_snapshots, used, segment=filters.segment)
    features = [Feature(s.key, s.shown_label, s.weight) for s in signals]
    taken = {s.key for s in signals}
    keys = {}
    for metric in sorted(candidates):
        key = candidate_key(metric)
        if key in taken:
            continue
        taken.add(key)
        keys[metric] = key
        label = gettext("Usage: %(metric)s") % {"metric": metric}
        features.append(Feature(key, label, 0.0, candidate=True, metric=metric))
    if not any(s.source == Source.ACCOUNT_AGE for s in signals) and AGE_KEY not in taken:
        keys[""] = AGE_KEY
        candidates[""] = _age_candidate(observed_snapshots)
        features.append(Feature(AGE_KEY, gettext(AGE_LABEL), 0.0, candidate=True))
    signal_keys = [f.key for f in features if not f.candidate]
    observations = [
        Observation(
            day=s.day,
            account_id=s.account_id,
            components={
                **{k: s.components.get(k) for k in signal_keys},
                **{
                    key: candidates[metric].get((s.account_id, s.day))
                    for metric, key in keys.items()
                },
            },
            churned=y,
            baseline=baseline.get((s.account_id, s.day), 0.0) if baseline else None,
        )
        for s, y in observed
    ]
    suggestion = suggest_weights(observations, features, horizon=horizon)
    if not signals:
        suggestion.problem = gettext("There is no default scorecard to suggest weights for.")
    draft = Scorecard.objects.filter(draft_of=card).first() if card else None
    return WeightsReport(filters, suggestion, card, sorted(m for m in keys if m), draft)


class DraftExists(Exception):
    """The default scorecard already has a draft: a suggestion never overwrites unpublished
    edits."""

    def __init__(self, draft: Scorecard):
        super().__init__(
            gettext("%(draft)s exists already: publish or discard it first.")
            % {"draft": draft.name}
        )
        self.draft = draft


def _candidate_signal(draft: Scorecard, result: FeatureResult) -> SignalDefinition:
    """The signal a candidate becomes: a usage volume on its metric, ranked among the book in
    the direction the fit found, or account age."""
    feature = result.feature
    common = {"scorecard": draft, "key": feature.key, "weight": result.suggested_weight}
    if feature.key == AGE_KEY and not feature.metric:
        lower = result.lower_is_better
        return SignalDefinition(
            **common,
            label=AGE_LABEL,  # stored in English, shown translated (SignalDefinition.shown_label)
            source=Source.ACCOUNT_AGE,
            method=Method.THRESHOLD,
            direction=Direction.LOWER_BETTER if lower else Direction.HIGHER_BETTER,
            poor=AGE_GOOD_DAYS if lower else 0,
            good=0 if lower else AGE_GOOD_DAYS,
            window_days=1,
            unit="days",
        )
    return SignalDefinition(
        **common,
        # Stored in English, as the default signals are: the draft is data, not a page.
        label=f"Usage: {feature.metric}" + (" (more is worse)" if result.lower_is_better else ""),
        source=Source.USAGE_VOLUME,
        metric=feature.metric,
        method=Method.PERCENTILE,
        direction=Direction.LOWER_BETTER if result.lower_is_better else Direction.HIGHER_BETTER,
        window_days=CANDIDATE_WINDOW_DAYS,
        unit="a day",
    )


@transaction.atomic
def suggestion_apply(*, report: WeightsReport, actor) -> Scorecard:
    """Write the suggested weights into a new draft of the default scorecard — with the
    candidate usage signals that earned weight added — and record it in the audit trail. Live
    scores are unchanged until an admin previews and publishes the draft."""
    suggestion, card = report.suggestion, report.scorecard
    if card is None or not suggestion.ok:
        raise ValueError(suggestion.problem or "There is no default scorecard.")
    existing = Scorecard.objects.filter(draft_of=card).first()
    if existing is not None:
        raise DraftExists(existing)
    draft = versioning.draft_create(scorecard=card, actor=actor)
    weights = suggestion.weights
    signals = list(draft.signals.all())
    for signal in signals:
        if signal.key in weights:
            signal.weight = weights[signal.key]
    SignalDefinition.objects.bulk_update(signals, ["weight"])
    SignalDefinition.objects.bulk_create(
        _candidate_signal(draft, r)
        for r in suggestion.features
        if r.feature.candidate and r.suggested_weight > 0
    )
    audit_record(
        actor=actor,
        action="suggested weights applied",
        obj=card,
        changes=versioning.config_diff(
            versioning.scorecard_config(card), versioning.scorecard_config(draft)
        ),
    )
    return draft
