"""Login with a brake on password guessing: after a few failed attempts for one username from
one address, further attempts are refused for a while (counted in the cache, so all web
processes share the count when Redis is configured)."""

import unicodedata

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache


def _client_ip(request) -> str:
    # Behind a proxy, configure it to set REMOTE_ADDR (gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "")


class ThrottledLoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def _key(self) -> str:
        # Normalised as the login form does (NFKC), so look-alike spellings share one count.
        raw = self.request.POST.get("username", "")
        username = unicodedata.normalize("NFKC", raw).strip().casefold()[:150]
        return f"login-failures:{_client_ip(self.request)}:{username}"

    def post(self, request, *args, **kwargs):
        if cache.get(self._key(), 0) >= settings.LOGIN_MAX_FAILURES:
            form = self.get_form()
            minutes = max(settings.LOGIN_LOCKOUT_SECONDS // 60, 1)
            form.errors.clear()
            form.add_error(
                None, f"Too many failed attempts. Wait {minutes} minutes, then try again."
            )
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = self._key()
        cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(self._key())
        return super().form_valid(form)
