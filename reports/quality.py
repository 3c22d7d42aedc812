"""Score quality: how well the scores of the past ranked the accounts that went on to
churn (ROC AUC per horizon, churn per colour, calibration, each signal's own AUC), and
bands proposed from the score distribution."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext

from accounts import formats
from audit.trail import audit_record
from reports.loading import Outcomes, churn_dates_known, observation_days, outcomes, snapshots_load
from reports.tables import HORIZONS, Column, ReportFilters, Table
from scoring import quality, versioning
from scoring.maths import Bands
from scoring.models import Scorecard, SignalDefinition
from scoring.recompute import sources_missing


@dataclass(frozen=True)
class HorizonAuc:
    horizon: int
    days: int
    n: int
    churned: int
    auc: float | None


@dataclass(frozen=True)
class SignalAuc:
    key: str
    label: str
    weight: float | None
    n: int
    coverage: float
    auc: float | None


@dataclass
class QualityReport:
    filters: ReportFilters
    horizon: int
    days: list[date]
    aucs: list[HorizonAuc]
    colours: list[quality.Band]
    lift: float | None
    calibration: list[quality.Bin]
    signals: list[SignalAuc]
    n: int
    churned: int
    missing_sources: list[str] = field(default_factory=list)
    bands: "BandPreview | None" = None

    @property
    def auc(self) -> float | None:
        return next((a.auc for a in self.aucs if a.horizon == self.horizon), None)


def colour_rows(bands: Sequence[quality.Band]) -> list[dict]:
    total = sum(b.n for b in bands)
    return [
        {
            "colour": b.name,
            "n": b.n,
            "share": round(b.n / total * 100, 2) if total else None,
            "churned": b.churned,
            "churn_rate": b.rate,
        }
        for b in bands
    ]


DEFAULT_RED_SHARE, DEFAULT_GREEN_SHARE = 15, 50  # % of scored snapshots


@dataclass
class BandPreview:
    """Colour bands set from the period's score distribution, and what they would do: each
    colour's share and churn under the bands now and under the proposed ones."""

    red_share: int  # %
    green_share: int  # %
    yellow_min: float
    green_min: float
    now: tuple[float, float]  # (yellow_min, green_min) of the default scorecard
    current: list[quality.Band]
    proposed: list[quality.Band]

    def table(self) -> Table:
        now, new = colour_rows(self.current), colour_rows(self.proposed)
        return Table(
            "bands",
            gettext("Bands from the score distribution: red below %(red)s, green from %(green)s")
            % {"red": formats.figure(self.yellow_min), "green": formats.figure(self.green_min)},
            [
                Column("colour", gettext("Colour"), "colour"),
                Column("share_now", gettext("Share now"), "pct"),
                Column("churn_now", gettext("Churn now"), "pct"),
                Column("share_proposed", gettext("Share, proposed bands"), "pct"),
                Column("churn_proposed", gettext("Churn, proposed bands"), "pct"),
            ],
            [
                {
                    "colour": a["colour"],
                    "share_now": a["share"],
                    "churn_now": a["churn_rate"],
                    "share_proposed": b["share"],
                    "churn_proposed": b["churn_rate"],
                }
                for a, b in zip(now, new, strict=True)
            ],
        )


def band_shares(params) -> tuple[int, int]:
    """The red and green shares (whole %) asked for in a query, else the defaults; anything
    out of range or not a number falls back to the default rather than failing."""

    def share(name: str, default: int) -> int:
        try:
            value = int(params.get(name, default))
        except (TypeError, ValueError):
            return default
        return value if 1 <= value <= 90 else default

    red, green = share("red_share", DEFAULT_RED_SHARE), share("green_share", DEFAULT_GREEN_SHARE)
    return (red, green) if red + green <= 100 else (DEFAULT_RED_SHARE, DEFAULT_GREEN_SHARE)


def _recoloured(observations, bands: Bands) -> list[quality.Band]:
    """Churn by colour had the bands been `bands`: grey stays grey, a critical red stays red."""
    return quality.churn_by_colour(
        (s.colour if s.score is None or s.critical else bands.colour(s.score).value, y)
        for s, y in observations
    )


def band_preview(observations, *, card: Scorecard | None, red_share: int, green_share: int):
    """Bands for the default scorecard from the scores it gave (snapshots of other scorecards
    are theirs to judge); None without any."""
    if card is None:
        return None
    observations = [(s, y) for s, y in observations if s.scorecard_id == card.pk]
    cuts = quality.bands_from_shares(
        [s.score for s, _ in observations if s.score is not None],
        red_share=red_share / 100,
        green_share=green_share / 100,
    )
    if cuts is None:
        return None
    yellow_min, green_min = cuts
    return BandPreview(
        red_share=red_share,
        green_share=green_share,
        yellow_min=yellow_min,
        green_min=green_min,
        now=(card.yellow_min, card.green_min),
        current=_recoloured(observations, card.bands),
        proposed=_recoloured(observations, Bands(green_min=green_min, yellow_min=yellow_min)),
    )


@transaction.atomic
def bands_apply(*, preview: BandPreview, actor) -> Scorecard:
    """Write the proposed bands into a draft of the default scorecard (a new one, or the one
    in progress), audited; live colours change only when the draft is published."""
    card = Scorecard.objects.get(is_default=True)
    draft = versioning.draft_create(scorecard=card, actor=actor)
    before = (draft.yellow_min, draft.green_min)
    draft.yellow_min, draft.green_min = preview.yellow_min, preview.green_min
    draft.save(update_fields=["yellow_min", "green_min", "updated_at"])
    audit_record(
        actor=actor,
        action="bands from distribution",
        obj=card,
        changes={
            "yellow_min": [before[0], preview.yellow_min],
            "green_min": [before[1], preview.green_min],
        },
    )
    return draft


def default_signals() -> list[SignalDefinition]:
    """The default scorecard's enabled signals, with the scorecard, in one query."""
    return list(
        SignalDefinition.objects.filter(scorecard__is_default=True, enabled=True).select_related(
            "scorecard"
        )
    )


def pick_horizon(
    filters: ReportFilters, observed: Outcomes, *, usable: Callable[[int], bool] | None = None
) -> int:
    """The chosen horizon, else the longest for which both churn and no churn were seen (and
    that `usable` accepts, if given)."""
    if filters.horizon:
        return filters.horizon
    for horizon in sorted(observed, reverse=True):
        churned = sum(y for _, y in observed[horizon])
        if 0 < churned < len(observed[horizon]) and (usable is None or usable(horizon)):
            return horizon
    return HORIZONS[0]


def quality_report(
    *,
    filters: ReportFilters,
    red_share: int = DEFAULT_RED_SHARE,
    green_share: int = DEFAULT_GREEN_SHARE,
) -> QualityReport:
    """How well the stored scores of the period predicted churn: AUC at 30/60/90 days, churn
    by colour, the red band's lift, calibration, each signal's own AUC, the sources the book
    lacks, and bands set from the score distribution."""
    today = filters.today
    snapshots = snapshots_load(observation_days(filters), segment=filters.segment)
    observed = outcomes(snapshots, churn_dates_known(today), today=today)
    horizon = pick_horizon(filters, observed)
    aucs = []
    for h, pairs in observed.items():
        scored = [(s.score, y) for s, y in pairs if s.score is not None]
        aucs.append(
            HorizonAuc(
                horizon=h,
                days=len({s.day for s, _ in pairs}),
                n=len(scored),
                churned=sum(y for _, y in scored),
                auc=quality.score_auc([s for s, _ in scored], [y for _, y in scored]),
            )
        )
    chosen = observed[horizon]
    scored = [(s.score, y) for s, y in chosen if s.score is not None]
    colours = quality.churn_by_colour((s.colour, y) for s, y in chosen)
    defaults = default_signals()
    labels = {s.key: (s.shown_label, s.weight) for s in defaults}
    # One pass gathers each component's (score, churned) pairs, the default's signals first.
    by_key: dict[str, tuple[list[float], list[bool]]] = {k: ([], []) for k in labels}
    for s, y in chosen:
        for key, score in s.components.items():
            if score is not None:
                values, churned = by_key.setdefault(key, ([], []))
                values.append(score)
                churned.append(y)
    signals = [
        SignalAuc(
            key=key,
            label=labels.get(key, (key, None))[0],
            weight=labels.get(key, (key, None))[1],
            n=len(values),
            coverage=len(values) / len(chosen) if chosen else 0.0,
            auc=quality.score_auc(values, churned),
        )
        for key, (values, churned) in by_key.items()
    ]
    return QualityReport(
        filters=filters,
        horizon=horizon,
        days=sorted({s.day for s, _ in chosen}),
        aucs=aucs,
        colours=colours,
        lift=quality.lift(colours, "red"),
        calibration=quality.calibration([s for s, _ in scored], [y for _, y in scored]),
        signals=signals,
        n=len(chosen),
        churned=sum(y for _, y in chosen),
        missing_sources=sources_missing(defaults, min(filters.last_day, today)),
        # Bands are the whole book's: a segment's own distribution would set them for everyone.
        bands=None
        if filters.segment
        else band_preview(
            chosen,
            card=defaults[0].scorecard if defaults else None,
            red_share=red_share,
            green_share=green_share,
        ),
    )
