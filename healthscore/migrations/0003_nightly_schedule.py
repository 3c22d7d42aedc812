"""The nightly recompute as a django-celery-beat entry, so admins can change its time in the
admin (Periodic tasks) and the change survives restarts."""

import json

from django.conf import settings
from django.db import migrations


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour=str(settings.NIGHTLY_RECOMPUTE_HOUR), day_of_week="*",
        day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.get_or_create(
        name="Nightly health recompute",
        defaults={
            "task": "healthscore.tasks.nightly_recompute",
            "crontab": crontab,
            "kwargs": json.dumps({}),
            # A run that could not start within 20 hours is dropped: the next night's run
            # recomputes the day anyway.
            "expire_seconds": 20 * 3600,
            "description": "Recompute today's health snapshot of every active account.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("healthscore", "0002_default_scorecard"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, migrations.RunPython.noop)]
