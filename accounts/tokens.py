"""API tokens: keys that machines use instead of a login.

A *personal* token acts as its user, with exactly that user's permissions (and loses them when
the user is deactivated). An *ingest* token belongs to no user: it may write data for any
account and read nothing but the result of its own writes. Admins create and revoke both in the
Django admin.

Only the SHA-256 of a key is stored; the key itself is shown once, when the token is created.
A key is `secrets.token_urlsafe(32)`: 256 random bits, so a plain (unsalted, fast) hash is
enough — there is nothing to guess a dictionary word from.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# last_used_at is a hint for admins, not an audit log: write it at most this often per token,
# so a burst of API calls is not also a burst of UPDATEs.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenKind(models.TextChoices):
    PERSONAL = "personal", _("Personal — acts as its user")
    INGEST = "ingest", _("Ingest only — writes data, reads nothing")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A key for the REST API. Personal tokens carry their user's permissions; ingest tokens
    have no user and may only write data. Revoked tokens are kept (revoked_at set) so admins
    can see what existed and when it stopped working."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses it, e.g. “Stripe sync”.")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=TokenKind.choices, default=TokenKind.PERSONAL
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("Personal tokens only: the user whose permissions the token carries."),
        verbose_name=_("user"),
    )
    # The first characters of the key, to tell tokens apart in the admin and in logs.
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="personal") & Q(user__isnull=False))
                | (Q(kind="ingest") & Q(user__isnull=True)),
                name="api_token_personal_has_user_ingest_has_none",
            ),
        ]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def clean(self) -> None:
        if self.kind == TokenKind.PERSONAL and self.user_id is None:
            raise ValidationError({"user": _("A personal token acts as a user: choose one.")})
        if self.kind == TokenKind.INGEST and self.user_id is not None:
            raise ValidationError(
                {"user": _("An ingest token belongs to no user: leave it empty.")}
            )

    @property
    def is_ingest(self) -> bool:
        return self.kind == TokenKind.INGEST

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


def token_new_key(token: ApiToken) -> str:
    """Give an unsaved token a fresh key; returns the key, which is not stored anywhere."""
    key = secrets.token_urlsafe(32)
    token.prefix = key[:8]
    token.key_hash = key_hash(key)
    return key


def token_issue(*, name: str, kind: str, user=None, created_by=None) -> tuple[ApiToken, str]:
    """Create a token; returns it and its key, which cannot be shown again."""
    token = ApiToken(
        name=name,
        kind=kind,
        user=user if kind == TokenKind.PERSONAL else None,
        created_by=created_by,
    )
    key = token_new_key(token)
    token.save()
    return token, key


def token_revoke(*, token: ApiToken) -> None:
    """Stop a token working at once. Revoking twice keeps the first time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])


def token_for_key(key: str) -> ApiToken | None:
    """The live token with this key (with its user), or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional, so concurrent requests do not all write it.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
