"""Plotly figures of the manager reports, built on the server as plain JSON (like `charts`) and
drawn by the bundled plotly.js through static/js/charts.js. Each takes a report result and
returns a figure dict; the numbers behind every chart are also in the page's tables."""

import json
from collections.abc import Sequence

import plotly.graph_objects as go
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext
from plotly.subplots import make_subplots
from plotly.utils import PlotlyJSONEncoder

from accounts import formats
from reports.churn import ChurnReport
from reports.nps import NpsReport
from reports.portfolio import PortfolioReport
from reports.renewals import RenewalsReport
from reports.retention import Month, Outcome
from reports.roi import RoiReport
from reports.support import PRIORITIES, SupportReport
from reports.tables import COLOUR_NAMES, COLOURS, DAYS_FROM_HOURS, PRIORITY_NAMES
from workspace.charts import escape_text

INK = "#1d2433"
MUTED = "#5b6475"
ACCENT = "#2c5fd4"
FILL = {"red": "#c4302b", "yellow": "#e0a526", "green": "#1a7f4b", "grey": "#9aa1ad"}
PRIORITY_COLOURS = {"low": "#9aa1ad", "normal": ACCENT, "high": "#e0a526", "critical": "#c4302b"}
MOVES = {
    "new": (gettext_lazy("New"), "#1a7f4b"),
    "upsell": (gettext_lazy("Upsell"), "#4caf7a"),
    "cross_sell": (gettext_lazy("Cross-sell"), "#8fd1a8"),
    "downsell": (gettext_lazy("Downsell"), "#e0a526"),
    "churned": (gettext_lazy("Churned"), "#c4302b"),
}
X, Y, TEXT = "%{x}", "%{y}", "%{text}"  # Plotly's placeholders, kept out of the messages


def _hover(message: str, **parts: str) -> str:
    """A hover template from a translated sentence whose %(name)s parts are Plotly's."""
    return message % parts + "<extra></extra>"


def _pct(spec: str = ".1f") -> str:
    return "%{y:" + spec + "}%"


def _money(axis: str = "y") -> str:
    return formats.with_currency("%{" + axis + ":,.0f}")


def figure_json(fig: go.Figure, *, height: int = 300, months: Sequence = (), **layout) -> dict:
    defaults = {
        "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
        "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff",
        "font": {"color": INK, "size": 12},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "hovermode": "x unified",
        "separators": formats.chart_separators(),
    }
    fig.update_layout(height=height, **{**defaults, **layout})
    fig.update_xaxes(gridcolor="#eef0f3")
    if any(getattr(m, "partial", False) for m in months):
        # "(to date)" on a line of its own under the month, so that a phone's narrow axis
        # does not run it into its neighbour. (Tick text is layout, ours: not escaped.)
        fig.update_xaxes(
            tickmode="array",
            tickvals=_labels(months),
            ticktext=[
                f"{formats.month(m.start)}<br>{gettext('(to date)')}" if m.partial else m.label
                for m in months
            ],
        )
    fig.update_yaxes(gridcolor="#eef0f3", rangemode="tozero")
    plain = json.dumps(fig.to_plotly_json(), cls=_Encoder)
    return escape_text(json.loads(plain))  # labels carry user text: churn reasons


class _Encoder(PlotlyJSONEncoder):
    """Plotly's encoder, and translated strings (gettext_lazy's) as the text they stand for."""

    def default(self, obj):
        return str(obj) if isinstance(obj, Promise) else super().default(obj)


def _labels(months: Sequence) -> list[str]:
    return [m.label for m in months]


# The current month runs to today: its bars are hatched and lighter, its stretch of a line
# dashed, so that no one reads a partial month as a whole one.
PARTIAL_PATTERN = "/"
PARTIAL_OPACITY = 0.55


def _bar_marker(months: Sequence, colour) -> dict:
    """A bar marker in `colour` (one, or one per bar) with the partial month hatched."""
    partial = [bool(getattr(m, "partial", False)) for m in months]
    marker: dict = {"color": colour}
    if any(partial):
        marker["pattern"] = {
            "shape": [PARTIAL_PATTERN if p else "" for p in partial],
            "fgcolor": "#fff",
            "solidity": 0.35,
        }
        marker["opacity"] = [PARTIAL_OPACITY if p else 1.0 for p in partial]
    return marker


def _line(
    months: Sequence,
    y: Sequence,
    *,
    name: str,
    colour: str,
    hover: str,
    width: float = 2,
    labels: Sequence[str] | None = None,
    **kw,
) -> list[go.Scatter]:
    """A month-by-month line, solid over whole months and dashed into the partial one.

    Three traces: the whole months (with the legend entry), the dashed stretch from the last
    whole month to the partial one, and the partial month's own hollow marker with its hover
    ("(to date)" is in its x label)."""
    x = _labels(months)
    partial = [bool(getattr(m, "partial", False)) for m in months]
    whole_y = [None if p else v for p, v in zip(partial, y, strict=True)]
    # Optional text beside each point (NPS: its number of answers).
    text = {} if labels is None else {"textposition": "top center", "textfont": {"size": 10}}
    traces = [
        go.Scatter(
            x=x,
            y=whole_y,
            name=name,
            legendgroup=name,
            mode="lines+markers" + ("+text" if labels is not None else ""),
            text=None
            if labels is None
            else [None if p else t for p, t in zip(partial, labels, strict=True)],
            **text,
            line={"color": colour, "width": width},
            hovertemplate=hover,
            **kw,
        )
    ]
    if any(partial):
        i = partial.index(True)
        dashed = [None] * len(x)
        dashed[i] = y[i]
        if i > 0:
            dashed[i - 1] = y[i - 1]
        traces.append(
            go.Scatter(
                x=x,
                y=dashed,
                name=f"{name} {gettext('(to date)')}",
                legendgroup=name,
                showlegend=False,
                mode="lines",
                line={"color": colour, "width": width, "dash": "dash"},
                hoverinfo="skip",
                **kw,
            )
        )
        point = [None] * len(x)
        point[i] = y[i]
        traces.append(
            go.Scatter(
                x=x,
                y=point,
                name=f"{name} {gettext('(to date)')}",
                legendgroup=name,
                showlegend=False,
                mode="markers" + ("+text" if labels is not None else ""),
                text=None
                if labels is None
                else [labels[i] if j == i else None for j in range(len(x))],
                **text,
                marker={"color": "#fff", "line": {"color": colour, "width": 2}, "size": 8},
                hovertemplate=hover,
                **kw,
            )
        )
    return traces


# ---------------------------------------------------------------- portfolio


def portfolio_accounts(report: PortfolioReport) -> dict:
    hover = gettext("%(n)s accounts") % {"n": "%{y:,}"}
    return _stacked_days(report, report.counts, gettext("Accounts"), hover)


def portfolio_mrr(report: PortfolioReport) -> dict:
    values = {c: [float(v) for v in report.mrr[c]] for c in COLOURS}
    return _stacked_days(report, values, gettext("MRR"), _money(), yaxis=formats.chart_money_axis())


def _stacked_days(report: PortfolioReport, values: dict, title: str, hover: str, **layout) -> dict:
    x = [d.isoformat() for d in report.days]
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=values[c],
                name=str(COLOUR_NAMES[c]),
                stackgroup="one",
                mode="lines",
                line={"width": 0.5, "color": FILL[c]},
                fillcolor=FILL[c],
                hovertemplate=f"{COLOUR_NAMES[c]}: {hover}<extra></extra>",
            )
            for c in COLOURS
        ]
    )
    return figure_json(
        fig,
        yaxis_title=title,
        xaxis={
            "type": "date",
            "tickformat": formats.chart_day_format(year=False),
            "hoverformat": formats.chart_day_format(),
        },
        **layout,
    )


# ---------------------------------------------------------------- churn and retention


def churn_logo(report: ChurnReport) -> dict:
    months = [m for m, _ in report.months]
    fig = go.Figure(
        go.Bar(
            x=_labels(months),
            y=[r.logo_churn for _, r in report.months],
            name=gettext("Logo churn"),
            marker=_bar_marker(months, FILL["red"]),
            text=[f"{r.churned}/{r.active}" for _, r in report.months],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=_hover(
                gettext("%(x)s: %(y)s (%(text)s accounts)"), x=X, y=_pct(), text=TEXT
            ),
        )
    )
    return figure_json(
        fig, months=months, yaxis_title=gettext("Logo churn (%)"), hovermode="closest"
    )


def churn_revenue(report: ChurnReport) -> dict:
    months = [m for m, _ in report.months]
    fig = go.Figure(
        [
            *_line(
                months,
                [r.grr for _, r in report.months],
                name="GRR",
                colour=FILL["yellow"],
                hover=_hover("%(x)s: GRR %(y)s", x=X, y=_pct()),
            ),
            *_line(
                months,
                [r.nrr for _, r in report.months],
                name="NRR",
                colour=ACCENT,
                hover=_hover("%(x)s: NRR %(y)s", x=X, y=_pct()),
            ),
        ]
    )
    fig.add_hline(y=100, line_dash="dot", line_color=MUTED, line_width=1)
    values = [v for _, r in report.months for v in (r.grr, r.nrr) if v is not None]
    low = min([*values, 100.0]) - 2
    high = max([*values, 100.0]) + 2
    return figure_json(
        fig,
        months=months,
        yaxis_title=gettext("Share of MRR at the month's start (%)"),
        yaxis={"range": [low, high]},
        hovermode="closest",
    )


def churn_segments(report: ChurnReport) -> dict:
    fig = go.Figure(
        go.Bar(
            x=[label for label, _ in report.by_segment],
            y=[r.logo_churn for _, r in report.by_segment],
            marker_color=FILL["red"],
            text=[f"{r.churned}/{r.active}" for _, r in report.by_segment],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=_hover(
                gettext("%(x)s: %(y)s (%(text)s accounts)"), x=X, y=_pct(), text=TEXT
            ),
        )
    )
    return figure_json(
        fig, yaxis_title=gettext("Logo churn over the period (%)"), hovermode="closest"
    )


def churn_reasons(report: ChurnReport) -> dict:
    reasons = list(reversed(report.by_reason))
    fig = go.Figure(
        go.Bar(
            y=[r for r, _, _ in reasons],
            x=[n for _, n, _ in reasons],
            orientation="h",
            marker_color=MUTED,
            hovertemplate=_hover(gettext("%(y)s: %(x)s accounts"), x=X, y=Y),
        )
    )
    return figure_json(
        fig,
        height=max(220, 40 + 32 * len(reasons)),
        xaxis_title=gettext("Accounts churned"),
        margin={"l": 180, "r": 20, "t": 20, "b": 40},
        hovermode="closest",
    )


def churn_survival(report: ChurnReport) -> dict:
    points = report.survival
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=[p.month for p in points],
            y=[p.hazard for p in points],
            name=gettext("Share leaving in the month"),
            marker_color="#f2bfbc",
            hovertemplate=_hover(
                gettext("At %(x)s months: %(y)s of those at risk left"), x=X, y=_pct()
            ),
        ),
        secondary_y=True,
    )
    # Everyone is a customer at month 0; each step down is the leavers at that tenure.
    fig.add_trace(
        go.Scatter(
            x=[0] + [p.month for p in points],
            y=[100.0] + [p.survival * 100 for p in points],
            name=gettext("Still customers"),
            mode="lines",
            line={"shape": "hv", "color": ACCENT, "width": 2},
            hovertemplate=_hover(gettext("%(x)s months: %(y)s still customers"), x=X, y=_pct()),
        ),
        secondary_y=False,
    )
    fig.update_yaxes(title_text=gettext("Still customers (%)"), range=[0, 101], secondary_y=False)
    fig.update_yaxes(
        title_text=gettext("Leaving (%)"),
        secondary_y=True,
        showgrid=False,
        tickmode="auto",
        nticks=5,
    )
    return figure_json(
        fig, xaxis_title=gettext("Whole months since the first subscription"), height=320
    )


# ---------------------------------------------------------------- renewals


def renewals_pipeline(report: RenewalsReport) -> dict:
    x = [
        ngettext("Next %(days)d day", "Next %(days)d days", w.days) % {"days": w.days}
        for w in report.windows
    ]
    fig = go.Figure(
        [
            go.Bar(
                x=x,
                y=[float(w.by_colour[c]) for w in report.windows],
                name=str(COLOUR_NAMES[c]),
                marker_color=FILL[c],
                hovertemplate=f"{COLOUR_NAMES[c]}: {_money()} ARR<extra></extra>",
            )
            for c in COLOURS
        ]
    )
    return figure_json(
        fig, barmode="stack", yaxis_title=gettext("ARR due"), yaxis=formats.chart_money_axis()
    )


def renewals_rate(report: RenewalsReport) -> dict:
    return _outcome_rates(
        report.history,
        hover=gettext("%(x)s: %(y)s (%(text)s lines)"),
        title=gettext("Renewal rate (%)"),
    )


def _outcome_rates(history: list[tuple[Month, Outcome]], *, hover: str, title: str) -> dict:
    """A month's renewal or trial-conversion rate as a bar, labelled "followed/due"; `hover`
    has the placeholders x (the month), y (the rate) and text (the label)."""
    months = [m for m, _ in history]
    fig = go.Figure(
        go.Bar(
            x=_labels(months),
            y=[o.rate for _, o in history],
            marker=_bar_marker(months, FILL["green"]),
            text=[f"{o.followed}/{o.due}" for _, o in history],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=_hover(hover, x=X, y=_pct(), text=TEXT),
        )
    )
    return figure_json(
        fig, months=months, yaxis_title=title, yaxis={"range": [0, 105]}, hovermode="closest"
    )


# ---------------------------------------------------------------- NPS


def nps_months(report: NpsReport) -> dict:
    months = [m for m, _ in report.months]
    x = _labels(months)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for attr, name, colour in (
        ("detractors", gettext("Detractors"), FILL["red"]),
        ("passives", gettext("Passives"), FILL["grey"]),
        ("promoters", gettext("Promoters"), FILL["green"]),
    ):
        fig.add_trace(
            go.Bar(
                x=x,
                y=[getattr(n, attr) for _, n in report.months],
                name=name,
                marker=_bar_marker(months, colour),
            ),
            secondary_y=False,
        )
    # Each NPS point carries its number of answers; a month with fewer than SMALL_SAMPLE
    # answers says so in its hover.
    notes = [
        (
            ngettext("%(n)d answer, small sample", "%(n)d answers, small sample", n.responses)
            if n.small_sample
            else ngettext("%(n)d answer", "%(n)d answers", n.responses)
        )
        % {"n": n.responses}
        for _, n in report.months
    ]
    small = gettext("(small)")
    for trace in _line(
        months,
        [n.score for _, n in report.months],
        name="NPS",
        colour=INK,
        hover=_hover("%(x)s: NPS %(y)s (%(n)s)", x=X, y="%{y:.0f}", n="%{customdata}"),
        customdata=notes,
        labels=[
            f"n={n.responses}" + (f" {small}" if n.small_sample else "") for _, n in report.months
        ],
    ):
        fig.add_trace(trace, secondary_y=True)
    fig.update_yaxes(title_text=gettext("Answers"), secondary_y=False)
    fig.update_yaxes(
        title_text="NPS",
        range=[-100, 100],
        tickvals=[-100, -50, 0, 50, 100],
        secondary_y=True,
        showgrid=False,
        rangemode="normal",
    )
    return figure_json(fig, months=months, barmode="stack", height=320, hovermode="closest")


# ---------------------------------------------------------------- support


def _support(report: SupportReport, attr: str, title: tuple[str, str]) -> dict:
    """`title`: the y axis's title in hours and in days."""
    months = sorted({m for m, _ in report.by_month_priority}, key=lambda m: m.start)
    medians = {(m.start, r.priority): getattr(r, attr).median for m, r in report.by_month_priority}
    # Beyond two days the axis reads in days, like the tables.
    top = max((v for v in medians.values() if v is not None), default=0.0)
    days = top > DAYS_FROM_HOURS
    scale = 1 / 24 if days else 1.0
    unit = gettext("d") if days else gettext("h")
    fig = go.Figure()
    for priority in PRIORITIES:
        values = [medians.get((m.start, priority)) for m in months]
        for trace in _line(
            months,
            [None if v is None else v * scale for v in values],
            name=str(PRIORITY_NAMES[priority]),
            colour=PRIORITY_COLOURS[priority],
            hover=f"%{{x}}, {PRIORITY_NAMES[priority]}: %{{y:.1f}} {unit}<extra></extra>",
        ):
            fig.add_trace(trace)
    return figure_json(
        fig, months=months, yaxis_title=title[1] if days else title[0], hovermode="closest"
    )


def support_response(report: SupportReport) -> dict:
    titles = (gettext("Median hours to first response"), gettext("Median days to first response"))
    return _support(report, "response", titles)


def support_resolution(report: SupportReport) -> dict:
    titles = (gettext("Median hours to resolution"), gettext("Median days to resolution"))
    return _support(report, "resolution", titles)


# ---------------------------------------------------------------- CS ROI


def roi_movements(report: RoiReport) -> dict:
    months = [m for m, _ in report.months]
    x = _labels(months)
    fig = go.Figure()
    for kind, (name, colour) in MOVES.items():
        sign = -1 if kind in ("downsell", "churned") else 1
        fig.add_trace(
            go.Bar(
                x=x,
                y=[sign * float(getattr(mv, kind)) for _, mv in report.months],
                name=str(name),
                marker=_bar_marker(months, colour),
                hovertemplate=f"{name}: {_money()}<extra></extra>",
            )
        )
    return figure_json(
        fig,
        months=months,
        barmode="relative",
        yaxis_title=gettext("MRR moved"),
        yaxis={"rangemode": "normal", **formats.chart_money_axis()},
    )


def roi_mrr(report: RoiReport) -> dict:
    months = [m for m, _ in report.months]
    fig = go.Figure(
        _line(
            months,
            [float(mv.mrr_end) for _, mv in report.months],
            name=gettext("MRR at month end"),
            colour=ACCENT,
            hover=_hover("%(x)s: MRR %(y)s", x=X, y=_money()),
        )
    )
    return figure_json(
        fig,
        months=months,
        yaxis_title=gettext("MRR"),
        yaxis=formats.chart_money_axis(),
        hovermode="closest",
        showlegend=False,
    )


def roi_arr(report: RoiReport) -> dict:
    """ARR is 12 × MRR: on the MRR chart it would only retrace the MRR line, so it has its own
    chart, as bars read against their own axis."""
    months = [m for m, _ in report.months]
    fig = go.Figure(
        go.Bar(
            x=_labels(months),
            y=[float(mv.arr_end) for _, mv in report.months],
            name=gettext("ARR at month end"),
            marker=_bar_marker(months, MUTED),
            hovertemplate=_hover("%(x)s: ARR %(y)s", x=X, y=_money()),
        )
    )
    return figure_json(
        fig,
        months=months,
        yaxis_title=gettext("ARR (12 × MRR)"),
        yaxis=formats.chart_money_axis(),
        hovermode="closest",
    )


def roi_trials(report: RoiReport) -> dict:
    return _outcome_rates(
        report.trials,
        hover=gettext("%(x)s: %(y)s (%(text)s trials)"),
        title=gettext("Trials converted (%)"),
    )


# ---------------------------------------------------------------- score quality
