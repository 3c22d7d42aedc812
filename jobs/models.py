"""The outbox: Celery work kept in the database while the broker is down."""

from django.db import models


class PendingJob(models.Model):
    """A Celery task that could not be queued because the broker (Redis) was down. The work
    is kept here and queued again once the broker answers (`jobs.queueing`)."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
