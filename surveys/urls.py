"""Public survey pages. The including URLconf may pass `on_answered` (a callable taking the new
SurveyResponse) to every view here; the answer page calls it inside the answer's transaction."""

from django.urls import path

from surveys import views

urlpatterns = [
    path("thanks/", views.thanks, name="survey_thanks"),
    path("<str:token>/", views.answer, name="survey_answer"),
]
