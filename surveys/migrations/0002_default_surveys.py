from django.db import migrations

from surveys.defaults import create_default_surveys


def create_defaults(apps, schema_editor):
    create_default_surveys(apps.get_model("surveys", "Survey"))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
