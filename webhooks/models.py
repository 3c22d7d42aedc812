"""Outbound webhooks: the endpoints admins register, the events sent to them, and one
delivery per event and endpoint with its log."""

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class EventKind(models.TextChoices):
    COLOUR_CHANGED = "account.colour_changed", _("Colour changed")
    TASK_OPENED = "task.opened", _("Task opened")
    ACCOUNT_CHURNED = "account.churned", _("Account churned")
    TEST = "webhook.test", _("Test")


# What an endpoint may subscribe to (a test goes only to the endpoint it tests).
SUBSCRIBABLE = [(k.value, k.label) for k in EventKind if k != EventKind.TEST]


class BodyFormat(models.TextChoices):
    JSON = "json", _("JSON event (documented schema)")
    SLACK = "slack", _('Slack-compatible message ({"text": …})')


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """A URL that receives the events it subscribes to, signed with its secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500, help_text=_("http:// or https://"))
    secret = models.CharField(
        _("secret"),
        max_length=200,
        default=new_secret,
        help_text=_(
            "Signs every request (HMAC-SHA256); give it to the receiver. A new random one is "
            "filled in for a new endpoint."
        ),
    )
    events = models.JSONField(_("events"), default=list, blank=True)
    body_format = models.CharField(
        _("body"), max_length=8, choices=BodyFormat.choices, default=BodyFormat.JSON
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("endpoint")
        verbose_name_plural = _("endpoints")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.events, list):
            raise ValidationError({"events": _("A list of event types is expected.")})
        known = {k for k, _label in SUBSCRIBABLE}
        unknown = [str(e) for e in self.events if e not in known]
        if unknown:
            raise ValidationError(
                {"events": _("Unknown event: %(events)s.") % {"events": ", ".join(unknown)}}
            )

    def subscribes(self, kind: str) -> bool:
        return self.active and kind in (self.events or [])


class Event(models.Model):
    """Something that happened, with the body every endpoint receives (built once, so that
    every endpoint and every retry sends the same document). `key` makes an event happen once:
    a second run of the same detection finds it and records nothing."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    kind = models.CharField(_("type"), max_length=40, choices=EventKind.choices)
    key = models.CharField(_("key"), max_length=200, unique=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    payload = models.JSONField(_("body"))

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["-occurred_at"], name="webhook_event_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event sent to one endpoint (never two: unique), with what the last attempt got."""

    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    response_snippet = models.CharField(_("response"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_event")
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="webhook_delivery_status")]

    def __str__(self) -> str:
        return f"{self.event.get_kind_display()} → {self.endpoint}"
