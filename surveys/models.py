"""Survey answers (NPS 0–10, CSAT 1–5) from customers' contacts."""

from django.db import models
from django.db.models import Q

from accounts.models import Account


class SurveyType(models.TextChoices):
    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"


class SurveyResponse(models.Model):
    """One contact's answer to one survey on one day."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="survey_responses")
    survey_type = models.CharField(max_length=8, choices=SurveyType.choices, default=SurveyType.NPS)
    respondent = models.EmailField()
    responded_on = models.DateField()
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
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
