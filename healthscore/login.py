"""A brake on password guessing, by django-axes, on every page that checks a password (/login/
and /admin/login/ both go through `django.contrib.auth.authenticate`).

Failures are kept in the database (axes' AccessAttempt table), so the brake holds with Redis
down and is shared by every web process. Two limits, over the last LOGIN_LOCKOUT_SECONDS:

- LOGIN_MAX_FAILURES for one username from one address: that pair is locked, and the same
  user still logs in from anywhere else (an attacker cannot lock a colleague out);
- LOGIN_MAX_FAILURES_PER_ADDRESS for one address whatever the usernames, against trying one
  password on many accounts.

The settings (AXES_*) are in healthscore/settings.py; admins see and clear the attempts in the
admin (*Axes › Access attempts*), or with `manage.py axes_reset`.
"""

import ipaddress
import unicodedata

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render


def login_username(request, credentials: dict | None = None) -> str:
    """The username a failure counts against, normalised as the login form does (NFKC) and
    case-folded, so that look-alike spellings share one count."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username", "")
    return unicodedata.normalize("NFKC", str(raw or "")).strip().casefold()[:150]


def client_address(request) -> str:
    """The address a failure counts against. Behind a proxy (BEHIND_PROXY), the last entry of
    X-Forwarded-For: the one our proxy added; entries before it are the client's to invent."""
    if settings.BEHIND_PROXY:
        last = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass  # not set by a proxy: the connection's own address, then
    return request.META.get("REMOTE_ADDR", "")


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginAttempts(AxesDatabaseHandler):
    """axes' database handler with a limit of its own per address.

    axes has one failure limit for all its lockout parameters; AXES_LOCKOUT_PARAMETERS lists
    the username-and-address pair first and the address alone second, and this handler counts
    the address against LOGIN_MAX_FAILURES_PER_ADDRESS instead."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair, address = (_failures(a) for a in self.get_user_attempts(request, credentials))
        if address >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS:
            return max(pair, get_failure_limit(request, credentials))
        return pair

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # A successful login clears that user's failures at that address only: logging in to
        # one's own account must not wipe the count of guesses at other accounts.
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """The page a locked-out login gets (429), on /login/ and /admin/login/ alike."""
    minutes = max(round(settings.LOGIN_LOCKOUT_SECONDS / 60), 1)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
