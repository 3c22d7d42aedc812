"""Token authentication: `Authorization: Token <key>` or `Authorization: Bearer <key>`.

A personal token authenticates as its user. An ingest token authenticates as an
`IngestClient`, which is not a user: `Account.objects.visible_to` gives it no account, and the
permission class lets it do nothing but write data.
"""

import base64

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.tokens import ApiToken, token_for_key

KEYWORDS = (b"token", b"bearer")


class IngestClient:
    """Who an ingest token acts as: authenticated, but nobody's user and nobody's book."""

    is_authenticated = True
    is_anonymous = False
    # Not an active *user*: Account.objects.visible_to() gives it no account to read.
    is_active = False
    is_staff = is_superuser = False
    sees_all_accounts = False
    can_configure = False
    pk = id = None

    def __init__(self, token: ApiToken):
        self.token = token
        self.username = f"ingest:{token.prefix}"

    def __str__(self) -> str:
        return f"ingest token {self.token}"

    def has_perm(self, perm, obj=None) -> bool:
        return False


def is_ingest(user) -> bool:
    return isinstance(user, IngestClient)


class TokenAuthentication(authentication.BaseAuthentication):
    """Personal and ingest tokens, looked up by the SHA-256 of the key."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: the session (or nobody) then
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header: use 'Authorization: Token <key>'.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return authenticate_key(key)

    def authenticate_header(self, request) -> str:
        # Makes unauthenticated requests 401 (with WWW-Authenticate), not 403.
        return 'Token realm="api"'


def authenticate_key(key: str):
    """(who, token) for a token's key, or AuthenticationFailed saying why not."""
    token = token_for_key(key)
    if token is None:
        raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
    if token.is_ingest:
        return IngestClient(token), token
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("The token's user is inactive."))
    return token.user, token


class WriteKeyAuthentication(authentication.BaseAuthentication):
    """Segment's way: HTTP Basic with the key as the user name and an empty password."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"basic":
            return None
        try:
            decoded = base64.b64decode(parts[1], validate=True).decode("ascii")
        except (IndexError, ValueError):
            raise exceptions.AuthenticationFailed(_("Invalid basic header.")) from None
        key = decoded.partition(":")[0]
        if not key:
            raise exceptions.AuthenticationFailed(_("The key goes in the user name."))
        return authenticate_key(key)

    def authenticate_header(self, request) -> str:
        return 'Basic realm="api"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal or ingest token: `Authorization: Bearer <key>` "
            "(or `Authorization: Token <key>`). Admins create tokens in the admin.",
        }


class WriteKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.WriteKeyAuthentication"
    name = "writeKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Segment's way of sending a write key: HTTP Basic with an ingest "
            "token's key as the user name and an empty password.",
        }
