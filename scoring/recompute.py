"""Compute and store the daily health snapshots: the one service behind the nightly task, the
per-account task, the backfill command and the benchmark.

Set-based: for a day it loads the active accounts, then one or two aggregate queries per signal
for all of them, scores in memory with the pure functions of `scoring`, and upserts the
snapshots in bulk. Running it twice for the same day and data changes nothing.
"""

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists
from django.utils import timezone

from accounts.models import Account
from scoring.account_deletions import accounts_deleted_since, deletions_mark
from scoring.book_scores import Column, score_card
from scoring.current_health import current_health_changed, current_scores_refresh
from scoring.day_facts import DayFacts, day_facts, day_facts_range
from scoring.maths import (
    Bands,
    Component,
    Method,
    State,
    combine,
    component_state,
    percentile_against,
    threshold_score,
)
from scoring.measures import (
    Scope,
    Values,
    account_scope,
    age_days,
    facts_in_window,
    measure,
    needs_days,
    per_metric,
)
from scoring.measures_range import measure_days
from scoring.models import HealthSnapshot, Scorecard, SignalDefinition
from scoring.snapshot_rows import SnapshotRows
from scoring.value_arrays import ValueArray
from scoring.versions import versions_current
from signals.revenue import customer_since
from signals.upsert import bulk_upsert_columns

logger = logging.getLogger(__name__)

POPULATION_TTL = 24 * 3600
STALE_CHUNK = 5_000  # accounts a statement, when the stale snapshots of a day are deleted


@dataclass(frozen=True)
class RecomputeResult:
    day: date
    accounts: int  # snapshots written
    removed: int  # stale snapshots of accounts no longer active that day
    colours: dict[str, int]
    # A source came into the book or left it since the last recompute of the day: every
    # account's score may have moved, not only those in scope (see `book_sources_record`).
    sources_changed: bool = False


# ---------------------------------------------------------------- choosing a scorecard


def scorecard_for(account: Account | dict, scorecards: list[Scorecard]) -> Scorecard:
    """The scorecard that scores an account: the most specific match wins — one bound to both
    the account's segment and lifecycle stage, then segment only, then stage only, then the
    default. Ties go to the lowest id, so the choice is deterministic."""
    segment = account["segment"] if isinstance(account, dict) else account.segment
    stage = account["lifecycle_stage"] if isinstance(account, dict) else account.lifecycle_stage
    best: tuple[int, int] | None = None
    chosen: Scorecard | None = None
    for card in scorecards:
        if card.segment and card.segment != segment:
            continue
        if card.lifecycle_stage and card.lifecycle_stage != stage:
            continue
        if not (card.segment or card.lifecycle_stage or card.is_default):
            continue
        rank = (2 if card.segment else 0) + (1 if card.lifecycle_stage else 0)
        candidate = (-rank, card.pk)
        if best is None or candidate < best:
            best, chosen = candidate, card
    if chosen is None:
        raise Scorecard.DoesNotExist("No default scorecard: create one in the admin.")
    return chosen


def load_scorecards() -> list[Scorecard]:
    """The live (published) scorecards; drafts never score anyone."""
    return list(
        Scorecard.objects.filter(draft_of__isnull=True).prefetch_related("signals").order_by("pk")
    )


# ---------------------------------------------------------------- percentile populations


def _population_key(signal: SignalDefinition, day: date, version: int) -> str:
    return f"healthscore:population:v2:{signal.pk}:{version}:{day.isoformat()}"


def populations_of(values: Values) -> dict[str, list[float]]:
    """Sorted values per usage metric of a per-metric signal (an account without a metric used
    none of it: 0), or under "" the sorted values of any other signal."""
    if isinstance(values, ValueArray):
        return values.population()
    present = [v for v in values.values() if v is not None]
    if not any(isinstance(v, dict) for v in present):
        return {"": sorted(present)}  # type: ignore[type-var]
    metrics = set().union(*(v.keys() for v in present if isinstance(v, dict)))
    return {
        m: sorted(x for v in present if isinstance(v, dict) if (x := v.get(m, 0.0)) is not None)
        for m in metrics
    }


def population(
    signal: SignalDefinition, day: date, version: int, *, refresh: bool = False
) -> dict[str, list[float]]:
    """Sorted values of a percentile (or per-metric) signal over every account active on `day`.

    Percentiles rank an account against the whole book, so a chunk or a single account needs
    the book's values too. They are computed once and cached for a day; a full recompute
    refreshes them.
    """
    key = _population_key(signal, day, version)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    ids = list(Account.objects.active_on(day).values_list("pk", flat=True))
    values = populations_of(measure(signal, day, ids, {}, customer_since(day)))
    cache.set(key, values, POPULATION_TTL)
    return values


# ---------------------------------------------------------------- sources the book has


def sources_in_book(
    signals: Iterable[SignalDefinition], day: date, *, known: dict[tuple, bool] | None = None
) -> dict[int, bool]:
    """{signal pk: whether the book has facts of its source in its window on `day`}, asked in
    one query of EXISTS for every (source, metric, window) not already in `known` (which
    carries answers across scorecards)."""
    signals = list(signals)
    known = {} if known is None else known
    asks: dict[str, Exists] = {}
    keys: dict[tuple, list[str]] = {}
    for s in signals:
        fact = (s.source, s.metric, s.window_days)
        if fact in known or fact in keys:
            continue
        facts = facts_in_window(s, day)
        if facts is None:  # revenue and age: every active account has subscription lines
            known[fact] = True
            continue
        keys[fact] = []
        for rows in facts:
            name = f"e{len(asks)}"
            asks[name] = Exists(rows)
            keys[fact].append(name)
    if asks:
        # Any one-row table carries the EXISTS columns; the signals' own scorecard is at hand.
        row = (
            Scorecard.objects.filter(pk=signals[0].scorecard_id)
            .annotate(**asks)
            .values(*asks)
            .first()
        ) or dict.fromkeys(asks, False)
        for fact, names in keys.items():
            known[fact] = any(row[name] for name in names)
    return {s.pk: known[(s.source, s.metric, s.window_days)] for s in signals}


def _sources_key(day: date) -> str:
    return f"healthscore:sources:{day.isoformat()}"


def book_sources_record(day: date, scorecards: list[Scorecard], known: dict[tuple, bool]) -> bool:
    """Record which sources the live scorecards find in the book on `day`, and say whether that
    differs from what the last recompute of the day found — the first ticket or NPS answer of
    the book, say. Nothing recorded yet counts as no change. `known` keeps the answers for the
    recompute that follows."""
    signals = [s for card in scorecards for s in signals_of(card)]
    sources_in_book(signals, day, known=known)
    present = sorted(fact for fact, has in known.items() if has)
    before = cache.get(_sources_key(day))
    cache.set(_sources_key(day), present, POPULATION_TTL)
    return before is not None and [tuple(f) for f in before] != present


def sources_missing(signals: Iterable[SignalDefinition], day: date) -> list[str]:
    """Labels of the signals the book cannot measure on `day`: no account has any data of
    their source yet. Pages say these once instead of showing rows of nothing."""
    signals = list(signals)
    has = sources_in_book(signals, day)
    return [s.shown_label for s in signals if not has[s.pk]]


# ---------------------------------------------------------------- the service


@dataclass(frozen=True)
class _Scoring:
    """What scoring a signal needs, read off its definition once per run, not per account."""

    signal: SignalDefinition
    pk: int
    percentile: bool
    poor: float | None
    good: float | None
    higher: bool
    per_metric: bool
    needs_days: int

    @classmethod
    def of(cls, signal: SignalDefinition) -> "_Scoring":
        return cls(
            signal=signal,
            pk=signal.pk,
            percentile=signal.method == Method.PERCENTILE,
            poor=signal.poor,
            good=signal.good,
            higher=signal.higher_is_better,
            per_metric=per_metric(signal),
            needs_days=needs_days(signal),
        )

    def score(self, value: float, population: list[float] | None) -> float:
        if self.percentile:
            return percentile_against(value, population or [], higher_is_better=self.higher)
        if self.poor is None or self.good is None:
            raise ValueError(f"{self.signal.method} scoring needs both poor and good values.")
        return threshold_score(value, poor=self.poor, good=self.good)


def _metric_scores(signal: _Scoring, value, pops) -> tuple[tuple[str, float, float], ...]:
    """(metric, raw, score) of each metric of a per-metric signal. Every metric the book used
    counts (not using one is a 0, or in a trend no change), except where a trend cannot be
    measured (from nothing to something)."""
    if value is None:
        return ()
    raws = {m: value.get(m, 0.0) for m in sorted(pops.keys() | value.keys())}
    return tuple(
        (m, round(raw, 2), round(signal.score(raw, pops.get(m)), 1))
        for m, raw in raws.items()
        if raw is not None
    )


def _components(
    signals: list[_Scoring],
    raw: dict[int, Values],
    pops: dict[int, dict[str, list[float]]],
    in_book: dict[int, bool],
    age: int | None,
    account_id: int,
) -> list[Component]:
    components = []
    for scoring in signals:
        signal, pk = scoring.signal, scoring.pk
        value = raw[pk].get(account_id)
        metrics: tuple[tuple[str, float, float], ...] = ()
        shown: float | None = None
        score: float | None = None
        if scoring.per_metric:
            metrics = _metric_scores(scoring, value, pops.get(pk, {}))
            if metrics:
                score = round(math.fsum(m[2] for m in metrics) / len(metrics), 1)
        elif value is not None:
            shown = round(value, 2)
            score = round(scoring.score(value, pops.get(pk, {}).get("")), 1)
        state = component_state(
            book_has_source=in_book[pk],
            has_value=score is not None,
            account_age_days=age,
            needs_days=scoring.needs_days,
        )
        if state is not State.SCORED:
            score, metrics = None, ()
        components.append(
            Component(
                key=signal.key,
                label=signal.label,
                raw=shown if state is State.SCORED else None,
                score=score,
                weight=signal.weight,
                critical=signal.critical,
                unit=signal.unit,
                state=state,
                metrics=metrics,
            )
        )
    return components


def _scope(accounts: Iterable[int] | None, id_range: tuple[int, int] | None) -> Scope:
    scope: Scope = {}
    if accounts is not None:
        scope["account_id__in"] = sorted(set(accounts))
    if id_range is not None:
        scope["account_id__gte"], scope["account_id__lt"] = id_range
    return scope


def signals_of(
    card: Scorecard, signals: dict[int, list[SignalDefinition]] | None = None
) -> list[SignalDefinition]:
    """The enabled signals of a scorecard: those `signals` gives for its pk (a draft's, in a
    preview), else its own."""
    chosen = signals.get(card.pk) if signals else None
    enabled = [s for s in (chosen if chosen is not None else card.signals.all()) if s.enabled]
    # The order the snapshot's parts are stored in (`scoring.compact.version_signals`).
    return sorted(enabled, key=lambda s: (-s.weight, s.key))


def _column(
    scoring: _Scoring,
    raw: dict[int, Values],
    pops: dict[int, dict[str, list[float]]],
    has: dict[int, bool],
    ids: list[int],
) -> Column:
    signal, values = scoring.signal, raw[scoring.pk]
    return Column(
        key=signal.key,
        weight=signal.weight,
        critical=signal.critical,
        needs_days=scoring.needs_days,
        in_book=has[scoring.pk],
        percentile=scoring.percentile,
        higher=scoring.higher,
        poor=scoring.poor,
        good=scoring.good,
        per_metric=scoring.per_metric,
        values=_aligned(values, ids),
        population=pops.get(scoring.pk, {}),
    )


def _aligned(values: Values | ValueArray, ids: list[int]):
    """The values of `ids` in their order: a range measure's arrays as they are (they come in
    the order of the same ids), else looked up one by one."""
    if isinstance(values, ValueArray) and (values.ids is ids or list(values.ids) == ids):
        return values
    return [values.get(account_id) for account_id in ids]


def accounts_by_card(active: list[dict], scorecards: list[Scorecard]) -> dict[int, list[int]]:
    """{scorecard pk: ids of the active accounts it scores}."""
    # The choice hangs on the segment and the stage only: made once for each pair.
    kinds = {(row["segment"], row["lifecycle_stage"]) for row in active}
    chosen = {
        (segment, stage): scorecard_for(
            {"segment": segment, "lifecycle_stage": stage}, scorecards
        ).pk
        for segment, stage in kinds
    }
    if len(set(chosen.values())) == 1:  # one scorecard for the whole book, as is common
        return {chosen.popitem()[1]: [row["pk"] for row in active]}
    by_card: dict[int, list[int]] = {}
    for row in active:
        by_card.setdefault(chosen[row["segment"], row["lifecycle_stage"]], []).append(row["pk"])
    return by_card


def health_compute(
    *,
    as_of: date,
    scope: Scope,
    scorecards: list[Scorecard],
    refresh_populations: bool,
    sources: dict[tuple, bool] | None = None,
    signals: dict[int, list[SignalDefinition]] | None = None,
    facts: DayFacts | None = None,
) -> tuple[list[int], SnapshotRows]:
    """Score the accounts in scope active on `as_of`; return their ids and the snapshot rows,
    writing nothing (the preview of a draft uses this as it is). `signals` replaces the saved
    signals of the scorecards it names (by pk): a draft's, scored as if it were live. `facts`
    brings what was read beforehand (a backfill reads a whole range at once)."""
    facts = facts or day_facts(as_of, scope)
    active, mrr, starts = facts.active, facts.mrr, facts.starts
    by_card = facts.by_card or accounts_by_card(active, scorecards)
    cards = {card.pk: card for card in scorecards}
    # (source, metric, window) -> the book has such facts; answers may come in with `sources`
    in_book: dict[tuple, bool] = {} if sources is None else sources
    rows = SnapshotRows(day=as_of)
    for card_id, ids in by_card.items():
        card = cards[card_id]
        card_signals = signals_of(card, signals)
        raw = {
            s.pk: facts.raw[s.pk] if facts.raw else measure(s, as_of, ids, scope, starts)
            for s in card_signals
        }
        has = sources_in_book(card_signals, as_of, known=in_book)
        pops = {}
        for s in card_signals:
            if s.method != Method.PERCENTILE and not per_metric(s):
                continue
            if not scope and len(by_card) == 1:
                # Every active account is in `raw` already: it is the population.
                pops[s.pk] = populations_of(raw[s.pk])
                cache.set(_population_key(s, as_of, card.version), pops[s.pk], POPULATION_TTL)
            else:
                pops[s.pk] = population(s, as_of, card.version, refresh=refresh_populations)
        bands = Bands(green_min=card.green_min, yellow_min=card.yellow_min)
        scorings = [_Scoring.of(s) for s in card_signals]
        ages = [age_days(as_of, starts.get(account_id)) for account_id in ids]
        scored = score_card(
            [_column(scoring, raw, pops, has, ids) for scoring in scorings],
            np.array(ages, dtype=np.float64),
            bands=bands,
            min_coverage=card.min_coverage,
        )
        # The accounts with metrics of their own are scored one at a time.
        scalar = {
            i: combine(
                _components(scorings, raw, pops, has, ages[i], ids[i]),
                bands=bands,
                min_coverage=card.min_coverage,
            )
            for i in np.flatnonzero(scored.scalar).tolist()
        }
        rows.add(
            card_id=card.pk,
            version=card.version,
            per_metric=[s.per_metric for s in scorings],
            ids=ids,
            mrr=[mrr.get(account_id, 0) for account_id in ids],
            scored=scored,
            scalar=scalar,
        )
    return [row["pk"] for row in active], rows


def _stale_delete(day: date, scope: Scope, active: list[int], listed: list[int] | None) -> int:
    """Delete the snapshots of `day` of accounts in scope not active that day. They are looked
    up by key among the accounts that are not active (few), not by scanning the day's rows.
    `listed`: the pks of every account in scope, where known already."""
    if listed is None:
        listed = list(Account.objects.filter(**account_scope(scope)).values_list("pk", flat=True))
    listed_, active_ = np.array(listed, dtype=np.int64), np.array(active, dtype=np.int64)
    inactive = np.sort(np.setdiff1d(listed_, active_, assume_unique=True)).tolist()
    if connection.vendor == "postgresql":  # one array parameter, however many accounts
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {HealthSnapshot._meta.db_table} "  # noqa: S608  # nosec B608 - a model's table
                "WHERE date = %s AND account_id = ANY(%s)",
                [day, inactive],
            )
            return cursor.rowcount
    removed = 0
    for i in range(0, len(inactive), STALE_CHUNK):
        chunk = inactive[i : i + STALE_CHUNK]
        removed += HealthSnapshot.objects.filter(date=day, account_id__in=chunk).delete()[0]
    return removed


def health_recompute(
    *,
    as_of: date,
    accounts: Iterable[int] | None = None,
    id_range: tuple[int, int] | None = None,
    scorecards: list[Scorecard] | None = None,
    refresh_populations: bool | None = None,
    facts: DayFacts | None = None,
) -> RecomputeResult:
    """Score every account active on `as_of` (or only `accounts`, or ids in `id_range`) and
    upsert one snapshot per account for that day. Accounts in scope that are not active that
    day lose any snapshot they had for it. Idempotent. `facts`: as for `health_compute`."""
    scope = _scope(accounts, id_range)
    mark = facts.deletions if facts is not None and facts.deletions else deletions_mark()
    scorecards = scorecards if scorecards is not None else load_scorecards()
    versions_current(scorecards)
    # A chunk of the nightly run need not ask: the run scores everyone anyway.
    known: dict[tuple, bool] = {}
    changed = book_sources_record(as_of, scorecards, known) if id_range is None else False
    active, rows = health_compute(
        as_of=as_of,
        scope=scope,
        scorecards=scorecards,
        sources=known,
        facts=facts,
        # A full run is the moment to refresh the cached percentile populations.
        refresh_populations=not scope if refresh_populations is None else refresh_populations,
    )
    colours = dict(Counter(rows.column("colour")))
    with transaction.atomic():
        deleted = accounts_deleted_since(mark)
        removed = _stale_delete(as_of, scope, active, facts.listed if facts else None)
        if len(rows):
            columns, values = rows.written_columns()
            bulk_upsert_columns(
                HealthSnapshot,
                columns,
                values,
                key=["account_id", "date"],
                update=[c for c in columns if c not in ("account_id", "date")],
            )
        if deleted:  # accounts or scorecards deleted since they were read: their rows go
            day = HealthSnapshot.objects.filter(date=as_of)
            day.exclude(account_id__in=Account.objects.values("pk")).delete()
            day.exclude(scorecard_id__in=Scorecard.objects.values("pk")).delete()
        # The book reads the latest of these through its current-health rows. A day more than
        # 30 days back is neither anyone's latest snapshot nor the base of a trend shown, so a
        # backfill of old history skips the refresh (about 6 s at 100,000 accounts).
        if as_of >= timezone.localdate() - timedelta(days=31):
            current_scores_refresh(account_ids=scope.get("account_id__in"), id_range=id_range)
        elif rows or removed:  # a day of snapshots: the book's "health as of" day reads them
            current_health_changed()
    logger.debug("health_recompute %s scope=%s: %d snapshots", as_of, bool(scope), len(rows))
    return RecomputeResult(
        day=as_of,
        accounts=len(rows),
        removed=removed,
        colours=colours,
        sources_changed=changed and bool(scope),
    )


def health_backfill(
    days: list[date],
    *,
    scorecards: list[Scorecard] | None = None,
    on_day: Callable[[RecomputeResult], None] | None = None,
) -> list[RecomputeResult]:
    """Recompute every day of `days` (consecutive, ascending) for the whole book, as
    `health_recompute` would day by day, but with each signal measured for all the days in
    one pass over its facts (`measure_days`). Each day is written (and `on_day` told) in
    turn, so that what is done stays done."""
    scorecards = scorecards if scorecards is not None else load_scorecards()
    mark = deletions_mark()
    facts = day_facts_range(days)
    listed = list(Account.objects.values_list("pk", flat=True))
    for d in days:
        facts[d].by_card = accounts_by_card(facts[d].active, scorecards)
        facts[d].listed, facts[d].deletions = listed, mark
    for card in scorecards:
        ids = {d: facts[d].by_card.get(card.pk, []) for d in days}
        starts = {d: facts[d].starts for d in days}
        for signal in signals_of(card):
            values = measure_days(signal, days, ids, {}, starts)
            for d in days:
                if facts[d].raw is None:
                    facts[d].raw = {}
                facts[d].raw[signal.pk] = values[d]
    results = []
    for d in days:
        result = health_recompute(as_of=d, scorecards=scorecards, facts=facts.pop(d))
        results.append(result)
        if on_day is not None:
            on_day(result)
    return results


def id_chunks(*, as_of: date, size: int) -> list[tuple[int, int]]:
    """Split the accounts active on `as_of` into pk ranges of about `size` accounts, so that
    several workers can share a day."""
    ids = list(Account.objects.active_on(as_of).order_by("pk").values_list("pk", flat=True))
    # Contiguous from 0 to past any id, so an account created or activated meanwhile still
    # falls in a chunk (and loses a stale snapshot there).
    starts = [0, *(ids[i] for i in range(size, len(ids), size))] if ids else []
    ends = [*starts[1:], 2**62]
    return list(zip(starts, ends, strict=True))
