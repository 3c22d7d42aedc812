"""Chart labels and hover text carry user text (churn reasons, signal labels): plotly.js reads a
subset of HTML in them, so they are escaped and a planted link stays text."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from tests.factories import AccountFactory, SubscriptionLineFactory
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
