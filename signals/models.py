"""The raw facts behind a health score, each tied to an account and dated.

Every model has a natural key that is unique in the database, so imports upsert instead of
duplicating, and an index led by the date (or account and date) so "as of day D" loads are fast.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class SubscriptionLine(models.Model):
    """A billed subscription line, covering day D when start_date <= D < end_date (None = open)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="subscription_lines"
    )
    subscription_id = models.CharField(max_length=64)
    product = models.CharField(max_length=100)
    mrr = models.DecimalField(max_digits=12, decimal_places=2)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    is_trial = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # A subscription keeps its id across price changes: each change is a new line.
            models.UniqueConstraint(
                fields=["subscription_id", "start_date"], name="subscription_line_natural_key"
            ),
            models.CheckConstraint(condition=Q(mrr__gte=0), name="subscription_mrr_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="subscription_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "start_date"]),
            models.Index(fields=["end_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.product} from {self.start_date}"


class UsageRecord(models.Model):
    """One day's value of one product-usage metric (any name: logins, active_users, ...)."""

    # No index of its own: the natural key (account, metric, date) leads with it, and one
    # index less makes bulk imports faster.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="usage_records", db_index=False
    )
    date = models.DateField()
    metric = models.CharField(max_length=64)
    value = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "metric", "date"], name="usage_natural_key"),
            models.CheckConstraint(condition=Q(value__gte=0), name="usage_value_not_negative"),
        ]
        # Recompute scans a date window for every account at once.
        indexes = [models.Index(fields=["date", "account"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.metric} {self.date}: {self.value:g}"


class Invoice(models.Model):
    """An invoice issued to an account; unpaid and past due means overdue."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invoices")
    invoice_number = models.CharField(max_length=64, unique=True)
    issued_on = models.DateField()
    due_on = models.DateField()
    paid_on = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="invoice_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("issued_on")), name="invoice_due_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True) | Q(paid_on__gte=F("issued_on")),
                name="invoice_paid_after_issue",
            ),
        ]
        indexes = [models.Index(fields=["account", "issued_on"]), models.Index(fields=["due_on"])]

    def __str__(self) -> str:
        return self.invoice_number


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Ticket(models.Model):
    """A support ticket from the help desk."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tickets")
    ticket_id = models.CharField(max_length=64, unique=True)
    subject = models.CharField(max_length=200, blank=True)
    priority = models.CharField(
        max_length=16, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    tags = models.ManyToManyField("surveys.Tag", blank=True, related_name="tickets")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=F("opened_at")),
                name="ticket_response_after_open",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="ticket_resolved_after_open",
            ),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="ticket_csat_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "opened_at"]),
            models.Index(fields=["opened_at"]),
        ]

    def __str__(self) -> str:
        return self.ticket_id


class EmailMessage(models.Model):
    """An e-mail sent to an account's contacts, and whether it was opened or clicked."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="email_messages")
    message_id = models.CharField(max_length=128, unique=True)
    subject = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(opened_at__isnull=True) | Q(opened_at__gte=F("sent_at")),
                name="email_opened_after_sent",
            ),
            models.CheckConstraint(
                condition=Q(clicked_at__isnull=True) | Q(clicked_at__gte=F("sent_at")),
                name="email_clicked_after_sent",
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "account"])]

    def __str__(self) -> str:
        return self.message_id


class Sentiment(models.TextChoices):
    GREEN = "green", _("Green — going well")
    YELLOW = "yellow", _("Yellow — some concern")
    RED = "red", _("Red — at risk")


class SentimentEntry(models.Model):
    """The CSM's own read of an account on a day."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sentiment_entries")
    recorded_on = models.DateField()
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices)
    note = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "recorded_on"], name="sentiment_natural_key"
            ),
        ]
        verbose_name_plural = "sentiment entries"

    def __str__(self) -> str:
        return f"{self.account_id} {self.recorded_on}: {self.sentiment}"


class ColumnMapping(models.Model):
    """A column mapping saved by name: how the columns of some tool's CSV export become the
    fields of one import kind (`signals.mapping.Mapping`, as JSON in `spec`). Used on the
    import page and by `import_csv KIND FILE --mapping NAME`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32)
    spec = models.JSONField(_("mapping"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class TrackedMessage(models.Model):
    """The messageId of a tracking event already counted (Segment-style `track` calls), so that
    a client's retry counts once. Kept for TRACK_DEDUP_DAYS, then pruned."""

    message_id = models.CharField(max_length=100, unique=True)
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.message_id


class ImportJobState(models.TextChoices):
    MAPPING = "mapping", _("Waiting for its column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed: nothing imported")
    CANCELLED = "cancelled", _("Cancelled: nothing imported")


class ImportJob(models.Model):
    """An uploaded CSV file imported in the background by a Celery worker (`signals.import_jobs`),
    or waiting on the import page for its column mapping. The file is kept under IMPORT_DIR
    until the job ends. All or nothing holds as for any import: the rows are written in one
    transaction, rolled back on a bad row (unless skip_invalid), a failure or a cancel."""

    kind = models.CharField(_("kind"), max_length=32)
    source = models.CharField(_("file name"), max_length=255)
    path = models.CharField(max_length=500, editable=False)  # the stored upload
    size = models.BigIntegerField(_("size in bytes"), default=0)
    mapping = models.JSONField(_("column mapping"), null=True, blank=True)
    fmt = models.JSONField(_("CSV format"), default=dict, blank=True)
    skip_invalid = models.BooleanField(default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=ImportJobState.choices, default=ImportJobState.QUEUED
    )
    cancel_requested = models.BooleanField(default=False)
    rows_total = models.IntegerField(default=0)  # estimated from the line count
    rows_read = models.IntegerField(default=0)
    written = models.IntegerField(default=0)
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [[line, column, reason], ...]
    summary = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.kind} {self.source} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (ImportJobState.DONE, ImportJobState.FAILED, ImportJobState.CANCELLED)


class GoalStatus(models.TextChoices):
    """Where a success goal stands, as the CSM (or the CRM) records it."""

    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


class Goal(models.Model):
    """A success goal agreed with the customer: a KPI, its target, the value reached so far and
    the day it is due. Its status is a person's call (a target may be a ceiling or a floor), with
    one rule applied on read: a goal still open after its due day counts as missed
    (`scoring.measures.goals_on_track`). The status has no history: a past day reads the goals
    set by then with the status they have now."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="goals")
    kpi = models.CharField(_("KPI"), max_length=200)
    target = models.FloatField(_("target"))
    reached = models.FloatField(_("value reached"), null=True, blank=True)
    set_on = models.DateField(
        _("set on"), null=True, blank=True, help_text=_("Empty: counts from any day.")
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=GoalStatus.choices, default=GoalStatus.ON_TRACK
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("success goal")
        verbose_name_plural = _("success goals")
        constraints = [
            models.UniqueConstraint(fields=["account", "kpi", "due_on"], name="goal_natural_key"),
            models.CheckConstraint(
                condition=Q(set_on__isnull=True) | Q(due_on__gte=F("set_on")),
                name="goal_due_after_set",
            ),
        ]
        indexes = [models.Index(fields=["due_on", "account"])]

    def __str__(self) -> str:
        return f"{self.kpi} by {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.status in (GoalStatus.ON_TRACK, GoalStatus.AT_RISK)


class ReferralOutcome(models.TextChoices):
    LEAD = "lead", _("Lead")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Referral(models.Model):
    """A company the account referred to us: advocacy, whatever became of the lead."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="referrals")
    referred_on = models.DateField(_("referred on"))
    referred_company = models.CharField(_("referred company"), max_length=200)
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=ReferralOutcome.choices, default=ReferralOutcome.LEAD
    )

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            # One company referred by one account is one referral, whatever its outcome.
            models.UniqueConstraint(
                fields=["account", "referred_company"], name="referral_natural_key"
            ),
        ]
        indexes = [models.Index(fields=["referred_on", "account"])]

    def __str__(self) -> str:
        return f"{self.referred_company} ({self.referred_on})"
