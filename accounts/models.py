"""Users with a role, and the customer accounts they look after."""

from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    CSM = "csm", _("CSM")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", pgettext_lazy("role", "Admin")


def language_field(help_text):
    """A language of the interface, blank for the default that `help_text` names."""
    # db_default: rows written by SQL or COPY that name no language (bulk imports, benchmarks).
    return models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",
        help_text=help_text,
    )


class User(AbstractUser):
    """A person using Healthscore. The role decides which accounts they see and what they may do."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CSM)
    language = language_field(_("The language of the pages; blank: the browser's."))

    @property
    def sees_all_accounts(self) -> bool:
        """Managers and admins see the whole book; CSMs only their own accounts."""
        return self.is_superuser or self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def can_configure(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    def has_perm(self, perm, obj=None) -> bool:
        # Admins configure everything in the Django admin without per-model permission rows,
        # like superusers; an inactive admin gets nothing (same rule as Django's superuser).
        if self.is_active and self.role == Role.ADMIN:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        if self.is_active and self.role == Role.ADMIN:
            return True
        return super().has_module_perms(app_label)

    def save(self, *args, **kwargs):
        # Admins work in the Django admin; nobody else does, so a demoted admin loses access.
        # Superusers (createsuperuser) keep it whatever their role.
        self.is_staff = self.role == Role.ADMIN or self.is_superuser
        super().save(*args, **kwargs)


class Segment(models.TextChoices):
    SMB = "smb", _("SMB")
    MID_MARKET = "mid_market", _("Mid-market")
    ENTERPRISE = "enterprise", _("Enterprise")


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ADOPTION = "adoption", _("Adoption")
    MATURE = "mature", _("Mature")
    RENEWAL = "renewal", _("Renewal")


def visible_q(user, *, via: str = "") -> Q | None:
    """The one place that decides which accounts a user may see (pages, API, exports), as a
    filter on accounts or, with `via` ("account__"), on rows that point at one; None: none.
    `Account.objects.visible_to` applies it; a read model keyed by account (the book's
    current-health rows) filters with it directly rather than through a subquery of ids."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.sees_all_accounts:
        return Q()
    return Q(**{f"{via}owner": user})


class AccountQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AccountQuerySet":
        """The accounts a user may see (the rule is `visible_q`)."""
        visible = visible_q(user)
        return self.none() if visible is None else self.filter(visible)

    def active_on(self, day: date) -> "AccountQuerySet":
        """Accounts with a line covering `day` (start <= day < end), not churned by hand."""
        # Subscription lines live in a higher app; reach them through the reverse relation.
        lines = self.model._meta.get_field("subscription_lines").related_model
        covering = lines.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=day),
            account=OuterRef("pk"),
            start_date__lte=day,
        )
        return self.filter(Exists(covering)).exclude(
            Q(churned_on__isnull=False) & Q(churned_on__lte=day)
        )


class Account(models.Model):
    """A customer company, keyed by the CRM's external id."""

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
        verbose_name=_("owner"),
    )
    segment = models.CharField(
        _("segment"), max_length=32, choices=Segment.choices, default=Segment.SMB
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=32,
        choices=LifecycleStage.choices,
        default=LifecycleStage.ADOPTION,
    )
    licensed_seats = models.PositiveIntegerField(_("licensed seats"), null=True, blank=True)
    # A churn recorded by a person overrides the date derived from subscription lines.
    churned_on = models.DateField(_("churned on"), null=True, blank=True)
    churn_reason = models.CharField(_("churn reason"), max_length=200, blank=True)
    # The contacts' language unless a contact has one of their own (survey e-mails and pages).
    language = language_field(_("The language of survey e-mails; blank: the install's."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        indexes = [models.Index(fields=["owner", "name"]), models.Index(fields=["segment"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


from accounts.tokens import ApiToken  # noqa: E402,F401 - API tokens live in their own module
