"""Every minute, send the tasks kept while the broker was down (jobs/tasks.py)."""

import json

from django.db import migrations


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Send work kept while Redis was down",
        defaults={
            "task": "jobs.tasks.flush_outbox",
            "interval": every_minute,
            "kwargs": json.dumps({}),
            "expire_seconds": 50,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, migrations.RunPython.noop)]
