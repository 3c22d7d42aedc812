from django.urls import path

from reports import views
from reports.pages import PAGES

urlpatterns = [
    path("", views.index, name="reports"),
    # One view for every report, one path per page of `reports.pages.PAGES`.
    *(
        path(f"{page.path}/", views.report_page, {"slug": page.slug}, name=page.url_name)
        for page in PAGES
    ),
    path(
        "score-quality/bands/apply/", views.quality_bands_apply, name="report_quality_bands_apply"
    ),
    path("score-quality/weights/apply/", views.weights_apply, name="report_weights_apply"),
]
