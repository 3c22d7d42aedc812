
import django.db.models.deletion
from django.db import migrations, models


SEQUENCE = "scoring_account_deletions"  # scoring.account_deletions


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_language_and_verbose_names'),
        ('scoring', '0008_translated_labels'),
    ]

    operations = [
        migrations.RunPython(create_sequence, drop_sequence),
        migrations.AlterField(
            model_name='healthsnapshot',
            name='account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='accounts.account', verbose_name='account'),
        ),
        migrations.AlterField(
            model_name='healthsnapshot',
            name='scorecard',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scoring.scorecard', verbose_name='scorecard'),
        ),
    ]
