"""Scorecards, the signal definitions they weigh, and the daily health snapshots they produce."""

from typing import Any

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

    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    is_default = models.BooleanField(default=False, verbose_name=_("default"))
    segment = models.CharField(
        max_length=32, choices=Segment.choices, blank=True, verbose_name=_("segment")
    )
    lifecycle_stage = models.CharField(
        max_length=32, choices=LifecycleStage.choices, blank=True, verbose_name=_("lifecycle stage")
    )
    green_min = models.FloatField(
        default=70.0, help_text=_("Scores from here up are green."), verbose_name=_("green from")
    )
    yellow_min = models.FloatField(
        default=40.0, help_text=_("Scores from here up are yellow."), verbose_name=_("yellow from")
    )
    min_coverage = models.FloatField(
        default=0.5,
        help_text=_("Share of the total weight that must have data, else the score is grey."),
        verbose_name=_("minimum coverage"),
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    draft_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="drafts",
        verbose_name=_("draft of"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

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
            raise ValidationError(_("Bands must satisfy 0 ≤ yellow from < green from ≤ 100."))
        if not (0 <= self.min_coverage <= 1):
            raise ValidationError({"min_coverage": _("Use a share between 0 and 1, e.g. 0.5.")})


METHOD_CHOICES = [
    (Method.THRESHOLD.value, _("Threshold")),
    (Method.PERCENTILE.value, _("Percentile")),
    (Method.TREND.value, _("Trend")),
]
COLOUR_CHOICES = [
    (Colour.GREEN.value, _("Green")),
    (Colour.YELLOW.value, _("Yellow")),
    (Colour.RED.value, _("Red")),
    (Colour.GREY.value, _("Grey")),
]


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

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="signals", verbose_name=_("scorecard")
    )
    key = models.SlugField(
        max_length=50, help_text=_("Short name, unique in the scorecard."), verbose_name=_("key")
    )
    label = models.CharField(max_length=100, verbose_name=_("label"))
    source = models.CharField(max_length=32, choices=Source.choices, verbose_name=_("source"))
    metric = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Usage metric to measure; empty = all metrics."),
        verbose_name=_("metric"),
    )
    method = models.CharField(max_length=16, choices=METHOD_CHOICES, verbose_name=_("method"))
    direction = models.CharField(
        max_length=16,
        choices=Direction.choices,
        default=Direction.HIGHER_BETTER,
        verbose_name=_("direction"),
    )
    poor = models.FloatField(
        null=True,
        blank=True,
        help_text=_("Raw value scoring 0 (threshold, trend)."),
        verbose_name=_("poor value"),
    )
    good = models.FloatField(
        null=True,
        blank=True,
        help_text=_("Raw value scoring 100 (threshold, trend)."),
        verbose_name=_("good value"),
    )
    window_days = models.PositiveIntegerField(
        default=30, help_text=_("Look-back window in days."), verbose_name=_("window (days)")
    )
    weight = models.FloatField(default=10.0, verbose_name=_("weight"))
    critical = models.BooleanField(
        default=False,
        help_text=_("When this signal is red, the account is red whatever the mean."),
        verbose_name=_("critical"),
    )
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    unit = models.CharField(max_length=32, blank=True, verbose_name=_("unit"))

    class Meta:
        ordering = ["scorecard", "-weight", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "key"], name="signal_key_unique_in_scorecard"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="signal_weight_not_negative"),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="signal_window_positive"),
        ]
        verbose_name = _("signal definition")
        verbose_name_plural = _("signal definitions")

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
        errors: dict[str, Any] = {}
        if self.weight is not None and self.weight < 0:
            errors["weight"] = _("Weights are 0 or more.")
        if self.method in (Method.THRESHOLD, Method.TREND):
            if self.poor is None or self.good is None:
                errors["good"] = _("Threshold and trend scoring need a poor and a good value.")
            elif self.poor == self.good:
                errors["good"] = _("The good value must differ from the poor value.")
            elif (self.good > self.poor) != self.higher_is_better:
                errors["direction"] = _(
                    "The direction disagrees with the values: higher is better needs good > poor."
                )
        if self.method == Method.TREND and self.source == Source.REVENUE_TREND:
            errors["method"] = _("Revenue trend is already a change; score it with thresholds.")
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

    The foreign keys have no database constraint (migration 0009). The rows are written a
    whole book at a time, by the recompute alone, for accounts and scorecards it has just read;
    the constraint's triggers checked and locked the referenced rows one by one at commit,
    which cost more than writing the rows (1.2 s per 100,000). Django still deletes an
    account's snapshots with it and refuses to delete a scorecard that has scored (CASCADE
    and PROTECT are the ORM's), and the recompute removes what a deletion racing it left.
    """

    pk = models.CompositePrimaryKey("account_id", "date")
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="snapshots",
        db_index=False,
        db_constraint=False,
        verbose_name=_("account"),
    )
    scorecard = models.ForeignKey(
        Scorecard,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("scorecard"),
    )
    score = models.FloatField(null=True, blank=True, verbose_name=_("score"))
    coverage = models.FloatField(verbose_name=_("coverage"))
    date = models.DateField(verbose_name=_("date"))
    scorecard_version = models.PositiveIntegerField(verbose_name=_("scorecard version"))
    mrr = models.DecimalField(max_digits=12, decimal_places=2, default=0, verbose_name=_("MRR"))
    colour = models.CharField(max_length=8, choices=COLOUR_CHOICES, verbose_name=_("colour"))
    critical_override = models.CharField(
        max_length=50, blank=True, verbose_name=_("turned red by a critical signal")
    )
    parts = models.BinaryField(default=b"", verbose_name=_("components"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="snapshot_score_0_to_100",
            ),
        ]
        get_latest_by = "date"
        verbose_name = _("health snapshot")
        verbose_name_plural = _("health snapshots")

    def __str__(self) -> str:
        return f"{self.account_id} {self.date}: {self.score} {self.colour}"


class MetricName(models.Model):
    """The usage metric names that snapshots refer to by number (`scoring.compact`)."""

    name = models.CharField(max_length=64, unique=True, verbose_name=_("name"))

    class Meta:
        verbose_name = _("metric name")
        verbose_name_plural = _("metric names")

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- configuration history


class ScorecardVersion(models.Model):
    """A published configuration of a scorecard: what was live from `published_at` on."""

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="versions", verbose_name=_("scorecard")
    )
    version = models.PositiveIntegerField(verbose_name=_("version"))
    published_at = models.DateTimeField(verbose_name=_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )
    config = models.JSONField(
        help_text=_("Bands, coverage and every signal, as published."),
        verbose_name=_("configuration"),
    )

    class Meta:
        ordering = ["scorecard", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "version"], name="one_row_per_version"),
        ]
        verbose_name = _("scorecard version")
        verbose_name_plural = _("scorecard versions")

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

    start = models.DateField(verbose_name=_("start"))
    end = models.DateField(verbose_name=_("end"))
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, verbose_name=_("status")
    )
    days_done = models.PositiveIntegerField(default=0, verbose_name=_("days done"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="backfill_end_after_start"
            ),
        ]
        verbose_name = _("backfill job")
        verbose_name_plural = _("backfill jobs")

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
        Account,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="current_health",
        verbose_name=_("account"),
    )
    # Copies of the account's own fields, for the book's sorts and filters on this table alone.
    name = models.CharField(max_length=200, verbose_name=_("name"))
    external_id = models.CharField(max_length=64, verbose_name=_("external ID"))
    segment = models.CharField(max_length=32, choices=Segment.choices, verbose_name=_("segment"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_username = models.CharField(
        max_length=150, null=True, verbose_name=_("owner's username")
    )  # no owner: sorts last
    # The run of subscription lines (churn by hand included) in force on the refresh day, or
    # the next one: the account is active on d when active_from <= d < active_until (no end:
    # open-ended). Exact between refreshes until the lines change, and they change by import.
    active_from = models.DateField(null=True, verbose_name=_("active from"))
    active_until = models.DateField(null=True, verbose_name=_("active until"))
    renewal_on = models.DateField(
        null=True, help_text=_("First end of a line in force."), verbose_name=_("renewal on")
    )
    # The latest snapshot on or before the refresh day: the account's snapshot of `scored_on`.
    scored_on = models.DateField(null=True, verbose_name=_("scored on"))
    snapshot = models.ForeignObject(
        HealthSnapshot,
        from_fields=["account", "scored_on"],
        to_fields=["account", "date"],
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        verbose_name=_("snapshot"),
    )
    score = models.FloatField(null=True, verbose_name=_("score"))
    computed_colour = models.CharField(
        max_length=8, default=Colour.GREY.value, verbose_name=_("computed colour")
    )
    coverage = models.FloatField(null=True, verbose_name=_("coverage"))
    mrr = models.DecimalField(max_digits=12, decimal_places=2, null=True, verbose_name=_("MRR"))
    trend7 = models.FloatField(
        null=True,
        help_text=_("Score minus the score 7 days earlier."),
        verbose_name=_("trend over 7 days"),
    )
    trend30 = models.FloatField(
        null=True,
        help_text=_("Score minus the score 30 days earlier."),
        verbose_name=_("trend over 30 days"),
    )
    # Written by the workspace.
    override_colour = models.CharField(max_length=8, blank=True, verbose_name=_("override colour"))
    override_reason = models.CharField(
        max_length=300, blank=True, verbose_name=_("override reason")
    )
    override_expires_on = models.DateField(null=True, verbose_name=_("override expires on"))
    open_tasks = models.PositiveIntegerField(default=0, verbose_name=_("open tasks"))
    # The colour the book shows and its risk order (red 0, yellow 1, green 2, grey none).
    colour = models.CharField(max_length=8, default=Colour.GREY.value, verbose_name=_("colour"))
    colour_rank = models.PositiveSmallIntegerField(null=True, verbose_name=_("colour rank"))
    refreshed_on = models.DateField(
        help_text=_("The day of the refresh that last changed the row."),
        verbose_name=_("refreshed on"),
    )

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
        verbose_name = _("current health row")
        verbose_name_plural = _("current health rows")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score} {self.colour}"
