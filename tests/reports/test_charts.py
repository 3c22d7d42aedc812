"""Chart labels and hover text carry user text (churn reasons, signal labels): plotly.js reads a
subset of HTML in them, so they are escaped and a planted link stays text."""

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from tests.factories import AccountFactory, SubscriptionLineFactory
from tests.reports.test_reports import churn_book  # noqa: F401
from workspace.charts import escape_text

LINK = '<a href="https://evil.example/x">LINK</a>'


def test_escape_text_escapes_labels_and_keeps_hover_templates_and_numbers():
    figure = {
        "data": [
            {
                "y": [LINK, "Budget & timing"],
                "x": [1, 2],
                "text": "<b>bold</b>",
                "name": "<br>",
                "hovertemplate": "%{y}: %{x} accounts<extra></extra>",
            }
        ],
        "layout": {"title": {"text": "Churn by reason"}},
    }
    escaped = escape_text(figure)["data"][0]
    assert escaped["y"] == [
        '&lt;a href="https://evil.example/x"&gt;LINK&lt;/a&gt;',
        "Budget &amp; timing",
    ]
    assert escaped["x"] == [1, 2]
    assert (escaped["text"], escaped["name"]) == ("&lt;b&gt;bold&lt;/b&gt;", "&lt;br&gt;")
    assert escaped["hovertemplate"] == "%{y}: %{x} accounts<extra></extra>"


@pytest.fixture
def as_manager(client, manager, default_scorecard):
    client.force_login(manager)
    return client


def test_a_churn_reason_with_a_link_is_text_in_the_churn_chart(as_manager):
    account = AccountFactory(churned_on=date(2026, 5, 10), churn_reason=LINK)
    SubscriptionLineFactory(
        account=account, mrr=Decimal("400"), start_date=date(2026, 1, 1), end_date=None
    )
    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False):
        response = as_manager.get("/reports/churn/", {"from": "2026-05", "to": "2026-05"})
    charts = {chart.id: chart.figure for chart in response.context["charts"]}
    assert charts["chart-reasons"]["data"][0]["y"] == [
        '&lt;a href="https://evil.example/x"&gt;LINK&lt;/a&gt;'
    ]
    # Nowhere in any chart's data does the tag survive.
    assert "<a " not in json.dumps([chart["data"] for chart in charts.values()])


# The trace types of plotly.js's basic bundle, the one static/vendor/plotly serves.
BASIC_TRACES = {"scatter", "bar", "pie"}


def test_the_served_plotly_js_is_the_basic_bundle_of_the_version_plotly_ships():
    from django.conf import settings
    from plotly.offline import get_plotlyjs_version

    bundle = settings.BASE_DIR / "static" / "vendor" / "plotly" / "plotly.min.js"
    head = bundle.read_text(encoding="utf-8")[:200]
    assert f"plotly.js (basic - minified) v{get_plotlyjs_version()}" in head
    assert (bundle.parent / "LICENSE").read_text().startswith("MIT License")
    assert bundle.stat().st_size < 1_300_000  # the full bundle is 4.8 MB


@pytest.mark.usefixtures("churn_book")
def test_every_chart_of_the_reports_uses_a_trace_type_of_the_basic_bundle(as_manager):
    from reports.pages import PAGES

    seen = set()
    for page in PAGES:
        html = as_manager.get(f"/reports/{page.path}/", {"from": "2026-01", "to": "2026-06"})
        assert html.status_code == 200, page.path
        for chart in re.findall(
            r'<script id="chart-[^"]*" type="application/json">(.*?)</script>',
            html.content.decode(),
            re.S,
        ):
            seen |= {trace.get("type", "scatter") for trace in json.loads(chart)["data"]}
    assert seen and seen <= BASIC_TRACES, seen
