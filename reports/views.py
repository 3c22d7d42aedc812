"""Report pages for managers and admins: one view for every report (`report_page`), which
reads the filters, calls the page's selector and renders its charts beside its tables — or,
with `?format=csv&table=NAME`, hands back one table as CSV — and the two writes a report
allows (a draft with proposed bands or suggested weights)."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts import formats
from accounts.models import Segment
from reports.pages import BY_SLUG, PAGES, Page
from reports.quality import band_shares, bands_apply, quality_report
from reports.tables import HORIZONS, ReportFilters, Table
from reports.weights import DraftExists, suggestion_apply, weights_suggestion
from scoring.exporting import csv_download


def manager_only(view: Callable) -> Callable:
    """Reports show the whole book: managers and admins only (anonymous visitors never get
    here — the login middleware sends them to the login page)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.sees_all_accounts:
            raise PermissionDenied("Reports are for managers and admins.")
        return view(request, *args, **kwargs)

    return wrapped


def _filters(request, params=None) -> ReportFilters:
    return ReportFilters.from_query(
        request.GET if params is None else params, today=timezone.localdate()
    )


def _csv(
    slug: str, report, tables: list[Table], name: str | None, *, spreadsheet: bool
) -> HttpResponse:
    table = next((t for t in tables if t.name == name), tables[0])
    f = report.filters
    filename = f"{slug}-{table.name}-{f.first:%Y-%m}-to-{f.last:%Y-%m}"
    if f.segment:
        filename += f"-{f.segment}"
    response, writer = csv_download(filename, spreadsheet=spreadsheet)
    for row in table.csv_rows():
        writer.writerow(row)
    return response


@manager_only
def index(request):
    return redirect("report_portfolio")


@manager_only
def report_page(request, slug: str):
    page: Page = BY_SLUG[slug]
    report = page.select(_filters(request), request.GET)
    tables = page.tables(report)
    if request.GET.get("format") == "csv":
        spreadsheet = request.GET.get("spreadsheet") == "1"
        return _csv(slug, report, tables, request.GET.get("table"), spreadsheet=spreadsheet)
    f = report.filters
    params = f.query()
    context = {
        "current": slug,
        "title": page.label,
        "pages": [(p.slug, p.label, reverse(p.url_name)) for p in PAGES],
        "report": report,
        "filters": f,
        "params": params,
        "nav_params": {k: v for k, v in params.items() if k != "horizon"},
        "segments": Segment.choices,
        "horizons": HORIZONS,
        "charts": page.chart_list(report),
        "monthly_charts": page.monthly,
        "tables": tables,
        "today": f.today,
    }
    return render(request, f"reports/{slug}.html", context)


@require_POST
def quality_bands_apply(request):
    """Put the bands proposed from the score distribution into a draft of the default
    scorecard (admins); the admin previews and publishes it there."""
    if not request.user.can_configure:
        raise PermissionDenied(gettext("Only admins change scorecards."))
    red_share, green_share = band_shares(request.POST)
    filters = _filters(request, request.POST)
    report = quality_report(filters=filters, red_share=red_share, green_share=green_share)
    if report.bands is None:
        messages.error(request, gettext("There are no scores in this period to set bands from."))
        return redirect(f"{reverse('report_quality')}?{urlencode(filters.query())}")
    draft = bands_apply(preview=report.bands, actor=request.user)
    messages.success(
        request,
        gettext(
            "Red below %(red)s and green from %(green)s are in %(draft)s. Preview it, then "
            "publish it: live colours do not change until then."
        )
        % {
            "red": formats.figure(report.bands.yellow_min),
            "green": formats.figure(report.bands.green_min),
            "draft": draft.name,
        },
    )
    return redirect("admin:scoring_scorecard_change", draft.pk)


@require_POST
def weights_apply(request):
    """Turn the suggestion for the posted period into a draft of the default scorecard
    (admins); the admin previews and publishes it there."""
    if not request.user.can_configure:
        raise PermissionDenied(gettext("Only admins change scorecards."))
    filters = _filters(request, request.POST)
    report = weights_suggestion(filters=filters)
    back = f"{reverse('report_weights')}?{urlencode(filters.query())}"
    if not report.suggestion.ok or report.scorecard is None:
        messages.error(request, report.suggestion.problem or gettext("There is nothing to apply."))
        return redirect(back)
    try:
        draft = suggestion_apply(report=report, actor=request.user)
    except DraftExists as exc:
        messages.error(request, str(exc))
        return redirect("admin:scoring_scorecard_change", exc.draft.pk)
    messages.success(
        request,
        gettext(
            "The suggested weights are in %(draft)s. Preview it, then publish it: live scores "
            "do not change until then."
        )
        % {"draft": draft.name},
    )
    return redirect("admin:scoring_scorecard_change", draft.pk)
