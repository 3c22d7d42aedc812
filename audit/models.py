"""The audit trail: who changed what, when."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who changed what, when, with old and new values (configuration, overrides, owners)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(max_length=32, verbose_name=_("action"))
    object_type = models.CharField(max_length=50, verbose_name=_("object type"))
    object_id = models.CharField(max_length=50, verbose_name=_("object ID"))
    object_repr = models.CharField(max_length=200, verbose_name=_("object"))
    changes = models.JSONField(
        default=dict, help_text=_("{field: [old, new]}"), verbose_name=_("changes")
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"
