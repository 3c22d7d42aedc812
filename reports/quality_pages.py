"""The score-quality and suggested-weights pages' tables and charts (apart from the other
reports' so that neither module grows past a screenful of screens)."""

import plotly.graph_objects as go
from django.utils.translation import gettext

from reports.charts import ACCENT, FILL, MUTED, figure_json
from reports.quality import QualityReport, colour_rows
from reports.tables import COLOUR_NAMES, Column, Table
from reports.weights import WeightsReport, feature_kind


def quality_tables(report: QualityReport) -> list[Table]:
    return [
        Table(
            "auc",
            gettext("ROC AUC of the score against churn in the following days"),
            [
                Column("horizon", gettext("Churn within (days)"), "int"),
                Column("days", gettext("Snapshot days"), "int"),
                Column("n", gettext("Scored snapshots"), "int"),
                Column("churned", gettext("Churned"), "int"),
                Column("auc", gettext("ROC AUC"), "ratio"),
            ],
            [vars(a) for a in report.aucs],
        ),
        Table(
            "colours",
            gettext("Churn within %(days)d days by colour") % {"days": report.horizon},
            [
                Column("colour", gettext("Colour"), "colour"),
                Column("n", gettext("Snapshots"), "int"),
                Column("share", gettext("Share of snapshots"), "pct"),
                Column("churned", gettext("Churned"), "int"),
                Column("churn_rate", gettext("Churn rate"), "pct"),
            ],
            colour_rows(report.colours),
        ),
        Table(
            "calibration",
            gettext("Churn within %(days)d days by score decile") % {"days": report.horizon},
            [
                Column("band", gettext("Score")),
                Column("n", gettext("Snapshots"), "int"),
                Column("mean_score", gettext("Mean score"), "score"),
                Column("churned", gettext("Churned"), "int"),
                Column("churn_rate", gettext("Churn rate"), "pct"),
            ],
            [
                {
                    "band": b.name,
                    "n": b.n,
                    "mean_score": b.mean_score,
                    "churned": b.churned,
                    "churn_rate": b.rate,
                }
                for b in report.calibration
            ],
        ),
        Table(
            "signals",
            gettext("Each signal's own AUC (churn within %(days)d days)")
            % {"days": report.horizon},
            [
                Column("label", gettext("Signal")),
                Column("key", gettext("Key"), on_page=False),
                Column("weight", gettext("Weight now"), "score"),
                Column("n", gettext("Snapshots with data"), "int"),
                Column("coverage", gettext("Coverage"), "pct"),
                Column("auc", gettext("ROC AUC"), "ratio"),
            ],
            [{**vars(s), "coverage": round(s.coverage * 100, 2)} for s in report.signals],
        ),
        *([report.bands.table()] if report.bands else []),
    ]


def weights_tables(report: WeightsReport) -> list[Table]:
    s = report.suggestion
    rows = [
        {
            "label": r.feature.label,
            "key": r.feature.key,
            "kind": feature_kind(r),
            "current_weight": r.feature.current_weight,
            "suggested_weight": r.suggested_weight,
            "coefficient": r.coefficient,
            "coverage": round(r.coverage * 100, 2),
            "auc": r.auc,
        }
        for r in s.features
    ]
    return [
        Table(
            "weights",
            gettext("Current and suggested weights"),
            [
                Column("label", gettext("Signal")),
                Column("kind", gettext("Kind")),
                Column("current_weight", gettext("Weight now"), "score"),
                Column("suggested_weight", gettext("Suggested"), "score"),
                Column("coefficient", gettext("Coefficient"), "ratio"),
                Column("coverage", gettext("Held-out coverage"), "pct"),
                Column("auc", gettext("Own held-out AUC"), "ratio"),
            ],
            rows,
        )
    ]


def _churned() -> str:
    # Plotly's %{...} placeholders stay out of the messages (gettext would read them as its own).
    return gettext("churned")


def _churned_within(days: int) -> str:
    return gettext("Churned within %(days)d days (%%)") % {"days": days}


def quality_auc(report: QualityReport) -> dict:
    fig = go.Figure(
        go.Bar(
            x=[gettext("%(days)d days") % {"days": a.horizon} for a in report.aucs],
            y=[a.auc for a in report.aucs],
            marker_color=ACCENT,
            text=[
                gettext("%(churned)d churned of %(n)d") % {"churned": a.churned, "n": a.n}
                for a in report.aucs
            ],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: AUC %{y:.2f} (%{text})<extra></extra>",
        )
    )
    # The line's label sits in the right margin, beside the plot, so that it is never drawn
    # over a bar (with "top right" it covered the 90-day bar's label).
    fig.add_hline(y=0.5, line_dash="dot", line_color=MUTED)
    fig.add_annotation(
        x=1,
        xref="paper",
        xanchor="left",
        y=0.5,
        yref="y",
        text=gettext("coin toss").replace(" ", "<br>", 1),
        showarrow=False,
        font={"color": MUTED, "size": 11},
        align="left",
    )
    return figure_json(
        fig,
        yaxis_title="ROC AUC",
        yaxis={"range": [0, 1]},
        hovermode="closest",
        height=260,
        margin={"l": 50, "r": 56, "t": 40, "b": 40},
    )


def quality_colours(report: QualityReport) -> dict:
    fig = go.Figure(
        go.Bar(
            x=[str(COLOUR_NAMES[b.name]) for b in report.colours],
            y=[b.rate for b in report.colours],
            marker_color=[FILL[b.name] for b in report.colours],
            text=[f"{b.churned}/{b.n}" for b in report.colours],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y:.1f}% " + _churned() + " (%{text})<extra></extra>",
        )
    )
    return figure_json(
        fig,
        yaxis_title=_churned_within(report.horizon),
        hovermode="closest",
        height=260,
    )


def quality_calibration(report: QualityReport) -> dict:
    bins = report.calibration
    fig = go.Figure(
        go.Bar(
            x=[b.name for b in bins],
            y=[b.rate for b in bins],
            marker_color=[
                FILL["red"] if b.high <= 40 else FILL["yellow"] if b.high <= 70 else FILL["green"]
                for b in bins
            ],
            text=[f"{b.churned}/{b.n}" for b in bins],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=gettext("Score")
            + " %{x}: %{y:.1f}% "
            + _churned()
            + " (%{text})<extra></extra>",
        )
    )
    return figure_json(
        fig,
        xaxis_title=gettext("Score"),
        yaxis_title=_churned_within(report.horizon),
        hovermode="closest",
    )


def quality_signals(report: QualityReport) -> dict:
    signals = list(reversed(report.signals))
    fig = go.Figure(
        go.Bar(
            y=[s.label for s in signals],
            x=[s.auc for s in signals],
            orientation="h",
            marker_color=ACCENT,
            hovertemplate="%{y}: AUC %{x:.2f}<extra></extra>",
        )
    )
    fig.add_vline(x=0.5, line_dash="dot", line_color=MUTED)
    return figure_json(
        fig,
        height=max(220, 40 + 30 * len(signals)),
        xaxis={"range": [0, 1], "title": "ROC AUC"},
        margin={"l": 160, "r": 20, "t": 20, "b": 40},
        hovermode="closest",
    )


def weights_compare(report: WeightsReport) -> dict:
    rows = list(reversed(report.suggestion.features))
    labels = [r.feature.label for r in rows]
    fig = go.Figure(
        [
            go.Bar(
                y=labels,
                x=[r.feature.current_weight for r in rows],
                name=gettext("Now (as set)"),
                orientation="h",
                marker_color=FILL["grey"],
            ),
            go.Bar(
                y=labels,
                x=[r.suggested_weight for r in rows],
                name=gettext("Suggested (of 100)"),
                orientation="h",
                marker_color=ACCENT,
            ),
        ]
    )
    return figure_json(
        fig,
        barmode="group",
        height=max(240, 60 + 44 * len(rows)),
        xaxis_title=gettext("Weight"),
        margin={"l": 180, "r": 20, "t": 30, "b": 40},
        hovermode="y unified",
    )
