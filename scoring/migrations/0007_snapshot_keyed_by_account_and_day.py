"""Snapshots keyed by (account, date) themselves: no id column, no second B-tree, the columns
widest first. Django cannot alter a table to a composite key, so the history is copied into
a new table built that way, the old one dropped and the new one renamed (one statement copies
it all; a large history takes a while and twice its disk for the time). The book's
current-health row then finds its snapshot by (account, scored_on)."""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = (
    "account_id, scorecard_id, score, coverage, date, scorecard_version, mrr, colour,"
    " critical_override, parts"
)


def day_index(apps, schema_editor):
    using = " USING brin" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX scoring_snapshot_day ON scoring_healthsnapshot{using} (date)")


def drop_day_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX scoring_snapshot_day")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_language_and_verbose_names"),
        ("scoring", "0006_snapshot_keys_share_one_index"),
    ]

    operations = [
        migrations.RemoveField(model_name="currenthealth", name="snapshot"),
        migrations.CreateModel(
            name="KeyedSnapshot",
            fields=[
                ("pk", models.CompositePrimaryKey("account_id", "date", blank=True, editable=False, primary_key=True, serialize=False)),
                ("account", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="snapshots", to="accounts.account")),
                ("scorecard", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="scoring.scorecard")),
                ("score", models.FloatField(blank=True, null=True)),
                ("coverage", models.FloatField()),
                ("date", models.DateField()),
                ("scorecard_version", models.PositiveIntegerField()),
                ("mrr", models.DecimalField(decimal_places=2, default=0, max_digits=12)),
                ("colour", models.CharField(choices=[("green", "Green"), ("yellow", "Yellow"), ("red", "Red"), ("grey", "Grey")], max_length=8)),
                ("critical_override", models.CharField(blank=True, max_length=50)),
                ("parts", models.BinaryField(default=b"")),
            ],
            options={"db_table": "scoring_keyedsnapshot"},
        ),
        migrations.RunSQL(
            f"INSERT INTO scoring_keyedsnapshot ({COLUMNS}) SELECT {COLUMNS} FROM scoring_healthsnapshot",
            reverse_sql=f"INSERT INTO scoring_healthsnapshot ({COLUMNS}) SELECT {COLUMNS} FROM scoring_keyedsnapshot",
        ),
        migrations.DeleteModel(name="HealthSnapshot"),
        migrations.RenameModel(old_name="KeyedSnapshot", new_name="HealthSnapshot"),
        migrations.AlterModelTable(name="healthsnapshot", table=None),
        migrations.AlterModelOptions(name="healthsnapshot", options={"get_latest_by": "date"}),
        migrations.AddConstraint(
            model_name="healthsnapshot",
            constraint=models.CheckConstraint(
                condition=models.Q(("score__isnull", True), models.Q(("score__gte", 0), ("score__lte", 100)), _connector="OR"),
                name="snapshot_score_0_to_100",
            ),
        ),
        migrations.RunPython(day_index, drop_day_index),
        migrations.AddField(
            model_name="currenthealth",
            name="snapshot",
            field=models.ForeignObject(from_fields=["account", "scored_on"], null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="scoring.healthsnapshot", to_fields=["account", "date"]),
        ),
    ]
