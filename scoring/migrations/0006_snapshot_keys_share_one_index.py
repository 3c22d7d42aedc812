"""The snapshot's foreign keys lose their own indexes: the unique (account, date) index serves
look-ups by account, and nothing looks snapshots up by scorecard. Only the indexes are dropped;
the constraints stay as they are (re-adding them would re-check the whole history)."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "account": "scoring_healthsnapshot_account_id_be58a099",
    "scorecard": "scoring_healthsnapshot_scorecard_id_1384d28c",
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_language_and_verbose_names"),
        ("scoring", "0005_goal_and_advocacy_sources"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "scoring_healthsnapshot" ("{field}_id")',
                )
                for field, name in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="healthsnapshot",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="snapshots",
                        to="accounts.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="healthsnapshot",
                    name="scorecard",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="scoring.scorecard",
                    ),
                ),
            ],
        )
    ]
