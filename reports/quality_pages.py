"""The score-quality and suggested-weights pages' tables and charts (apart from the other
reports' so that neither module grows past a screenful of screens)."""

import plotly.graph_objects as go

from reports.charts import ACCENT, FILL, MUTED, figure_json
from reports.quality import QualityReport, colour_rows
from reports.tables import Column, Table
from reports.weights import WeightsReport, feature_kind


def quality_tables(report: QualityReport) -> list[Table]:
    return [
        Table(
            "auc",
            "ROC AUC of the score against churn in the following days",
            [
                Column("horizon", "Churn within (days)", "int"),
                Column("days", "Snapshot days", "int"),
                Column("n", "Scored snapshots", "int"),
                Column("churned", "Churned", "int"),
                Column("auc", "ROC AUC", "ratio"),
            ],
            [vars(a) for a in report.aucs],
        ),
        Table(
            "colours",
            f"Churn within {report.horizon} days by colour",
            [
                Column("colour", "Colour", "colour"),
                Column("n", "Snapshots", "int"),
                Column("share", "Share of snapshots", "pct"),
                Column("churned", "Churned", "int"),
                Column("churn_rate", "Churn rate", "pct"),
            ],
            colour_rows(report.colours),
        ),
        Table(
            "calibration",
            f"Churn within {report.horizon} days by score decile",
            [
                Column("band", "Score"),
                Column("n", "Snapshots", "int"),
                Column("mean_score", "Mean score", "score"),
                Column("churned", "Churned", "int"),
                Column("churn_rate", "Churn rate", "pct"),
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
            f"Each signal's own AUC (churn within {report.horizon} days)",
            [
                Column("label", "Signal"),
                Column("key", "Key"),
                Column("weight", "Weight now", "score"),
                Column("n", "Snapshots with data", "int"),
                Column("coverage", "Coverage", "pct"),
                Column("auc", "ROC AUC", "ratio"),
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
            "Current and suggested weights",
            [
                Column("label", "Signal"),
                Column("kind", "Kind"),
                Column("current_weight", "Weight now", "score"),
                Column("suggested_weight", "Suggested", "score"),
                Column("coefficient", "Coefficient", "ratio"),
                Column("coverage", "Held-out coverage", "pct"),
                Column("auc", "Own held-out AUC", "ratio"),
            ],
            rows,
        )
    ]


def quality_auc(report: QualityReport) -> dict:
    fig = go.Figure(
        go.Bar(
            x=[f"{a.horizon} days" for a in report.aucs],
            y=[a.auc for a in report.aucs],
            marker_color=ACCENT,
            text=[f"{a.churned} churned of {a.n}" for a in report.aucs],
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
        text="coin<br>toss",
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
            x=[b.name.title() for b in report.colours],
            y=[b.rate for b in report.colours],
            marker_color=[FILL[b.name] for b in report.colours],
            text=[f"{b.churned}/{b.n}" for b in report.colours],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y:.1f}% churned (%{text})<extra></extra>",
        )
    )
    return figure_json(
        fig,
        yaxis_title=f"Churned within {report.horizon} days (%)",
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
            hovertemplate="Score %{x}: %{y:.1f}% churned (%{text})<extra></extra>",
        )
    )
    return figure_json(
        fig,
        xaxis_title="Score",
        yaxis_title=f"Churned within {report.horizon} days (%)",
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
                name="Now (as set)",
                orientation="h",
                marker_color=FILL["grey"],
            ),
            go.Bar(
                y=labels,
                x=[r.suggested_weight for r in rows],
                name="Suggested (of 100)",
                orientation="h",
                marker_color=ACCENT,
            ),
        ]
    )
    return figure_json(
        fig,
        barmode="group",
        height=max(240, 60 + 44 * len(rows)),
        xaxis_title="Weight",
        margin={"l": 180, "r": 20, "t": 30, "b": 40},
        hovermode="y unified",
    )
