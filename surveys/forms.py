"""The public answer form: a score on the survey's scale, a comment, and for an exit survey
why the customer is leaving and to which product."""

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import ExitReason, Survey, SurveyKind

COMMENT_MAX = 5000


class AnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please pick a score.")},
    )
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Anything you would like to tell us? (optional)"),
    )

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        score = self.fields["score"]
        assert isinstance(score, forms.TypedChoiceField)
        score.choices = [(n, str(n)) for n in survey.scale]
        if survey.kind == SurveyKind.EXIT:
            self.fields["exit_reason"] = forms.ChoiceField(
                required=False,
                choices=[("", _("Choose a reason")), *ExitReason.choices],
                label=_("What is the main reason you are leaving? (optional)"),
            )
            self.fields["competitor"] = forms.CharField(
                required=False,
                max_length=200,
                label=_("Which product are you moving to, if any? (optional)"),
            )
            self.order_fields(["score", "exit_reason", "competitor", "comment"])
