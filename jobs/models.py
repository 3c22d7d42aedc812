"""The outbox: Celery work kept in the database while the broker is down."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingJob(models.Model):
    """A Celery task that could not be queued because the broker (Redis) was down. The work
    is kept here and queued again once the broker answers (`jobs.queueing`)."""

    task = models.CharField(max_length=200, verbose_name=_("task"))
    args = models.JSONField(default=list, verbose_name=_("arguments"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    error = models.CharField(max_length=300, blank=True, verbose_name=_("error"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("pending job")
        verbose_name_plural = _("pending jobs")

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
