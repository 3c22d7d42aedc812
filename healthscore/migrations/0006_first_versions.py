"""Record version 1 of every scorecard that existed before versions were kept."""

from django.db import migrations
from django.utils import timezone

SIGNAL_FIELDS = ("key", "label", "source", "metric", "method", "direction", "poor", "good",
                 "window_days", "weight", "critical", "enabled", "unit")


def first_versions(apps, schema_editor):
    Scorecard = apps.get_model("healthscore", "Scorecard")
    ScorecardVersion = apps.get_model("healthscore", "ScorecardVersion")
    for card in Scorecard.objects.filter(draft_of__isnull=True):
        config = {
            "green_min": card.green_min, "yellow_min": card.yellow_min,
            "min_coverage": card.min_coverage,
            "signals": [
                {f: getattr(s, f) for f in SIGNAL_FIELDS}
                for s in card.signals.order_by("key")
            ],
        }
        ScorecardVersion.objects.get_or_create(
            scorecard=card, version=card.version,
            defaults={"published_at": timezone.now(), "config": config},
        )


class Migration(migrations.Migration):
    dependencies = [("healthscore", "0005_versions_audit_backfill")]
    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
