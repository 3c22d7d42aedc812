from django.contrib import admin

from surveys.models import SurveyResponse


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("account", "survey_type", "score", "respondent", "responded_on")
    list_filter = ("survey_type",)
    list_select_related = ("account",)
    raw_id_fields = ("account",)
