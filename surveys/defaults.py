"""The default surveys: one active survey of each kind, so a new install sends sensible surveys
with no setup. Plain data, so the data migration and the tests build the same surveys.

The questions are stored in English and marked for the catalogues: `Survey.question_for`
shows a stored question that is still the default in the contact's language (one an admin
rewrote is shown as written)."""

from django.utils.translation import gettext_noop

# name, type, kind, question ({company} is replaced by the company's name)
DEFAULT_SURVEYS = [
    (
        "Onboarding",
        "csat",
        "onboarding",
        gettext_noop("How satisfied are you with getting started with {company}?"),
    ),
    (
        "Periodic NPS",
        "nps",
        "periodic",
        gettext_noop("How likely are you to recommend {company} to a friend or colleague?"),
    ),
    (
        "After a support ticket",
        "csat",
        "post_ticket",
        gettext_noop("How satisfied are you with the help you got from {company} support?"),
    ),
    # CSAT rather than NPS: a churned customer's low NPS would open a detractor task on an
    # account nobody can save any more.
    ("Exit", "csat", "exit", gettext_noop("How satisfied were you with {company} overall?")),
]


def create_default_surveys(survey_model) -> None:
    """Create the survey of each kind that has none (the model is passed in for migrations)."""
    for name, survey_type, kind, question in DEFAULT_SURVEYS:
        if not survey_model.objects.filter(kind=kind).exists():
            survey_model.objects.create(
                name=name, survey_type=survey_type, kind=kind, question=question, active=True
            )
