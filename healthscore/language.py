"""The interface's language: the user's own choice, else the browser's.

Django's LocaleMiddleware picks the language from the switcher's cookie or Accept-Language;
for a signed-in user with a language on their profile, `UserLanguageMiddleware` (after the
authentication middleware) activates that one instead, so the choice follows them from device
to device. The header switcher posts to `set_language`, which is Django's view that also
saves the choice on the profile (blank: back to the browser's language).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        chosen = user.language if user.is_authenticated else ""
        if chosen in LANGUAGE_CODES and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


@login_not_required
@require_POST
def set_language(request):
    """Django's set_language (cookie and redirect back), and the choice kept on the profile."""
    code = request.POST.get("language", "")
    response = django_set_language(request)
    if code == "":  # back to the browser's language: forget the cookie and the profile's choice
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    if request.user.is_authenticated and (code == "" or code in LANGUAGE_CODES):
        request.user.language = code
        request.user.save(update_fields=["language"])
    return response
