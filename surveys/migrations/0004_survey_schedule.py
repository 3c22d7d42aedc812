"""The hourly survey run as a django-celery-beat entry (like the nightly recompute), so admins
can change or pause it in the admin (Periodic tasks) and the change survives restarts."""

import json

from django.db import migrations


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name="Send due surveys",
        defaults={
            "task": "healthscore.tasks.send_due_surveys",
            "interval": every_hour,
            "kwargs": json.dumps({}),
            # A run that could not start before the next one is due is dropped: the next run
            # finds the same work (each trigger is idempotent).
            "expire_seconds": 50 * 60,
            "description": "Periodic NPS, CSAT after resolved tickets, onboarding and exit "
            "surveys; never more than one survey per contact within the quiet period.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name="Send due surveys").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0003_default_surveys"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
