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
        Account,
        on_delete=models.CASCADE,
        related_name="subscription_lines",
        verbose_name=_("account"),
    )
    subscription_id = models.CharField(max_length=64, verbose_name=_("subscription ID"))
    product = models.CharField(max_length=100, verbose_name=_("product"))
    mrr = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("MRR"))
    start_date = models.DateField(verbose_name=_("start date"))
    end_date = models.DateField(null=True, blank=True, verbose_name=_("end date"))
    is_trial = models.BooleanField(default=False, verbose_name=_("trial"))

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
        verbose_name = _("subscription line")
        verbose_name_plural = _("subscription lines")

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.product} from {self.start_date}"


class UsageRecord(models.Model):
    """One day's value of one product-usage metric (any name: logins, active_users, ...)."""

    # No index of its own: the natural key (account, metric, date) leads with it, and one
    # index less makes bulk imports faster.
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="usage_records",
        db_index=False,
        verbose_name=_("account"),
    )
    date = models.DateField(verbose_name=_("date"))
    metric = models.CharField(max_length=64, verbose_name=_("metric"))
    value = models.FloatField(verbose_name=_("value"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "metric", "date"], name="usage_natural_key"),
            models.CheckConstraint(condition=Q(value__gte=0), name="usage_value_not_negative"),
        ]
        # Recompute scans a date window for every account at once.
        indexes = [models.Index(fields=["date", "account"])]
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")

    def __str__(self) -> str:
        return f"{self.account_id} {self.metric} {self.date}: {self.value:g}"


class Invoice(models.Model):
    """An invoice issued to an account; unpaid and past due means overdue."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="invoices", verbose_name=_("account")
    )
    invoice_number = models.CharField(max_length=64, unique=True, verbose_name=_("invoice number"))
    issued_on = models.DateField(verbose_name=_("issued on"))
    due_on = models.DateField(verbose_name=_("due on"))
    paid_on = models.DateField(null=True, blank=True, verbose_name=_("paid on"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))

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
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return self.invoice_number


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Ticket(models.Model):
    """A support ticket from the help desk."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="tickets", verbose_name=_("account")
    )
    ticket_id = models.CharField(max_length=64, unique=True, verbose_name=_("ticket ID"))
    subject = models.CharField(max_length=200, blank=True, verbose_name=_("subject"))
    priority = models.CharField(
        max_length=16,
        choices=TicketPriority.choices,
        default=TicketPriority.NORMAL,
        verbose_name=_("priority"),
    )
    opened_at = models.DateTimeField(verbose_name=_("opened at"))
    first_response_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first response at")
    )
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    csat = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("CSAT"))
    tags = models.ManyToManyField(
        "surveys.Tag", blank=True, related_name="tickets", verbose_name=_("tags")
    )

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
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return self.ticket_id


class EmailMessage(models.Model):
    """An e-mail sent to an account's contacts, and whether it was opened or clicked."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="email_messages", verbose_name=_("account")
    )
    message_id = models.CharField(max_length=128, unique=True, verbose_name=_("message ID"))
    subject = models.CharField(max_length=200, blank=True, verbose_name=_("subject"))
    sent_at = models.DateTimeField(verbose_name=_("sent at"))
    opened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("opened at"))
    clicked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("clicked at"))

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
        verbose_name = _("e-mail message")
        verbose_name_plural = _("e-mail messages")

    def __str__(self) -> str:
        return self.message_id


class Sentiment(models.TextChoices):
    GREEN = "green", _("Green — going well")
    YELLOW = "yellow", _("Yellow — some concern")
    RED = "red", _("Red — at risk")


class SentimentEntry(models.Model):
    """The CSM's own read of an account on a day."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="sentiment_entries",
        verbose_name=_("account"),
    )
    recorded_on = models.DateField(verbose_name=_("recorded on"))
    sentiment = models.CharField(
        max_length=8, choices=Sentiment.choices, verbose_name=_("sentiment")
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "recorded_on"], name="sentiment_natural_key"
            ),
        ]
        verbose_name = _("sentiment entry")
        verbose_name_plural = _("sentiment entries")

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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
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

    message_id = models.CharField(max_length=100, unique=True, verbose_name=_("message ID"))
    received_at = models.DateTimeField(db_index=True, verbose_name=_("received at"))

    class Meta:
        verbose_name = _("tracked message")
        verbose_name_plural = _("tracked messages")

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
    path = models.CharField(
        max_length=500, editable=False, verbose_name=_("stored file")
    )  # the stored upload
    size = models.BigIntegerField(_("size in bytes"), default=0)
    mapping = models.JSONField(_("column mapping"), null=True, blank=True)
    fmt = models.JSONField(_("CSV format"), default=dict, blank=True)
    skip_invalid = models.BooleanField(default=False, verbose_name=_("skip invalid"))
    state = models.CharField(
        _("state"), max_length=16, choices=ImportJobState.choices, default=ImportJobState.QUEUED
    )
    cancel_requested = models.BooleanField(default=False, verbose_name=_("cancel requested"))
    rows_total = models.IntegerField(
        default=0, verbose_name=_("rows (estimated)")
    )  # estimated from the line count
    rows_read = models.IntegerField(default=0, verbose_name=_("rows read"))
    written = models.IntegerField(default=0, verbose_name=_("rows imported"))
    created = models.IntegerField(default=0, verbose_name=_("new rows"))
    updated = models.IntegerField(default=0, verbose_name=_("updated rows"))
    errors = models.JSONField(
        default=list, blank=True, verbose_name=_("errors")
    )  # [[line, column, reason], ...]
    summary = models.TextField(blank=True, verbose_name=_("summary"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

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

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="goals", verbose_name=_("account")
    )
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
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("account")
    )
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
