"""The default scorecard (scoring/defaults.py) and its version 1, so a new install scores
with zero tuning and the admin's history starts at the first published configuration."""

from django.db import migrations
from django.utils import timezone

from scoring.defaults import create_default_scorecard

CARD_FIELDS = ("green_min", "yellow_min", "min_coverage")
SIGNAL_FIELDS = ("label", "source", "metric", "method", "direction", "poor", "good",
                 "window_days", "weight", "critical", "enabled", "unit")


def create_default(apps, schema_editor):
    Scorecard = apps.get_model("scoring", "Scorecard")
    SignalDefinition = apps.get_model("scoring", "SignalDefinition")
    ScorecardVersion = apps.get_model("scoring", "ScorecardVersion")
    card = create_default_scorecard(Scorecard, SignalDefinition)
    # The shape of scoring.versioning.scorecard_config.
    config = {
        **{name: getattr(card, name) for name in CARD_FIELDS},
        "signals": {
            s.key: {name: getattr(s, name) for name in SIGNAL_FIELDS}
            for s in SignalDefinition.objects.filter(scorecard=card).order_by("key")
        },
    }
    ScorecardVersion.objects.get_or_create(
        scorecard=card, version=card.version,
        defaults={"published_at": timezone.now(), "config": config},
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
