from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from healthscore import import_views, views
from healthscore import report_views as reports
from healthscore.health_check import healthz
from healthscore.survey_triggers import answer_recorded

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Password guessing is braked by django-axes (healthscore/login.py).
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/check-ins/", views.checkin_create, name="checkin_create"),
    path("accounts/<int:pk>/sentiment/", views.sentiment_create, name="sentiment_create"),
    path("accounts/<int:pk>/override/", views.override_create, name="override_create"),
    path("accounts/<int:pk>/override/remove/", views.override_delete, name="override_delete"),
    path("accounts/<int:pk>/reassign/", views.account_reassign, name="account_reassign"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("tasks/<int:pk>/snooze/", views.task_snoozed, name="task_snooze"),
    path("import/", import_views.csv_import_page, name="csv_import"),
    # Public survey answer pages (no login); an answer rescores its account.
    path("s/", include("surveys.urls"), {"on_answered": answer_recorded}),
    # Manager reports (managers and admins only).
    path("reports/", reports.index, name="reports"),
    path("reports/portfolio/", reports.portfolio, name="report_portfolio"),
    path("reports/churn/", reports.churn, name="report_churn"),
    path("reports/renewals/", reports.renewals, name="report_renewals"),
    path("reports/nps/", reports.nps, name="report_nps"),
    path("reports/support/", reports.support, name="report_support"),
    path("reports/roi/", reports.roi, name="report_roi"),
    path("reports/score-quality/", reports.quality, name="report_quality"),
    path(
        "reports/score-quality/bands/apply/",
        reports.quality_bands_apply,
        name="report_quality_bands_apply",
    ),
    path("reports/score-quality/weights/", reports.weights, name="report_weights"),
    path(
        "reports/score-quality/weights/apply/", reports.weights_apply, name="report_weights_apply"
    ),
    path("admin/", admin.site.urls),
    path("api/", include("healthscore.api.urls")),
]
