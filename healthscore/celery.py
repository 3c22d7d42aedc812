"""The Celery app. Settings come from Django settings (CELERY_*); tasks are found in each app."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthscore.settings")

app = Celery("healthscore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _send_work_kept_while_the_broker_was_down(**kwargs):
    from jobs.queueing import outbox_flush

    outbox_flush()
