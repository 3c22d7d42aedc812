"""The report pages: for each, its slug and menu label, its selector, its tables and its
charts. The one report view (`reports.views.report_page`) and the URLs are built from this
table, so a new report is one entry here."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from reports import charts, feedback_pages, quality_pages, table_specs
from reports.churn import churn_report
from reports.feedback import feedback_report
from reports.nps import nps_report
from reports.portfolio import portfolio_report
from reports.quality import band_shares, quality_report
from reports.renewals import renewals_report
from reports.roi import roi_report
from reports.support import support_report
from reports.tables import ReportFilters, Table
from reports.weights import weights_suggestion


@dataclass(frozen=True)
class Chart:
    """A figure on a page: what the template draws."""

    id: str
    title: str
    figure: dict
    wide: bool = False


@dataclass(frozen=True)
class ChartSpec:
    id: str
    title: str
    figure: Callable[[Any], dict]
    wide: bool = False


@dataclass(frozen=True)
class Page:
    slug: str
    label: str
    path: str
    # The report for the filters; the query (or posted form) carries any option of its own.
    select: Callable[[ReportFilters, Mapping], Any]
    tables: Callable[[Any], list[Table]]
    charts: tuple[ChartSpec, ...]
    # Whether the report has anything to chart (a suggestion without features has not).
    charted: Callable[[Any], bool] = lambda report: True
    # Whether its charts are drawn by month (the partial month is hatched or dashed in them);
    # portfolio health is by day, score quality by horizon.
    monthly: bool = True

    @property
    def url_name(self) -> str:
        return f"report_{self.slug}"

    def chart_list(self, report) -> list[Chart]:
        if not self.charted(report):
            return []
        return [Chart(c.id, c.title, c.figure(report), c.wide) for c in self.charts]


def _quality(filters: ReportFilters, params: Mapping):
    red_share, green_share = band_shares(params)
    return quality_report(filters=filters, red_share=red_share, green_share=green_share)


PAGES = (
    Page(
        "portfolio",
        gettext_lazy("Portfolio health"),
        "portfolio",
        lambda filters, _: portfolio_report(filters=filters),
        table_specs.portfolio_tables,
        (
            ChartSpec(
                "chart-accounts", gettext_lazy("Accounts per colour"), charts.portfolio_accounts
            ),
            ChartSpec("chart-mrr", gettext_lazy("MRR per colour"), charts.portfolio_mrr),
        ),
        monthly=False,
    ),
    Page(
        "churn",
        gettext_lazy("Churn & retention"),
        "churn",
        lambda filters, _: churn_report(filters=filters),
        table_specs.churn_tables,
        (
            ChartSpec("chart-logo", gettext_lazy("Logo churn by month"), charts.churn_logo),
            ChartSpec("chart-grr", gettext_lazy("GRR and NRR by month"), charts.churn_revenue),
            ChartSpec(
                "chart-segments", gettext_lazy("Logo churn by segment"), charts.churn_segments
            ),
            ChartSpec("chart-reasons", gettext_lazy("Churn by reason"), charts.churn_reasons),
            ChartSpec(
                "chart-survival",
                gettext_lazy("Survival by months since the first subscription"),
                charts.churn_survival,
                wide=True,
            ),
        ),
    ),
    Page(
        "renewals",
        gettext_lazy("Renewals"),
        "renewals",
        lambda filters, _: renewals_report(filters=filters),
        table_specs.renewals_tables,
        (
            ChartSpec(
                "chart-pipeline", gettext_lazy("ARR due by health"), charts.renewals_pipeline
            ),
            ChartSpec("chart-rate", gettext_lazy("Renewal rate by month"), charts.renewals_rate),
        ),
    ),
    Page(
        "nps",
        gettext_lazy("NPS"),
        "nps",
        lambda filters, _: nps_report(filters=filters),
        table_specs.nps_tables,
        (ChartSpec("chart-nps", gettext_lazy("NPS by month"), charts.nps_months, wide=True),),
    ),
    Page(
        "support",
        gettext_lazy("Support"),
        "support",
        lambda filters, _: support_report(filters=filters),
        table_specs.support_tables,
        (
            ChartSpec(
                "chart-response", gettext_lazy("Time to first response"), charts.support_response
            ),
            ChartSpec(
                "chart-resolution", gettext_lazy("Time to resolution"), charts.support_resolution
            ),
        ),
    ),
    Page(
        "roi",
        gettext_lazy("CS ROI"),
        "roi",
        lambda filters, _: roi_report(filters=filters),
        table_specs.roi_tables,
        (
            ChartSpec("chart-moves", gettext_lazy("MRR movements by month"), charts.roi_movements),
            ChartSpec("chart-mrr", gettext_lazy("MRR at month end"), charts.roi_mrr),
            ChartSpec("chart-arr", gettext_lazy("ARR at month end"), charts.roi_arr),
            ChartSpec("chart-trials", gettext_lazy("Trial-to-paid conversion"), charts.roi_trials),
        ),
    ),
    Page(
        "feedback",
        gettext_lazy("Product feedback"),
        "feedback",
        lambda filters, _: feedback_report(filters=filters),
        feedback_pages.feedback_tables,
        (
            ChartSpec(
                "chart-volume",
                gettext_lazy("Tag volume by month"),
                feedback_pages.feedback_volume,
                wide=True,
            ),
            ChartSpec(
                "chart-detractors",
                gettext_lazy("Detractor share by tag"),
                feedback_pages.feedback_detractors,
            ),
            ChartSpec(
                "chart-releases",
                gettext_lazy("NPS before and after each release"),
                feedback_pages.feedback_releases,
            ),
        ),
    ),
    Page(
        "quality",
        gettext_lazy("Score quality"),
        "score-quality",
        _quality,
        quality_pages.quality_tables,
        (
            ChartSpec("chart-auc", gettext_lazy("ROC AUC by horizon"), quality_pages.quality_auc),
            ChartSpec(
                "chart-colours", gettext_lazy("Churn by colour"), quality_pages.quality_colours
            ),
            ChartSpec(
                "chart-calibration",
                gettext_lazy("Calibration: churn by score"),
                quality_pages.quality_calibration,
            ),
            ChartSpec(
                "chart-signals",
                gettext_lazy("Each signal's own AUC"),
                quality_pages.quality_signals,
            ),
        ),
        monthly=False,
    ),
    Page(
        "weights",
        gettext_lazy("Suggested weights"),
        "score-quality/weights",
        lambda filters, _: weights_suggestion(filters=filters),
        quality_pages.weights_tables,
        (
            ChartSpec(
                "chart-weights",
                gettext_lazy("Weights now and suggested"),
                quality_pages.weights_compare,
                wide=True,
            ),
        ),
        charted=lambda report: bool(report.suggestion.features),
        monthly=False,
    ),
)
BY_SLUG = {page.slug: page for page in PAGES}
