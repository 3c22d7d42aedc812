"""The public answer page: no login, the question and the company's name, nothing else.

A link that is unknown (404), answered or expired (410) gets a friendly page saying so, with no
account data and the same text for every unknown token. The form posts with a CSRF token, like
every form here. A known link's pages are in its contact's language (the contact's, else the
account's, else the install's); the thank-you page is told it in its query (`?lang=`).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from surveys.answering import LinkClosed, answer_record, send_for_token
from surveys.forms import AnswerForm
from surveys.models import SendState, SurveyType

# What the two ends of each scale mean.
SCALE_ENDS: dict[str, tuple[str, str]] = {
    SurveyType.NPS: (_("Not at all likely"), _("Extremely likely")),
    SurveyType.CSAT: (_("Very dissatisfied"), _("Very satisfied")),
}
CLOSED_STATUS = {"unknown": 404, SendState.ANSWERED: 410, SendState.EXPIRED: 410}


def _closed(request, state: str):
    context = {"company": settings.HEALTHSCORE_COMPANY_NAME, "state": str(state)}
    return render(request, "surveys/closed.html", context, status=CLOSED_STATUS[state])


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def answer(request, token: str, on_answered=None):
    """`on_answered` comes from the URLconf that includes this app (see healthscore/urls.py)."""
    send = send_for_token(token)
    if send is None:
        return _closed(request, "unknown")
    language = send.contact.effective_language
    with translation.override(language):
        response = _answer(request, send, language, on_answered)
    response.headers["Content-Language"] = language
    return response


def _answer(request, send, language: str, on_answered):
    now = timezone.now()
    state = send.state(now)
    if state != SendState.OPEN:
        return _closed(request, state)
    survey = send.survey
    form = AnswerForm(request.POST if request.method == "POST" else None, survey=survey)
    if form.is_bound and form.is_valid():
        try:
            answer_record(send=send, now=now, on_answered=on_answered, **form.cleaned_data)
        except LinkClosed as closed:
            return _closed(request, closed.state)
        return redirect(reverse("survey_thanks") + f"?lang={language}")
    company = settings.HEALTHSCORE_COMPANY_NAME
    low, high = SCALE_ENDS[survey.survey_type]
    context = {
        "company": company,
        "question": survey.question_for(company),
        "form": form,
        "low": low,
        "high": high,
        "wide": survey.survey_type == SurveyType.NPS,
    }
    return render(request, "surveys/answer.html", context, status=400 if form.is_bound else 200)


@login_not_required
@require_http_methods(["GET"])
def thanks(request, on_answered=None):
    language = request.GET.get("lang", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = translation.get_language()  # the browser's, as on any page
    with translation.override(language):
        context = {"company": settings.HEALTHSCORE_COMPANY_NAME}
        response = render(request, "surveys/thanks.html", context)
    response.headers["Content-Language"] = language
    return response
