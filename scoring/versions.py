"""Published scorecard versions: each snapshot names the version that made it, and its
explanation is rendered from that version's configuration, which never changes once
published."""

from typing import Any

from django.utils import timezone

from scoring.models import Scorecard, ScorecardVersion

CARD_FIELDS = ("green_min", "yellow_min", "min_coverage")
SIGNAL_FIELDS = (
    "label", "source", "metric", "method", "direction", "poor", "good", "window_days",
    "weight", "critical", "enabled", "unit",
)  # fmt: skip


def scorecard_config(card: Scorecard) -> dict[str, Any]:
    """A scorecard's configuration as plain data (stored with each version, diffed for audit)."""
    return {
        **{name: getattr(card, name) for name in CARD_FIELDS},
        "signals": {
            s.key: {name: getattr(s, name) for name in SIGNAL_FIELDS}
            for s in sorted(card.signals.all(), key=lambda s: s.key)
        },
    }


def version_record(card: Scorecard, *, actor=None) -> ScorecardVersion:
    """Record the scorecard's current configuration as its current version."""
    version, _ = ScorecardVersion.objects.update_or_create(
        scorecard=card,
        version=card.version,
        defaults={
            "published_at": timezone.now(),
            "published_by": actor if getattr(actor, "is_authenticated", False) else None,
            "config": scorecard_config(card),
        },
    )
    return version


def versions_current(cards: list[Scorecard]) -> None:
    """Make sure the version each live scorecard scores under is recorded as it is: snapshots
    are read back through it. A scorecard whose signals were changed in place (not through a
    draft) gets a new version, so that the snapshots of the old one still read right."""
    recorded = {
        (v.scorecard_id, v.version): v.config
        for v in ScorecardVersion.objects.filter(scorecard__in=[c.pk for c in cards])
    }
    for card in cards:
        config = scorecard_config(card)
        stored = recorded.get((card.pk, card.version))
        if stored is not None and _same(stored, config):
            continue
        if stored is not None:
            card.bump_version()
        version_record(card)


def _same(stored: dict, config: dict) -> bool:
    # JSON turns nothing but tuples into lists here; floats and ints compare equal.
    return stored == config
