"""What a CSM works with on an account: check-ins, follow-up tasks and colour overrides."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from scoring.maths import Colour
from scoring.models import COLOUR_CHOICES
from workspace.task_details import task_detail


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")


class CheckIn(models.Model):
    """A conversation the CSM logged with the customer."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="check_ins", verbose_name=_("account")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    date = models.DateField(verbose_name=_("date"))
    channel = models.CharField(
        max_length=16, choices=Channel.choices, default=Channel.CALL, verbose_name=_("channel")
    )
    note = models.TextField(verbose_name=_("note"))
    tags = models.ManyToManyField(
        "surveys.Tag", blank=True, related_name="check_ins", verbose_name=_("tags")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-date", "-created_at"]
        indexes = [models.Index(fields=["account", "-date"])]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} with {self.account_id} on {self.date}"


class TaskReason(models.TextChoices):
    TURNED_RED = "turned_red", _("Turned red")
    SCORE_DROP = "score_drop", _("Fell 15+ points in 30 days")
    DETRACTOR = "detractor", _("Detractor NPS answer")
    CRITICAL_TICKET = "critical_ticket", _("Critical ticket open over a week")
    RENEWAL_RISK = "renewal_risk", _("Renews within 60 days and not green")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SNOOZED = "snoozed", _("Snoozed")
    DONE = "done", _("Done")


class Task(models.Model):
    """A check-in task for the account's CSM, opened by a rule after the nightly recompute.

    At most one task per account and reason is open (or snoozed) at a time; the database
    enforces it, so a rerun of the rules never duplicates.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("account")
    )
    reason = models.CharField(max_length=32, choices=TaskReason.choices, verbose_name=_("reason"))
    detail = models.CharField(max_length=300, blank=True, verbose_name=_("detail"))
    # What a rule found (days, scores, who answered): the detail is rendered from it on read.
    facts = models.JSONField(default=dict, blank=True, verbose_name=_("facts"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    opened_on = models.DateField(verbose_name=_("opened on"))
    due_on = models.DateField(verbose_name=_("due on"))
    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN, verbose_name=_("status")
    )
    snoozed_until = models.DateField(null=True, blank=True, verbose_name=_("snoozed until"))
    closed_on = models.DateField(null=True, blank=True, verbose_name=_("closed on"))
    outcome = models.TextField(blank=True, verbose_name=_("outcome"))

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reason"],
                condition=Q(status__in=["open", "snoozed"]),
                name="one_open_task_per_account_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("opened_on")), name="task_due_after_open"
            ),
        ]
        indexes = [models.Index(fields=["assignee", "status", "due_on"])]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} — {self.account_id}"

    def describe(self) -> str:
        """Why the task opened, in the reader's language (`workspace.task_details`)."""
        return task_detail(self.reason, self.facts, self.detail)

    @property
    def is_open(self) -> bool:
        return self.status != TaskStatus.DONE


class ColourOverride(models.Model):
    """A CSM's override of an account's colour: always with a reason and an expiry date, shown
    as an override, and ignored from the day after it expires."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("account")
    )
    colour = models.CharField(
        max_length=8,
        choices=[(value, label) for value, label in COLOUR_CHOICES if value != Colour.GREY],
        verbose_name=_("colour"),
    )
    reason = models.CharField(max_length=300, verbose_name=_("reason"))
    expires_on = models.DateField(verbose_name=_("expires on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_on = models.DateField(verbose_name=_("created on"))
    cleared_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("Set when removed by hand."),
        verbose_name=_("cleared on"),
    )

    class Meta:
        ordering = ["-created_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("created_on")), name="override_expires_after_creation"
            ),
        ]
        verbose_name = _("colour override")
        verbose_name_plural = _("colour overrides")

    def __str__(self) -> str:
        return f"{self.account_id} {self.colour} until {self.expires_on}"

    def is_active_on(self, day) -> bool:
        return self.cleared_on is None and self.created_on <= day <= self.expires_on
