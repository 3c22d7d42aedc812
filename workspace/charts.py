"""Plotly figures, built on the server as plain JSON and drawn by the bundled plotly.js."""

import html
import json
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from accounts import formats
from scoring.maths import Bands

BAND_COLOURS = {"red": "#fbe4e3", "yellow": "#fdf3d8", "green": "#e3f4ea"}
LINE = "#2c5fd4"

# Trace attributes whose text plotly.js shows as labels, legend or hover text.
TEXT_KEYS = ("x", "y", "text", "hovertext", "labels", "name")


def _escape(value: Any) -> Any:
    return html.escape(value, quote=False) if isinstance(value, str) else value


def escape_text(figure: dict) -> dict:
    """The figure with the text of its traces escaped, in place. plotly.js reads a subset of
    HTML in labels and hover text (`<a href>`, `<b>`, `<br>`), so a churn reason or a signal
    label could plant a live link; escaped, `&lt;` shows as "<". Hover templates are ours and
    keep their markup (`<extra></extra>`); numbers are left alone."""
    for trace in figure.get("data", ()):
        for key in TEXT_KEYS:
            value = trace.get(key)
            if isinstance(value, list):
                trace[key] = [_escape(item) for item in value]
            elif isinstance(value, str):
                trace[key] = _escape(value)
    return figure


def score_history(
    points: Sequence[tuple[date, float | None]],
    *,
    bands: Bands,
    version_changes: Sequence[tuple[date, int]] = (),
    window_days: int = 180,
) -> dict:
    """Score over time on the colour bands, with a dashed mark on each day a new scorecard
    version went live. Days with no score (grey) are gaps in the line.

    Built as the plain dict plotly's Figure would give (its `to_json`), with plotly's default
    template: the account page draws it on every visit, and plotly's validating objects took
    ~50 ms of the page's ~160."""
    trace = {
        "type": "scatter",
        "x": [d.isoformat() for d, _ in points],
        "y": [s for _, s in points],
        "mode": "lines+markers",
        "line": {"color": LINE, "width": 2},
        "marker": {"size": 4},
        "name": _("Health score"),
        "connectgaps": False,
        "hovertemplate": "%{x}: %{y:.0f}<extra></extra>",
    }
    shapes: list[dict] = [
        {
            "type": "rect",
            "xref": "x domain",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": low,
            "y1": high,
            "fillcolor": BAND_COLOURS[colour],
            "line": {"width": 0},
            "layer": "below",
        }
        for colour, low, high in (
            ("red", 0, bands.yellow_min),
            ("yellow", bands.yellow_min, bands.green_min),
            ("green", bands.green_min, 100),
        )
    ]
    annotations = []
    for day, version in version_changes:
        x = day.isoformat()
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": x,
                "x1": x,
                "yref": "y domain",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#5b6475", "dash": "dash", "width": 1},
            }
        )
        annotations.append(
            {
                "x": x,
                "y": 100,
                "text": f"v{version}",
                "showarrow": False,
                "yanchor": "bottom",
                "font": {"size": 11, "color": "#5b6475"},
            }
        )
    last = points[-1][0] if points else date.today()
    x_range = [
        (last - timedelta(days=window_days)).isoformat(),
        (last + timedelta(days=1)).isoformat(),
    ]
    layout = {
        "template": plotly_template(),
        "shapes": shapes,
        "annotations": annotations,
        "margin": {"l": 40, "r": 10, "t": 20, "b": 30},
        "height": 280,
        "yaxis": {"range": [0, 104], "title": {}, "fixedrange": True},
        # A fixed window: a short history must not zoom into hours.
        "xaxis": {
            "title": {},
            "type": "date",
            "tickformat": formats.chart_day_format(year=False),
            "hoverformat": formats.chart_day_format(),
            "range": x_range,
        },
        "separators": formats.chart_separators(),
        "showlegend": False,
        "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff",
    }
    return escape_text({"data": [trace], "layout": layout})


@cache
def plotly_template() -> dict:
    """plotly's default template, as every Figure's JSON carries it (read once)."""
    return json.loads(go.Figure().to_json())["layout"]["template"]


def version_marks(history: Sequence[tuple[date, int]]) -> list[tuple[date, int]]:
    """Days on which the scorecard version of a history differs from the day before."""
    marks = []
    previous = None
    for day, version in history:
        if previous is not None and version != previous:
            marks.append((day, version))
        previous = version
    return marks
