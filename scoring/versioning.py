"""Versioned scorecards: drafts, their preview, publishing, and the audit trail.

Live scores only ever use published scorecards. An admin edits a draft (a copy of the live
scorecard), previews what it would do to the book, and publishes it: the configuration is
copied onto the live scorecard, its version goes up, the version is recorded, every changed
value is written to the audit trail, and today's scores of the accounts it covers are redone.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from audit.trail import audit_record
from scoring.models import HealthSnapshot, Scorecard, SignalDefinition
from scoring.quality import churn_by_colour, score_auc
from scoring.recompute import health_compute, load_scorecards, scorecard_for
from scoring.rescoring import recompute_on_commit
from scoring.versions import CARD_FIELDS, SIGNAL_FIELDS, scorecard_config, version_record
from signals.revenue import churn_dates


def config_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """{"green_min": [70, 75], "signal usage weight": [25, 30], "signal nps": [{...}, None]}."""
    diff: dict[str, list[Any]] = {
        name: [old.get(name), new.get(name)]
        for name in CARD_FIELDS
        if old.get(name) != new.get(name)
    }
    old_signals, new_signals = old.get("signals", {}), new.get("signals", {})
    for key in sorted(old_signals.keys() | new_signals.keys()):
        before, after = old_signals.get(key), new_signals.get(key)
        if before is None or after is None:
            diff[f"signal {key}"] = [before, after]
            continue
        for name in SIGNAL_FIELDS:
            if before[name] != after[name]:
                diff[f"signal {key} {name}"] = [before[name], after[name]]
    return diff


# ---------------------------------------------------------------- drafts


def _copy_config(source: Scorecard, target: Scorecard) -> None:
    for name in CARD_FIELDS:
        setattr(target, name, getattr(source, name))
    target.save()
    target.signals.all().delete()
    SignalDefinition.objects.bulk_create(
        SignalDefinition(
            scorecard=target, key=s.key, **{name: getattr(s, name) for name in SIGNAL_FIELDS}
        )
        for s in source.signals.all()
    )


@transaction.atomic
def draft_create(*, scorecard: Scorecard, actor) -> Scorecard:
    """The draft of a live scorecard, made as a copy if there is none yet."""
    if scorecard.is_draft:
        return scorecard
    existing = scorecard.drafts.first()
    if existing:
        return existing
    draft = Scorecard(
        name=f"{scorecard.name} (draft)"[:100],
        segment=scorecard.segment,
        lifecycle_stage=scorecard.lifecycle_stage,
        draft_of=scorecard,
        version=scorecard.version,
    )
    _copy_config(scorecard, draft)
    audit_record(actor=actor, action="draft created", obj=scorecard, changes={})
    return draft


@transaction.atomic
def draft_discard(*, draft: Scorecard, actor) -> None:
    live = draft.draft_of
    audit_record(
        actor=actor,
        action="draft discarded",
        obj=live,
        changes=config_diff(scorecard_config(live), scorecard_config(draft)),
    )
    draft.delete()


def covered_accounts(card: Scorecard, day: date) -> list[int]:
    """Ids of the accounts active on `day` that `card` scores."""
    cards = load_scorecards()
    return [
        row["pk"]
        for row in Account.objects.active_on(day).values("pk", "segment", "lifecycle_stage")
        if scorecard_for(row, cards).pk == card.pk
    ]


@transaction.atomic
def draft_publish(*, draft: Scorecard, actor) -> Scorecard:
    """Make the draft live: copy it onto its scorecard, raise the version, record the version
    and the audit trail, drop the draft, and rescore today's accounts once committed."""
    live = Scorecard.objects.select_for_update().get(pk=draft.draft_of_id)
    # A second click on Publish waits for the first one's lock, then finds the draft gone.
    draft = Scorecard.objects.filter(pk=draft.pk).first()
    if draft is None:
        return live
    before = scorecard_config(live)
    _copy_config(draft, live)
    live.bump_version()
    version_record(live, actor=actor)
    audit_record(
        actor=actor,
        action=f"published v{live.version}",
        obj=live,
        changes=config_diff(before, scorecard_config(live)),
    )
    draft.delete()
    today = timezone.localdate()
    ids = covered_accounts(live, today)
    if ids:
        recompute_on_commit(ids, today)
    return live


# ---------------------------------------------------------------- preview


@dataclass
class ColourChange:
    account_id: int
    name: str
    old_colour: str
    old_score: float | None
    new_colour: str
    new_score: float | None


@dataclass
class Preview:
    day: date | None
    live: Counter = field(default_factory=Counter)
    draft: Counter = field(default_factory=Counter)
    changes: list[ColourChange] = field(default_factory=list)
    accounts: int = 0


def _as_preview(draft: Scorecard) -> tuple[Scorecard, list[SignalDefinition]]:
    """An unsaved stand-in for the live scorecard carrying the draft's configuration, so the
    scorecard choice and population cache keys stay the live one's, and the draft's signals
    (which `health_compute` is given in place of the live scorecard's)."""
    live = draft.draft_of
    stand_in = Scorecard(
        pk=live.pk,
        name=live.name,
        is_default=live.is_default,
        segment=live.segment,
        lifecycle_stage=live.lifecycle_stage,
        version=0,  # never the key of a cached live population
        **{name: getattr(draft, name) for name in CARD_FIELDS},
    )
    return stand_in, list(draft.signals.all())


def draft_preview(*, draft: Scorecard, day: date | None = None) -> Preview:
    """Score the book of `day` (default: the latest snapshot day) under the draft, in memory,
    and compare with the live snapshots of that day. Nothing is written."""
    day = day or (HealthSnapshot.objects.order_by("-date").values_list("date", flat=True).first())
    preview = Preview(day=day)
    if day is None:
        return preview
    stand_in, signals = _as_preview(draft)
    cards = [c for c in load_scorecards() if c.pk != draft.draft_of_id] + [stand_in]
    # Fresh populations: the draft's signals may rank by other measures than the cached ones.
    _, rows = health_compute(
        as_of=day,
        scope={},
        scorecards=cards,
        signals={stand_in.pk: signals},
        refresh_populations=True,
    )
    covered = {row["account_id"]: row for row in rows if row["scorecard_id"] == draft.draft_of_id}
    live = {
        s["account_id"]: s
        for s in HealthSnapshot.objects.filter(date=day, account_id__in=list(covered)).values(
            "account_id", "colour", "score", "account__name"
        )
    }
    preview.accounts = len(covered)
    for account_id, row in covered.items():
        old = live.get(account_id)
        old_colour = old["colour"] if old else "none"
        preview.live[old_colour] += 1
        preview.draft[row["colour"]] += 1
        if old_colour != row["colour"]:
            preview.changes.append(
                ColourChange(
                    account_id=account_id,
                    name=old["account__name"] if old else str(account_id),
                    old_colour=old_colour,
                    old_score=old["score"] if old else None,
                    new_colour=row["colour"],
                    new_score=row["score"],
                )
            )
    preview.changes.sort(key=lambda c: (c.new_colour, c.name))
    return preview


# ---------------------------------------------------------------- score quality, live vs draft


@dataclass
class Quality:
    days: list[date]
    horizon: int
    observations: int
    live_auc: float | None
    draft_auc: float | None
    live_bands: list
    draft_bands: list


def draft_quality(
    *, draft: Scorecard, horizon: int = 90, samples: int = 6, step: int = 14
) -> Quality | None:
    """How well the live and the draft configuration rank the accounts that went on to churn
    within `horizon` days, on a few past snapshot days whose outcome is known. None without
    enough history."""
    today = timezone.localdate()
    last_known = today - timedelta(days=horizon)
    stored = set(
        HealthSnapshot.objects.filter(date__lte=last_known, scorecard_id=draft.draft_of_id)
        .values_list("date", flat=True)
        .distinct()
    )
    days = []
    day = last_known
    while len(days) < samples and stored and day >= min(stored):
        if day in stored:
            days.append(day)
        day -= timedelta(days=step)
    if not days:
        return None
    churned_on = {a: d for a, d in churn_dates().items() if d <= today}
    stand_in, signals = _as_preview(draft)
    cards = [c for c in load_scorecards() if c.pk != draft.draft_of_id] + [stand_in]
    live_obs, draft_obs = [], []
    for day in days:
        live = dict(
            HealthSnapshot.objects.filter(date=day, scorecard_id=draft.draft_of_id).values_list(
                "account_id", "score"
            )
        )
        live_colour = dict(
            HealthSnapshot.objects.filter(date=day, account_id__in=list(live)).values_list(
                "account_id", "colour"
            )
        )
        _, rows = health_compute(
            as_of=day,
            scope={},
            scorecards=cards,
            signals={stand_in.pk: signals},
            refresh_populations=True,
        )
        for row in rows:
            account = row["account_id"]
            if account not in live:
                continue
            gone = account in churned_on and day < churned_on[account] <= day + timedelta(horizon)
            live_obs.append((live[account], live_colour[account], gone))
            draft_obs.append((row["score"], row["colour"], gone))

    def auc(obs):
        scored = [(s, g) for s, _, g in obs if s is not None]
        return score_auc([s for s, _ in scored], [g for _, g in scored])

    return Quality(
        days=sorted(days),
        horizon=horizon,
        observations=len(live_obs),
        live_auc=auc(live_obs),
        draft_auc=auc(draft_obs),
        live_bands=churn_by_colour((c, g) for _, c, g in live_obs),
        draft_bands=churn_by_colour((c, g) for _, c, g in draft_obs),
    )
