from django.db import migrations

from healthscore.defaults import create_default_scorecard


def create_default(apps, schema_editor):
    create_default_scorecard(
        apps.get_model("healthscore", "Scorecard"), apps.get_model("healthscore", "SignalDefinition")
    )


class Migration(migrations.Migration):
    dependencies = [("healthscore", "0001_initial")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
