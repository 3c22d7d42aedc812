"""The nightly recompute and the hourly survey run as django-celery-beat entries, so admins
can change their time (or pause them) in the admin (Periodic tasks) and the change survives
restarts. Both tasks are in workspace/tasks.py."""

import json

from django.conf import settings
from django.db import migrations


def create_nightly_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour=str(settings.NIGHTLY_RECOMPUTE_HOUR), day_of_week="*",
        day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.get_or_create(
        name="Nightly health recompute",
        defaults={
            "task": "workspace.tasks.nightly_recompute",
            "crontab": crontab,
            "kwargs": json.dumps({}),
            # A run that could not start within 20 hours is dropped: the next night's run
            # recomputes the day anyway.
            "expire_seconds": 20 * 3600,
            "description": "Recompute today's health snapshot of every active account.",
        },
    )


def create_survey_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name="Send due surveys",
        defaults={
            "task": "workspace.tasks.send_due_surveys",
            "interval": every_hour,
            "kwargs": json.dumps({}),
            # A run that could not start before the next one is due is dropped: the next run
            # finds the same work (each trigger is idempotent).
            "expire_seconds": 50 * 60,
            "description": "Periodic NPS, CSAT after resolved tickets, onboarding and exit "
            "surveys; never more than one survey per contact within the quiet period.",
        },
    )


def remove_survey_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name="Send due surveys").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(create_nightly_schedule, migrations.RunPython.noop),
        migrations.RunPython(create_survey_schedule, remove_survey_schedule),
    ]
