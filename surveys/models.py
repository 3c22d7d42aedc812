"""Survey answers (NPS 0–10, CSAT 1–5) from customers' contacts, the contacts themselves, the
surveys sent to them and each send's personal link."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, language_field


class SurveyType(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")


class TagKind(models.TextChoices):
    PRODUCT_AREA = "product_area", _("Product area")
    RELEASE = "release", _("Release")
    FUTURE_PLANS = "future_plans", _("Future plans")
    SOCIAL_MENTION = "social_mention", _("Social mention")
    OTHER = "other", _("Other")


class Tag(models.Model):
    """A label from the managed list that tickets, survey comments and check-ins carry, so that
    a pattern (detractors after a release) shows across them. It lives in the lowest app that
    holds feedback (survey answers); tickets and check-ins, in the apps above, link to it."""

    name = models.CharField(
        _("name"),
        max_length=64,
        unique=True,
        # Imports separate names with ; or |, so a name cannot hold them.
        validators=[
            RegexValidator(r"[;|]", inverse_match=True, message=_("Use no ; or | in a tag."))
        ],
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=TagKind.choices, default=TagKind.PRODUCT_AREA
    )
    released_on = models.DateField(
        _("release date"), null=True, blank=True, help_text=_("For a release: the day it shipped.")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            # Names match case-insensitively on import, so "Billing" and "billing" are one tag.
            models.UniqueConstraint(
                Lower("name"),
                name="tag_name_unique_any_case",
                violation_error_message=_("A tag of this name exists already (in another case)."),
            ),
            models.CheckConstraint(
                condition=Q(kind="release") | Q(released_on__isnull=True),
                name="tag_release_date_only_on_releases",
                violation_error_message=_("Only a release has a release date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SurveyResponse(models.Model):
    """One contact's answer to one survey on one day."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("account"),
    )
    survey_type = models.CharField(
        _("survey type"), max_length=8, choices=SurveyType.choices, default=SurveyType.NPS
    )
    respondent = models.EmailField(_("respondent"))
    responded_on = models.DateField(_("responded on"))
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="survey_responses", verbose_name=_("tags")
    )

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "respondent", "responded_on", "survey_type"],
                name="survey_response_natural_key",
            ),
            models.CheckConstraint(
                condition=(Q(survey_type="nps") & Q(score__lte=10))
                | (Q(survey_type="csat") & Q(score__gte=1) & Q(score__lte=5)),
                name="survey_score_in_range",
            ),
        ]
        indexes = [models.Index(fields=["responded_on", "account"])]

    def __str__(self) -> str:
        return f"{self.get_survey_type_display()} {self.score} from {self.respondent}"

    @property
    def nps_category(self) -> str:
        if self.survey_type != SurveyType.NPS:
            return ""
        return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"


class ContactQuerySet(models.QuerySet):
    def reachable(self, now: datetime, *, quiet_days: int) -> "ContactQuerySet":
        """Active contacts not surveyed within the quiet period (the claim in `sending` is the
        last word; this only spares the sender from trying contacts it would refuse)."""
        # With the account: its language is the contact's default (`effective_language`).
        return (
            self.filter(active=True)
            .select_related("account")
            .filter(
                Q(last_surveyed_at__isnull=True)
                | Q(last_surveyed_at__lte=now - timedelta(days=quiet_days))
            )
        )


class Contact(models.Model):
    """A person at a customer account whom Healthscore may survey by e-mail."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    role = models.CharField(
        _("role"), max_length=100, blank=True, help_text=_("Their job, e.g. CFO.")
    )
    is_primary = models.BooleanField(
        _("primary contact"),
        default=False,
        help_text=_(
            "Receives the survey after a support ticket is resolved (without one, the "
            "account's first contact does)."
        ),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive contacts (left the company, opted out) get no surveys."),
    )
    language = language_field(_("The language of their survey e-mails; blank: the account's."))
    # Set in the same transaction as each send, by a conditional update: the quiet-period lock.
    last_surveyed_at = models.DateTimeField(
        _("last surveyed at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["account", "name"]
        constraints = [
            models.UniqueConstraint(
                "account", Lower("email"), name="contact_email_unique_per_account"
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_primary=True),
                name="one_primary_contact_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def effective_language(self) -> str:
        """The language their e-mails and survey pages are written in: theirs, else their
        account's, else the install's."""
        return self.language or self.account.language or settings.LANGUAGE_CODE


class SurveyKind(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    PERIODIC = "periodic", _("Periodic")
    POST_TICKET = "post_ticket", _("Post-ticket")
    EXIT = "exit", _("Exit")


class Survey(models.Model):
    """A question (NPS 0–10 or CSAT 1–5) sent at one moment of the customer's life: after the
    first subscription, every few months, after a support ticket, or on leaving. One survey
    of each kind is active at a time; an exit survey also asks why and to which competitor."""

    name = models.CharField(_("name"), max_length=100)
    survey_type = models.CharField(_("survey type"), max_length=8, choices=SurveyType.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=SurveyKind.choices)
    question = models.CharField(
        _("question"), max_length=300, help_text=_("{company} is replaced by the company's name.")
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active surveys are sent.")
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(active=True), name="one_active_survey_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def question_for(self, company: str) -> str:
        """The question in the active language when it is still a default one (see defaults)."""
        # Not str.format: an admin's stray brace must not break the page.
        question = gettext(self.question) if self.question else ""  # gettext("") is the header
        return question.replace("{company}", company)

    @property
    def scale(self) -> range:
        return range(0, 11) if self.survey_type == SurveyType.NPS else range(1, 6)


class ExitReason(models.TextChoices):
    PRICE = "price", _("Too expensive")
    MISSING_FEATURES = "missing_features", _("Missing features we need")
    COMPETITOR = "competitor", _("We found a better product")
    NOT_USED = "not_used", _("We did not use it enough")
    SUPPORT = "support", _("Support or service")
    BUSINESS_CHANGE = "business_change", _("Our business changed (budget, merger, closure)")
    OTHER = "other", _("Something else")


class SendState(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")


class SurveySend(models.Model):
    """One survey e-mailed to one contact. Its personal link carries a random token of which
    only the SHA-256 is stored, answers once, and stops working when it expires."""

    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="sends", verbose_name=_("survey")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="survey_sends", verbose_name=_("contact")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The help desk's ticket id a post-ticket survey asks about (tickets live in a higher app).
    ticket_ref = models.CharField(_("ticket"), max_length=64, blank=True)
    response = models.ForeignKey(
        SurveyResponse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sends",
        verbose_name=_("response"),
    )
    exit_reason = models.CharField(
        _("exit reason"), max_length=32, choices=ExitReason.choices, blank=True
    )
    competitor = models.CharField(_("competitor"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("survey send")
        verbose_name_plural = _("survey sends")
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("sent_at")), name="survey_send_expires_after_sent"
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(answered_at__gte=F("sent_at")),
                name="survey_send_answered_after_sent",
            ),
            models.UniqueConstraint(
                fields=["ticket_ref", "contact"],
                condition=~Q(ticket_ref=""),
                name="one_survey_per_ticket_and_contact",
            ),
        ]
        indexes = [models.Index(fields=["contact", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.survey} to {self.contact} on {self.sent_at:%Y-%m-%d}"

    def state(self, now: datetime) -> SendState:
        if self.answered_at is not None:
            return SendState.ANSWERED
        if self.expires_at <= now:
            return SendState.EXPIRED
        return SendState.OPEN
