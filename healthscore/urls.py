"""The project's URLs: each app's own, under its prefix."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from healthscore.health_check import healthz
from healthscore.language import set_language
from workspace.answers import answer_recorded


@login_not_required
def favicon(request):
    # Browsers ask for /favicon.ico whatever the pages link: send them to the static icon.
    return redirect(static("favicon.svg"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    # Password guessing is braked by django-axes (healthscore/login.py).
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", set_language, name="set_language"),
    path("", include("workspace.urls")),
    # Public survey answer pages (no login); an answer rescores its account.
    path("s/", include("surveys.urls"), {"on_answered": answer_recorded}),
    # Manager reports (managers and admins only).
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
