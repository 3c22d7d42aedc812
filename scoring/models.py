"""Scorecards, the signal definitions they weigh, and the daily health snapshots they produce."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, LifecycleStage, Segment
from scoring.maths import Bands, Colour, Method


class Scorecard(models.Model):
    """A set of weighted signal definitions with colour bands and a missing-data policy.

    A live scorecard is edited through a draft (a copy with `draft_of` set): live scores keep
    using the published configuration until the draft is published, which copies it onto the
    live scorecard and raises `version`. Every snapshot records the version that produced it.
    """

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    segment = models.CharField(max_length=32, choices=Segment.choices, blank=True)
    lifecycle_stage = models.CharField(max_length=32, choices=LifecycleStage.choices, blank=True)
    green_min = models.FloatField(default=70.0, help_text="Scores from here up are green.")
    yellow_min = models.FloatField(default=40.0, help_text="Scores from here up are yellow.")
    min_coverage = models.FloatField(
        default=0.5,
        help_text="Share of the total weight that must have data, else the score is grey.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    draft_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="drafts",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["draft_of"], name="one_draft_per_scorecard"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_scorecard"
            ),
            models.CheckConstraint(
                condition=Q(yellow_min__gte=0)
                & Q(green_min__gt=F("yellow_min"))
                & Q(green_min__lte=100),
                name="scorecard_bands_in_order",
            ),
            models.CheckConstraint(
                condition=Q(min_coverage__gte=0) & Q(min_coverage__lte=1),
                name="scorecard_min_coverage_0_to_1",
            ),
        ]

    def __str__(self) -> str:
        if self.draft_of_id:
            # The live scorecard's name: the draft's own (unique) name already says "(draft)".
            return f"{self.draft_of.name} (draft)"
        return f"{self.name} (v{self.version})"

    def bump_version(self) -> None:
        Scorecard.objects.filter(pk=self.pk).update(version=F("version") + 1)
        self.refresh_from_db(fields=["version"])

    @property
    def is_draft(self) -> bool:
        return self.draft_of_id is not None

    @property
    def bands(self) -> Bands:
        return Bands(green_min=self.green_min, yellow_min=self.yellow_min)

    def clean(self) -> None:
        if not (0 <= self.yellow_min < self.green_min <= 100):
            raise ValidationError("Bands must satisfy 0 ≤ yellow from < green from ≤ 100.")
        if not (0 <= self.min_coverage <= 1):
            raise ValidationError({"min_coverage": "Use a share between 0 and 1, e.g. 0.5."})


class Source(models.TextChoices):
    """Which facts a signal measures, and how they are aggregated over its window."""

    USAGE_VOLUME = (
        "usage_volume",
        _("Usage: volume per day (every metric on its own if none named)"),
    )
    USAGE_FREQUENCY = "usage_frequency", _("Usage: days active")
    USAGE_BREADTH = "usage_breadth", _("Usage: distinct metrics used")
    LICENCE_UTILISATION = (
        "licence_utilisation",
        _("Usage: latest active users ÷ licensed seats (%)"),
    )
    DAYS_SINCE_ACTIVITY = "days_since_activity", _("Usage: days since last activity")
    REVENUE_TREND = "revenue_trend", _("Revenue: MRR change against the window's start (%)")
    ACCOUNT_AGE = "account_age", _("Account age: days since the first subscription day")
    INVOICE_OVERDUE = "invoice_overdue", _("Invoices: days the oldest unpaid invoice is overdue")
    OPEN_TICKETS = "open_tickets", _("Support: days open of open high/critical tickets")
    NPS = "nps", _("NPS: mean of each contact's latest answer")
    CSAT = "csat", _("CSAT: mean rating of tickets and surveys")
    EMAIL_OPEN_RATE = "email_open_rate", _("E-mail: open rate (%)")
    SENTIMENT = "sentiment", _("CSM sentiment: latest entry")
    GOALS_ON_TRACK = "goals_on_track", _("Goals: share on track or met (%)")
    ADVOCACY = "advocacy", _("Advocacy: referrals given in the window")


class Direction(models.TextChoices):
    HIGHER_BETTER = "higher_better", _("Higher is better")
    LOWER_BETTER = "lower_better", _("Lower is better")


def shown(text: str) -> str:
    """A stored label or unit in the reader's language while it is still a default one
    (scoring/defaults.py marks those); one an admin wrote is shown as written."""
    return gettext(text) if text else text  # gettext("") is the catalogue's header


class SignalDefinition(models.Model):
    """A weighted measure that turns signal data into a 0–100 component score."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="signals")
    key = models.SlugField(max_length=50, help_text="Short name, unique in the scorecard.")
    label = models.CharField(max_length=100)
    source = models.CharField(max_length=32, choices=Source.choices)
    metric = models.CharField(
        max_length=64, blank=True, help_text="Usage metric to measure; empty = all metrics."
    )
    method = models.CharField(max_length=16, choices=[(m.value, m.name.title()) for m in Method])
    direction = models.CharField(
        max_length=16, choices=Direction.choices, default=Direction.HIGHER_BETTER
    )
    poor = models.FloatField(
        null=True, blank=True, help_text="Raw value scoring 0 (threshold, trend)."
    )
    good = models.FloatField(
        null=True, blank=True, help_text="Raw value scoring 100 (threshold, trend)."
    )
    window_days = models.PositiveIntegerField(default=30, help_text="Look-back window in days.")
    weight = models.FloatField(default=10.0)
    critical = models.BooleanField(
        default=False, help_text="When this signal is red, the account is red whatever the mean."
    )
    enabled = models.BooleanField(default=True)
    unit = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["scorecard", "-weight", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "key"], name="signal_key_unique_in_scorecard"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="signal_weight_not_negative"),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="signal_window_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.weight:g})"

    @property
    def higher_is_better(self) -> bool:
        return self.direction == Direction.HIGHER_BETTER

    @property
    def shown_label(self) -> str:
        return shown(self.label)

    @property
    def shown_unit(self) -> str:
        return shown(self.unit)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.weight is not None and self.weight < 0:
            errors["weight"] = "Weights are 0 or more."
        if self.method in (Method.THRESHOLD, Method.TREND):
            if self.poor is None or self.good is None:
                errors["good"] = "Threshold and trend scoring need a poor and a good value."
            elif self.poor == self.good:
                errors["good"] = "The good value must differ from the poor value."
            elif (self.good > self.poor) != self.higher_is_better:
                errors["direction"] = (
                    "The direction disagrees with the values: higher is better needs good > poor."
                )
        if self.method == Method.TREND and self.source == Source.REVENUE_TREND:
            errors["method"] = "Revenue trend is already a change; score it with thresholds."
        if errors:
            raise ValidationError(errors)


class HealthSnapshot(models.Model):
    """One account's health on one day, as numbers only: the score, colour, coverage, MRR, the
    scorecard version that made it, and each component's raw value and score packed in
    `parts` (`scoring.compact`), in the order of that version's signals. Labels, units,
    weights, drivers and what changed are rendered on read from these numbers and the
    published version (`scoring.explanations.explain`), in the reader's language.

    Keyed by (account, date) itself, with no id column (migration 0007): the key's index is
    the one B-tree a row pays for, and the columns are laid out widest first so that none
    pads. The day index is a BRIN index on PostgreSQL: history is written a day at a time, so
    a few bytes per 128 pages find a day, where a B-tree costs ~20 bytes a row. About 195
    bytes an account-day with the indexes.
    """

    pk = models.CompositePrimaryKey("account_id", "date")
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    score = models.FloatField(null=True, blank=True)
    coverage = models.FloatField()
    date = models.DateField()
    scorecard_version = models.PositiveIntegerField()
    mrr = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    colour = models.CharField(max_length=8, choices=[(c.value, c.name.title()) for c in Colour])
    critical_override = models.CharField(max_length=50, blank=True)
    parts = models.BinaryField(default=b"")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="snapshot_score_0_to_100",
            ),
        ]
        get_latest_by = "date"

    def __str__(self) -> str:
        return f"{self.account_id} {self.date}: {self.score} {self.colour}"


class MetricName(models.Model):
    """The usage metric names that snapshots refer to by number (`scoring.compact`)."""

    name = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- configuration history


class ScorecardVersion(models.Model):
    """A published configuration of a scorecard: what was live from `published_at` on."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    config = models.JSONField(help_text="Bands, coverage and every signal, as published.")

    class Meta:
        ordering = ["scorecard", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "version"], name="one_row_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard.name} v{self.version}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BackfillJob(models.Model):
    """A backfill of a date range, run by a Celery worker one day at a time with its progress
    recorded, so that the admin can watch it and a rerun resumes where it stopped."""

    start = models.DateField()
    end = models.DateField()
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    days_done = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="backfill_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Backfill {self.start} to {self.end} ({self.status})"

    @property
    def days_total(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def percent(self) -> int:
        return round(100 * self.days_done / self.days_total)


# ---------------------------------------------------------------- the book's read model


class CurrentHealth(models.Model):
    """What the book shows of one account, kept in one row so that a page of a 100,000-account
    book is an index scan, not a join of three snapshot days per account.

    `scoring.current_health.current_scores_refresh` writes everything scoring and the apps
    below it know (the latest snapshot, its trends, the renewal, the run of subscription lines,
    the owner); the workspace writes the override in force and the open tasks, and both keep
    `colour` (the override if any, else the computed colour) in step. Refreshed explicitly by
    the recompute and by every workspace action that changes a figure, and for the whole book
    by the nightly run (which is also when an override that expired stops counting).
    """

    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.CASCADE, related_name="current_health"
    )
    # Copies of the account's own fields, for the book's sorts and filters on this table alone.
    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=64)
    segment = models.CharField(max_length=32, choices=Segment.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_username = models.CharField(max_length=150, null=True)  # no owner: sorts last
    # The run of subscription lines (churn by hand included) in force on the refresh day, or
    # the next one: the account is active on d when active_from <= d < active_until (no end:
    # open-ended). Exact between refreshes until the lines change, and they change by import.
    active_from = models.DateField(null=True)
    active_until = models.DateField(null=True)
    renewal_on = models.DateField(null=True, help_text="First end of a line in force.")
    # The latest snapshot on or before the refresh day: the account's snapshot of `scored_on`.
    scored_on = models.DateField(null=True)
    snapshot = models.ForeignObject(
        HealthSnapshot,
        from_fields=["account", "scored_on"],
        to_fields=["account", "date"],
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
    )
    score = models.FloatField(null=True)
    computed_colour = models.CharField(max_length=8, default=Colour.GREY.value)
    coverage = models.FloatField(null=True)
    mrr = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    trend7 = models.FloatField(null=True, help_text="Score minus the score 7 days earlier.")
    trend30 = models.FloatField(null=True, help_text="Score minus the score 30 days earlier.")
    # Written by the workspace.
    override_colour = models.CharField(max_length=8, blank=True)
    override_reason = models.CharField(max_length=300, blank=True)
    override_expires_on = models.DateField(null=True)
    open_tasks = models.PositiveIntegerField(default=0)
    # The colour the book shows and its risk order (red 0, yellow 1, green 2, grey none).
    colour = models.CharField(max_length=8, default=Colour.GREY.value)
    colour_rank = models.PositiveSmallIntegerField(null=True)
    refreshed_on = models.DateField(help_text="The day of the refresh that last changed the row.")

    class Meta:
        # Each sort of the book with its tie-breakers (score, name, id), so the page is read
        # in index order; filters on colour and owner lead their own.
        indexes = [
            models.Index(fields=["colour_rank", "score", "name", "account"], name="ch_colour_sort"),
            models.Index(fields=["score", "name", "account"], name="ch_score_sort"),
            models.Index(fields=["renewal_on", "score", "name", "account"], name="ch_renewal_sort"),
            models.Index(fields=["name", "account"], name="ch_name_sort"),
            models.Index(fields=["owner_username", "score", "name"], name="ch_owner_sort"),
            models.Index(fields=["colour", "score", "name", "account"], name="ch_colour_filter"),
            models.Index(fields=["owner", "colour_rank", "score"], name="ch_owner_filter"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score} {self.colour}"
