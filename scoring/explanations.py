"""A snapshot's explanation, rendered on read from its numbers and the published scorecard
version that made it: each component (raw value → score → weight → share → contribution),
the drivers that pulled the score down, and what changed since the snapshot before.

`explain` is the one render function; every sentence goes through gettext, so the reader's
language is the one the explanation is told in. Nothing here is stored: a version never
changes once published, so an old snapshot reads as it did, after the scorecard changed.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from scoring.compact import Packed, is_per_metric, pack_values, unpack, version_signals
from scoring.maths import Bands, Colour, Component, Health, State, combine, lost_points, score_delta
from scoring.models import HealthSnapshot, MetricName, Scorecard, ScorecardVersion, shown
from scoring.versions import scorecard_config

COLOUR_WORDS = {
    Colour.GREEN: gettext_lazy("green"),
    Colour.YELLOW: gettext_lazy("yellow"),
    Colour.RED: gettext_lazy("red"),
    Colour.GREY: gettext_lazy("grey"),
}
Configs = dict[tuple[int, int], dict]
CRITICAL = gettext_lazy(
    "%(label)s is critical and red, so the account is red whatever the other signals say."
)


# ---------------------------------------------------------------- numbers in words


def num(x: float) -> str:
    """Whole numbers without decimals, others with one, in the reader's format; never -0."""
    r = round(x, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return number_format(r, 0 if r.is_integer() else 1)


def signed(x: float) -> str:
    return f"+{num(x)}" if x > 0 else num(x)


def with_unit(value: float, unit: str) -> str:
    if not unit:
        return num(value)
    if unit.startswith("%"):  # "-20%"; words read "64 days overdue"
        return f"{num(value)}{unit}"
    return _("%(number)s %(unit)s") % {"number": num(value), "unit": unit}


def _plural(value: float) -> int:
    """The count ngettext chooses a form by: the number as shown (a fraction is never "one")."""
    r = round(value, 1)
    return int(r) if r.is_integer() else 2


# ---------------------------------------------------------------- drivers and changes


def driver_sentences(health: Health, *, limit: int = 3) -> list[str]:
    """What pulled the score down most, worst first: a critical override as its own sentence,
    then up to `limit` components ranked by lost points, ties by key."""
    sentences: list[str] = []
    if health.critical_override is not None:
        label = next(
            (
                p.component.label
                for p in health.parts
                if p.component.key == health.critical_override
            ),
            health.critical_override,
        )
        sentences.append(CRITICAL % {"label": label})
    # Filter on the rounded loss: "costs 0 points" would be noise, not a driver.
    losers = [p for p in health.parts if round(lost_points(p), 1) > 0]
    losers.sort(key=lambda p: (-lost_points(p), p.component.key))
    for p in losers[: max(limit, 0)]:
        c = p.component
        assert c.score is not None  # guaranteed by the lost-points filter
        if c.metrics:
            # Name the weakest metric: "usage is low" is not something a CSM can act on.
            metric, value, _score = min(c.metrics, key=lambda m: (m[2], m[0]))
            subject = _("%(label)s (lowest: %(metric)s, %(value)s)") % {
                "label": c.label,
                "metric": metric,
                "value": with_unit(value, c.unit),
            }
        elif c.raw is not None:
            subject = _("%(label)s: %(value)s") % {
                "label": c.label,
                "value": with_unit(c.raw, c.unit),
            }
        else:
            subject = c.label
        lost = lost_points(p)
        points = num(lost)
        sentences.append(
            ngettext(
                "%(subject)s scores %(score)s/100 and costs %(points)s point.",
                "%(subject)s scores %(score)s/100 and costs %(points)s points.",
                _plural(lost),
            )
            % {"subject": subject, "score": num(c.score), "points": points}
        )
    return sentences


def _score_sentence(previous: float | None, current: float | None) -> str | None:
    if previous is None and current is None:
        return None
    if previous is None:
        return _("Score is now %(score)s (not enough data before).") % {"score": num(current)}
    if current is None:
        return _("Not enough data to score now (was %(score)s).") % {"score": num(previous)}
    delta = score_delta(current, previous)
    if not delta:
        return None
    values = {"before": num(previous), "after": num(current), "delta": signed(delta)}
    if delta > 0:
        return _("Score rose from %(before)s to %(after)s (%(delta)s).") % values
    return _("Score fell from %(before)s to %(after)s (%(delta)s).") % values


def change_sentences(
    previous: Health | None,
    current: Health,
    *,
    min_points: float = 5.0,
    new_scorecard: str | None = None,
) -> list[str]:
    """What changed since the previous snapshot, in words a CSM can repeat: the overall score
    and colour first, then components that moved by at least `min_points` (biggest first,
    ties by key), then components that gained or lost data (by key). When another scorecard
    (or version) made the previous snapshot, `new_scorecard` names the one that makes this,
    and components are not compared: they were weighed by other rules."""
    if previous is None:
        return [_("First snapshot.")]
    sentences: list[str] = []
    overall = _score_sentence(previous.score, current.score)
    if overall:
        sentences.append(overall)
    if current.colour != previous.colour:
        sentences.append(
            _("Turned %(colour)s (was %(before)s).")
            % {"colour": COLOUR_WORDS[current.colour], "before": COLOUR_WORDS[previous.colour]}
        )
    if new_scorecard is not None:
        sentences.append(
            _("Now scored by %(scorecard)s, so its components are not compared.")
            % {"scorecard": new_scorecard}
        )
        return sentences

    before = {p.component.key: p.component for p in previous.parts}
    after = {p.component.key: p.component for p in current.parts}
    moves: list[tuple[float, str, str]] = []
    data_changes: list[tuple[str, str]] = []
    # A component missing from one snapshot (scorecard edited) counts as "no data" there.
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        shown = new if new is not None else old
        assert shown is not None  # the key came from one of the two snapshots
        old_score = old.score if old else None
        new_score = new.score if new else None
        if old_score is None and new_score is None:
            continue
        if old_score is None:
            text = _("%(label)s: no data before, now %(score)s/100.")
            data_changes.append((key, text % {"label": shown.label, "score": num(new_score)}))
        elif new is not None and new.state is State.NOT_MEASURED:
            text = _(
                "%(label)s: %(score)s/100 before, not measured now (no account has data "
                "from this source)."
            )
            data_changes.append((key, text % {"label": shown.label, "score": num(old_score)}))
        elif new_score is None:
            text = _("%(label)s: %(score)s/100 before, no data now.")
            data_changes.append((key, text % {"label": shown.label, "score": num(old_score)}))
        else:
            delta = score_delta(new_score, old_score)
            assert delta is not None
            if abs(delta) >= min_points and delta != 0:
                values = {
                    "label": shown.label,
                    "before": num(old_score),
                    "after": num(new_score),
                    "delta": signed(delta),
                }
                if delta > 0:
                    text = _("%(label)s rose from %(before)s/100 to %(after)s/100 (%(delta)s).")
                else:
                    text = _("%(label)s fell from %(before)s/100 to %(after)s/100 (%(delta)s).")
                moves.append((abs(delta), key, text % values))
    moves.sort(key=lambda m: (-m[0], m[1]))
    sentences.extend(text for _, _, text in moves)
    sentences.extend(text for _, text in data_changes)
    return sentences


# ---------------------------------------------------------------- versions and metric names


def version_configs(pairs: Iterable[tuple[int, int]]) -> Configs:
    """{(scorecard id, version): published configuration}, in one query. A version that was
    never recorded (a scorecard made in code) reads as its scorecard's live configuration."""
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = ScorecardVersion.objects.filter(scorecard__in={s for s, _ in pairs})
    configs = {
        (v.scorecard_id, v.version): v.config for v in rows if (v.scorecard_id, v.version) in pairs
    }
    missing = {s for s, v in pairs if (s, v) not in configs}
    for card in Scorecard.objects.filter(pk__in=missing).prefetch_related("signals"):
        for s, v in pairs:
            if s == card.pk and (s, v) not in configs:
                configs[(s, v)] = scorecard_config(card)
    return configs


def metric_ids(names: Iterable[str]) -> dict[str, int]:
    """The number of each usage metric name, numbering the new ones."""
    names = set(names)
    known = dict(MetricName.objects.filter(name__in=names).values_list("name", "pk"))
    if names - known.keys():
        MetricName.objects.bulk_create(
            [MetricName(name=n) for n in sorted(names - known.keys())], ignore_conflicts=True
        )
        known = dict(MetricName.objects.filter(name__in=names).values_list("name", "pk"))
    return known


def metric_names_all() -> dict[int, str]:
    """Every usage metric name by number (a short table: one row per metric name)."""
    return dict(MetricName.objects.values_list("pk", "name"))


def metric_names(snapshots: Iterable[HealthSnapshot], configs: Configs) -> dict[int, str]:
    ids = {
        m[0]
        for s in snapshots
        for p in _packed(s, configs[(s.scorecard_id, s.scorecard_version)])
        for m in p.metrics
    }
    return dict(MetricName.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


# ---------------------------------------------------------------- packing and reading back


def _flags(config: dict) -> list[bool]:
    return [is_per_metric(s) for _, s in version_signals(config)]


def parts_pack(health: Health, per_metric: Sequence[bool], ids: dict[str, int]) -> bytes:
    """A scored Health as the bytes a snapshot stores (its parts in signal order)."""
    return pack_values(
        [
            (
                c.state,
                c.score,
                c.raw,
                [(ids[m], raw, score) for m, raw, score in c.metrics] if c.metrics else (),
            )
            for c in (p.component for p in health.parts)
        ],
        per_metric,
    )


def _packed(snapshot: HealthSnapshot, config: dict) -> list[Packed]:
    return unpack(snapshot.parts, _flags(config)) if snapshot.parts else []


def scores_reader(config: dict) -> Callable[[bytes], dict[str, float | None]]:
    """A function from a snapshot's parts to {signal key: component score} under `config`,
    for loaders that read many snapshots and render nothing."""
    signals = version_signals(config)
    keys, flags = [key for key, _ in signals], [is_per_metric(s) for _, s in signals]

    def scores(parts: bytes) -> dict[str, float | None]:
        packed = unpack(parts, flags) if parts else []
        return {key: p.score for key, p in zip(keys, packed, strict=False)}

    return scores


def health_of(snapshot: HealthSnapshot, config: dict, names: dict[int, str]) -> Health:
    """The snapshot's Health rebuilt from its numbers and the version's configuration."""
    components = [
        Component(
            key=key,
            # In the reader's language while the label and unit are the defaults' (stored in
            # English, as the version was published).
            label=shown(signal["label"]),
            raw=p.raw,
            score=p.score,
            weight=signal["weight"],
            critical=signal["critical"],
            unit=shown(signal["unit"]),
            state=p.state,
            metrics=tuple((names.get(m, "?"), raw, score) for m, raw, score in p.metrics),
        )
        for (key, signal), p in zip(
            version_signals(config), _packed(snapshot, config), strict=False
        )
    ]
    bands = Bands(green_min=config["green_min"], yellow_min=config["yellow_min"])
    health = combine(components, bands=bands, min_coverage=config["min_coverage"])
    # What was stored stands: the score, colour and coverage the book showed that day.
    return Health(
        score=snapshot.score,
        colour=Colour(snapshot.colour),
        coverage=snapshot.coverage,
        parts=health.parts,
        critical_override=snapshot.critical_override or None,
    )


# ---------------------------------------------------------------- the explanation


@dataclass
class Explanation:
    components: list[dict] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def components_of(health: Health) -> list[dict]:
    """Each component as the pages show it."""
    return [
        {
            "key": p.component.key,
            "label": p.component.label,
            "raw": p.component.raw,
            "score": p.component.score,
            "weight": p.component.weight,
            "share": round(p.share, 4),
            "contribution": round(p.contribution, 2),
            "critical": p.component.critical,
            "unit": p.component.unit,
            "state": p.component.state.value,
            "metrics": [list(m) for m in p.component.metrics],
        }
        for p in health.parts
    ]


def _version_name(snapshot: HealthSnapshot) -> str:
    return _("%(name)s (v%(version)s)") % {
        "name": snapshot.scorecard.name,
        "version": snapshot.scorecard_version,
    }


def explain(
    snapshot: HealthSnapshot,
    *,
    previous: HealthSnapshot | None = None,
    configs: Configs | None = None,
    names: dict[int, str] | None = None,
    with_changes: bool = True,
) -> Explanation:
    """The explanation of `snapshot` — components, drivers, and (against `previous`, the
    account's snapshot before it, if any) what changed — from its numbers and the published
    version that made it. `configs` and `names` may come in from a caller explaining many
    snapshots; otherwise they are read here (a query each)."""
    shown = [snapshot] + ([previous] if previous is not None else [])
    if configs is None:
        configs = version_configs((s.scorecard_id, s.scorecard_version) for s in shown)
    if names is None:
        names = metric_names(shown, configs)
    health = health_of(
        snapshot, configs[(snapshot.scorecard_id, snapshot.scorecard_version)], names
    )
    result = Explanation(components=components_of(health), drivers=driver_sentences(health))
    if not with_changes:
        return result
    if previous is None:
        result.changes = change_sentences(None, health)
        return result
    before = health_of(
        previous, configs[(previous.scorecard_id, previous.scorecard_version)], names
    )
    same = (previous.scorecard_id, previous.scorecard_version) == (
        snapshot.scorecard_id,
        snapshot.scorecard_version,
    )
    result.changes = change_sentences(
        before, health, new_scorecard=None if same else _version_name(snapshot)
    )
    return result


class ExplainedSnapshot:
    """A snapshot with its explanation, read as the snapshot itself (its fields, and the
    rendered `components`, `drivers` and `changes`): what the account page shows."""

    def __init__(self, snapshot: HealthSnapshot, explanation: Explanation):
        self.snapshot = snapshot
        self.components = explanation.components
        self.drivers = explanation.drivers
        self.changes = explanation.changes

    def __getattr__(self, name):
        return getattr(self.snapshot, name)


# "What changed" compares with the account's snapshot before, if it is at most this old.
PREVIOUS_WITHIN = timedelta(days=31)


def previous_snapshot(snapshot: HealthSnapshot) -> HealthSnapshot | None:
    """The account's snapshot before this one, in the month before it (what "what changed"
    compares with: further back, the snapshot is a first one)."""
    since = snapshot.date - PREVIOUS_WITHIN
    return (
        HealthSnapshot.objects.filter(
            account_id=snapshot.account_id, date__lt=snapshot.date, date__gte=since
        )
        .select_related("scorecard")
        .order_by("-date")
        .first()
    )


def explained(snapshot: HealthSnapshot | None) -> ExplainedSnapshot | None:
    """The snapshot with its explanation against the account's snapshot before it."""
    if snapshot is None:
        return None
    return ExplainedSnapshot(snapshot, explain(snapshot, previous=previous_snapshot(snapshot)))


def latest_two(snapshots: QuerySet[HealthSnapshot]) -> QuerySet[HealthSnapshot]:
    """The latest two of one account's `snapshots`, with their scorecards and published
    versions: the read `latest_explained` makes."""
    published = ScorecardVersion.objects.filter(
        scorecard=OuterRef("scorecard_id"), version=OuterRef("scorecard_version")
    )
    return (
        snapshots.select_related("scorecard")
        .annotate(published=Subquery(published.values("config")[:1]))
        .order_by("-date")[:2]
    )


def latest_explained(snapshots: QuerySet[HealthSnapshot]) -> ExplainedSnapshot | None:
    """The latest of one account's `snapshots`, explained as `explained` does, with the one
    before it and both published versions read in one query (the account page's read)."""
    return latest_two_explained(list(latest_two(snapshots)))


def latest_two_explained(latest: list[HealthSnapshot]) -> ExplainedSnapshot | None:
    """`latest_explained` of the rows `latest_two` read."""
    if not latest:
        return None
    snapshot = latest[0]
    previous = (
        latest[1] if latest[1:] and latest[1].date >= snapshot.date - PREVIOUS_WITHIN else None
    )
    shown = [snapshot] + ([previous] if previous is not None else [])
    configs = {(s.scorecard_id, s.scorecard_version): s.published for s in shown}
    # A version never recorded (a scorecard made in code) reads as its live configuration.
    missing = [pair for pair, config in configs.items() if config is None]
    configs.update(version_configs(missing))
    return ExplainedSnapshot(snapshot, explain(snapshot, previous=previous, configs=configs))
