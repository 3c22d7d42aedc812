"""Snapshots keep numbers only: each component's score and raw value packed in `parts` (in the
order of the version's signals, metric names by number), the explanation JSON dropped — it is
rendered on read from the numbers and the published version. The day index becomes a BRIN
index on PostgreSQL (a B-tree elsewhere). Existing snapshots are packed from their JSON. The
daily pruning of history older than HEALTHSCORE_HISTORY_DAYS as a django-celery-beat entry."""

import json

from django.conf import settings
from django.db import migrations, models

from scoring.compact import Packed, is_per_metric, pack, version_signals
from scoring.maths import State

CARD_FIELDS = ("green_min", "yellow_min", "min_coverage")
SIGNAL_FIELDS = ("label", "source", "metric", "method", "direction", "poor", "good",
                 "window_days", "weight", "critical", "enabled", "unit")


def _live_config(card, SignalDefinition):
    # The shape of scoring.versions.scorecard_config.
    return {
        **{name: getattr(card, name) for name in CARD_FIELDS},
        "signals": {
            s.key: {name: getattr(s, name) for name in SIGNAL_FIELDS}
            for s in SignalDefinition.objects.filter(scorecard=card).order_by("key")
        },
    }


def pack_json(apps, schema_editor):
    HealthSnapshot = apps.get_model("scoring", "HealthSnapshot")
    Scorecard = apps.get_model("scoring", "Scorecard")
    ScorecardVersion = apps.get_model("scoring", "ScorecardVersion")
    SignalDefinition = apps.get_model("scoring", "SignalDefinition")
    MetricName = apps.get_model("scoring", "MetricName")
    configs = {}
    for pair in HealthSnapshot.objects.values_list("scorecard_id", "scorecard_version").distinct():
        version = ScorecardVersion.objects.filter(scorecard_id=pair[0], version=pair[1]).first()
        if version is None:  # never recorded: the live configuration is the best there is
            card = Scorecard.objects.get(pk=pair[0])
            config = _live_config(card, SignalDefinition)
            ScorecardVersion.objects.create(
                scorecard=card, version=pair[1], published_at=card.updated_at, config=config
            )
        else:
            config = version.config
        configs[pair] = config
    names = {}
    snapshots = HealthSnapshot.objects.order_by("pk").only(
        "components", "scorecard_id", "scorecard_version"
    )
    for snapshot in snapshots.iterator(chunk_size=2000):
        signals = version_signals(configs[(snapshot.scorecard_id, snapshot.scorecard_version)])
        stored = {c["key"]: c for c in snapshot.components}
        parts = []
        for key, _signal in signals:
            c = stored.get(key)
            if c is None or c.get("score") is None:
                state = State(c["state"]) if c and c.get("state") not in (None, "scored") else State.NO_DATA
                parts.append(Packed(state, None, None))
                continue
            metrics = []
            for metric, raw, score in c.get("metrics", ()):
                if metric not in names:
                    names[metric] = MetricName.objects.get_or_create(name=metric)[0].pk
                metrics.append((names[metric], raw, score))
            parts.append(Packed(State.SCORED, c["score"], c.get("raw"), tuple(metrics)))
        snapshot.parts = pack(parts, [is_per_metric(s) for _, s in signals])
        snapshot.save(update_fields=["parts"])


def prune_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="4", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.get_or_create(
        name="Prune snapshot history",
        defaults={
            "task": "scoring.tasks.prune_history",
            "crontab": crontab,
            "kwargs": json.dumps({}),
            "expire_seconds": 20 * 3600,
            "description": "Delete the snapshots older than HEALTHSCORE_HISTORY_DAYS.",
        },
    )


def remove_prune_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name="Prune snapshot history"
    ).delete()


def day_index(apps, schema_editor):
    using = "brin" if schema_editor.connection.vendor == "postgresql" else None
    method = f" USING {using}" if using else ""
    schema_editor.execute(
        f"CREATE INDEX scoring_snapshot_day ON scoring_healthsnapshot{method} (date)"
    )


def drop_day_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX scoring_snapshot_day")


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0003_current_health"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetricName",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=64, unique=True)),
            ],
        ),
        migrations.AddField(
            model_name="healthsnapshot",
            name="parts",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(pack_json, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="healthsnapshot", name="scoring_hea_date_a16c60_idx"),
        migrations.RemoveField(model_name="healthsnapshot", name="components"),
        migrations.RemoveField(model_name="healthsnapshot", name="drivers"),
        migrations.RemoveField(model_name="healthsnapshot", name="changes"),
        migrations.RemoveField(model_name="healthsnapshot", name="computed_at"),
        migrations.RunPython(day_index, drop_day_index),
        migrations.RunPython(prune_schedule, remove_prune_schedule),
    ]
