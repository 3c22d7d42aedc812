"""Report pages for managers and admins: each reads its filters, calls one selector of
`reports`, and renders the figures of `report_charts` beside the tables — or, with
`?format=csv&table=NAME`, hands back one table as CSV."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Segment
from healthscore import report_charts as charts
from healthscore import reports
from healthscore.exporting import CsvWriter
from healthscore.reports import HORIZONS, ReportFilters

# slug, menu label, URL name: the tabs every report page shows.
PAGES = (
    ("portfolio", "Portfolio health", "report_portfolio"),
    ("churn", "Churn & retention", "report_churn"),
    ("renewals", "Renewals", "report_renewals"),
    ("nps", "NPS", "report_nps"),
    ("support", "Support", "report_support"),
    ("roi", "CS ROI", "report_roi"),
    ("quality", "Score quality", "report_quality"),
    ("weights", "Suggested weights", "report_weights"),
)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    figure: dict
    wide: bool = False


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


def _csv(slug: str, report, name: str | None) -> HttpResponse:
    tables = report.tables()
    table = next((t for t in tables if t.name == name), tables[0])
    f = report.filters
    filename = f"{slug}-{table.name}-{f.first:%Y-%m}-to-{f.last:%Y-%m}"
    if f.segment:
        filename += f"-{f.segment}"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = CsvWriter(response)
    for row in table.csv_rows():
        writer.writerow(row)
    return response


def _page(request, slug: str, report, build_charts: Callable[[], list[Chart]], **extra):
    if request.GET.get("format") == "csv":
        return _csv(slug, report, request.GET.get("table"))
    f = report.filters
    params = f.query()
    context = {
        "current": slug,
        "title": dict((s, label) for s, label, _ in PAGES)[slug],
        "pages": [(s, label, reverse(name)) for s, label, name in PAGES],
        "report": report,
        "filters": f,
        "params": params,
        "nav_params": {k: v for k, v in params.items() if k != "horizon"},
        "segments": Segment.choices,
        "horizons": HORIZONS,
        "charts": build_charts(),
        "tables": report.tables(),
        "today": f.today,
        **extra,
    }
    return render(request, f"healthscore/reports/{slug}.html", context)


@manager_only
def index(request):
    return redirect("report_portfolio")


@manager_only
def portfolio(request):
    report = reports.portfolio_report(filters=_filters(request))
    return _page(
        request,
        "portfolio",
        report,
        lambda: [
            Chart("chart-accounts", "Accounts per colour", charts.portfolio_accounts(report)),
            Chart("chart-mrr", "MRR per colour", charts.portfolio_mrr(report)),
        ],
    )


@manager_only
def churn(request):
    report = reports.churn_report(filters=_filters(request))
    return _page(
        request,
        "churn",
        report,
        lambda: [
            Chart("chart-logo", "Logo churn by month", charts.churn_logo(report)),
            Chart("chart-grr", "GRR and NRR by month", charts.churn_revenue(report)),
            Chart("chart-segments", "Logo churn by segment", charts.churn_segments(report)),
            Chart("chart-reasons", "Churn by reason", charts.churn_reasons(report)),
            Chart(
                "chart-survival",
                "Survival by months since the first subscription",
                charts.churn_survival(report),
                wide=True,
            ),
        ],
    )


@manager_only
def renewals(request):
    report = reports.renewals_report(filters=_filters(request))
    return _page(
        request,
        "renewals",
        report,
        lambda: [
            Chart("chart-pipeline", "ARR due by health", charts.renewals_pipeline(report)),
            Chart("chart-rate", "Renewal rate by month", charts.renewals_rate(report)),
        ],
    )


@manager_only
def nps(request):
    report = reports.nps_report(filters=_filters(request))
    return _page(
        request,
        "nps",
        report,
        lambda: [Chart("chart-nps", "NPS by month", charts.nps_months(report), wide=True)],
    )


@manager_only
def support(request):
    report = reports.support_report(filters=_filters(request))
    return _page(
        request,
        "support",
        report,
        lambda: [
            Chart("chart-response", "Time to first response", charts.support_response(report)),
            Chart("chart-resolution", "Time to resolution", charts.support_resolution(report)),
        ],
    )


@manager_only
def roi(request):
    report = reports.roi_report(filters=_filters(request))
    return _page(
        request,
        "roi",
        report,
        lambda: [
            Chart("chart-moves", "MRR movements by month", charts.roi_movements(report)),
            Chart("chart-mrr", "MRR and ARR", charts.roi_mrr(report)),
            Chart("chart-trials", "Trial-to-paid conversion", charts.roi_trials(report)),
        ],
    )


@manager_only
def quality(request):
    red_share, green_share = reports.band_shares(request.GET)
    report = reports.quality_report(
        filters=_filters(request), red_share=red_share, green_share=green_share
    )
    return _page(
        request,
        "quality",
        report,
        lambda: [
            Chart("chart-auc", "ROC AUC by horizon", charts.quality_auc(report)),
            Chart("chart-colours", "Churn by colour", charts.quality_colours(report)),
            Chart(
                "chart-calibration",
                "Calibration: churn by score",
                charts.quality_calibration(report),
            ),
            Chart("chart-signals", "Each signal's own AUC", charts.quality_signals(report)),
        ],
    )


@require_POST
def quality_bands_apply(request):
    """Put the bands proposed from the score distribution into a draft of the default
    scorecard (admins); the admin previews and publishes it there."""
    if not request.user.can_configure:
        raise PermissionDenied("Only admins change scorecards.")
    red_share, green_share = reports.band_shares(request.POST)
    filters = _filters(request, request.POST)
    report = reports.quality_report(filters=filters, red_share=red_share, green_share=green_share)
    if report.bands is None:
        messages.error(request, "There are no scores in this period to set bands from.")
        return redirect(f"{reverse('report_quality')}?{urlencode(filters.query())}")
    draft = reports.bands_apply(preview=report.bands, actor=request.user)
    messages.success(
        request,
        f"Red below {report.bands.yellow_min:g} and green from {report.bands.green_min:g} are in "
        f"{draft.name}. Preview it, then publish it: live colours do not change until then.",
    )
    return redirect("admin:healthscore_scorecard_change", draft.pk)


@manager_only
def weights(request):
    report = reports.weights_suggestion(filters=_filters(request))
    return _page(
        request,
        "weights",
        report,
        lambda: (
            [
                Chart(
                    "chart-weights",
                    "Weights now and suggested",
                    charts.weights_compare(report),
                    wide=True,
                )
            ]
            if report.suggestion.features
            else []
        ),
    )


@require_POST
def weights_apply(request):
    """Turn the suggestion for the posted period into a draft of the default scorecard
    (admins); the admin previews and publishes it there."""
    if not request.user.can_configure:
        raise PermissionDenied("Only admins change scorecards.")
    filters = _filters(request, request.POST)
    report = reports.weights_suggestion(filters=filters)
    back = f"{reverse('report_weights')}?{urlencode(filters.query())}"
    if not report.suggestion.ok or report.scorecard is None:
        messages.error(request, report.suggestion.problem or "There is nothing to apply.")
        return redirect(back)
    try:
        draft = reports.suggestion_apply(report=report, actor=request.user)
    except reports.DraftExists as exc:
        messages.error(request, str(exc))
        return redirect("admin:healthscore_scorecard_change", exc.draft.pk)
    messages.success(
        request,
        f"The suggested weights are in {draft.name}. Preview it, then publish it: live scores "
        "do not change until then.",
    )
    return redirect("admin:healthscore_scorecard_change", draft.pk)
