"""/api/v1/ endpoints, the OpenAPI schema at /api/schema/ and its docs at /api/docs/."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api import tracking, views

router = SimpleRouter()
router.register("accounts", views.AccountViewSet, basename="api-account")
router.register("subscriptions", views.SubscriptionViewSet, basename="api-subscription")
router.register("usage", views.UsageViewSet, basename="api-usage")
router.register("invoices", views.InvoiceViewSet, basename="api-invoice")
router.register("tickets", views.TicketViewSet, basename="api-ticket")
router.register("emails", views.EmailViewSet, basename="api-email")
router.register("nps", views.NpsViewSet, basename="api-nps")
router.register("sentiment", views.SentimentViewSet, basename="api-sentiment")
router.register("goals", views.GoalViewSet, basename="api-goal")
router.register("referrals", views.ReferralViewSet, basename="api-referral")
router.register("contacts", views.ContactViewSet, basename="api-contact")
router.register("survey-answers", views.SurveyAnswerViewSet, basename="api-survey-answer")
router.register("health", views.HealthViewSet, basename="api-health")
router.register("tasks", views.TaskViewSet, basename="api-task")


class YamlTextRenderer(OpenApiYamlRenderer):
    """The YAML schema as text/yaml: a browser shows it (inline) rather than saving a file of
    a type it does not know; clients that ask for application/vnd.oai.openapi still get it."""

    media_type = "text/yaml"
    charset = "utf-8"


@extend_schema_view(get=extend_schema(exclude=True))
class SchemaView(SpectacularAPIView):
    """The schema, left out of itself: YAML, or JSON with ?format=json."""

    renderer_classes = [YamlTextRenderer, *SpectacularAPIView.renderer_classes]


v1 = [
    # Before the router, whose health/<pk>/ would take "latest" for a primary key.
    path(
        "health/latest/", views.LatestHealthView.as_view({"get": "list"}), name="api-health-latest"
    ),
    # Segment's HTTP Tracking API paths (…/v1/track, …/v1/batch), without a trailing slash.
    path("track", tracking.TrackView.as_view(), name="api-track"),
    path("batch", tracking.BatchView.as_view(), name="api-batch"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    # The docs page is for people: anonymous visitors go to the login page, like everywhere.
    # The split view serves its start-up script as a file: the pages allow no inline script.
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]
