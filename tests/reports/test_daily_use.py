"""What a CS team notices in daily use of the reports (issue 16, "Reports" 2–4): the current
month is partial and says so, NPS stands beside its number of answers, long support times read
in days, the renewal pipeline's columns say something, the charts do not hide one line behind
another, and portfolio health counts colours as the book shows them (overrides in force win).

"Today" is frozen at 30 June 2026 noon UTC, so June runs 1–29 June: a partial month.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from reports.tables import duration_text
from tests.factories import SurveyResponseFactory, TicketFactory
from tests.reports.test_reports import (
    JAN,
    TODAY,
    account,
    by,
    csv_rows,
    snap,
    table,
)
from tests.reports.test_reports import as_manager as as_manager  # noqa: F401 (fixture)
from tests.reports.test_reports import today as today  # noqa: F401 (fixture)
from workspace.book import active_override
from workspace.models import ColourOverride


def charts(response) -> dict[str, dict]:
    return {chart.id: chart.figure for chart in response.context["charts"]}


def note(response, name) -> str:
    return next(t for t in response.context["tables"] if t.name == name).note


# --- 2. the current month is partial ---


@pytest.fixture
def book(db):
    """A stays at 1000; B (500) leaves on 15 June."""
    return (
        account("A", (1000, JAN, None)),
        account("B", (500, JAN, date(2026, 6, 15))),
    )


def test_a_period_ending_this_month_says_to_date_in_rows_notes_and_summary(as_manager, book):
    response = as_manager.get("/reports/churn/", {"from": "2026-05", "to": "2026-06"})
    rows = by(table(response, "monthly"))
    assert list(rows) == ["May 2026", "Jun 2026 (to date)", "Whole period (to date)"]
    assert rows["Jun 2026 (to date)"]["churned"] == 1
    assert note(response, "monthly") == (
        "Jun 2026 (to date) is a partial month (1 Jun 2026 – 29 Jun 2026, 29 of 30 days): "
        "its logo churn, GRR and NRR are not comparable with whole months', and the "
        "whole-period row ends today too."
    )
    html = response.content.decode()
    assert 'id="partial-month"' in html
    assert "Logo churn, whole period (to date)" in html
    assert "GRR (to date)" in html


def test_a_period_of_whole_months_has_no_to_date_anywhere(as_manager, book):
    response = as_manager.get("/reports/churn/", {"from": "2026-04", "to": "2026-05"})
    assert list(by(table(response, "monthly"))) == ["Apr 2026", "May 2026", "Whole period"]
    assert note(response, "monthly") == ""
    html = response.content.decode()
    assert "(to date)" not in html
    assert 'id="partial-month"' not in html


def test_every_month_table_of_every_report_notes_the_partial_month(as_manager, book):
    params = {"from": "2026-05", "to": "2026-06"}
    for path, name in [
        ("/reports/renewals/", "history"),
        ("/reports/nps/", "monthly"),
        ("/reports/support/", "monthly"),
        ("/reports/support/", "detail"),
        ("/reports/roi/", "movements"),
        ("/reports/roi/", "trials"),
    ]:
        response = as_manager.get(path, params)
        assert note(response, name).startswith("Jun 2026 (to date) is a partial month"), path
        assert "Jun 2026 (to date)" in {row["period"].label for row in table(response, name)}, path


def test_the_partial_month_is_hatched_in_bar_charts_and_dashed_in_line_charts(as_manager, book):
    response = as_manager.get("/reports/churn/", {"from": "2026-04", "to": "2026-06"})
    figures = charts(response)
    bar = figures["chart-logo"]["data"][0]
    assert bar["marker"]["pattern"]["shape"] == ["", "", "/"]
    assert bar["marker"]["opacity"] == [1.0, 1.0, 0.55]
    # Its tick reads "(to date)" on a second line, so that it fits under a phone's axis.
    ticks = figures["chart-logo"]["layout"]["xaxis"]["ticktext"]
    assert ticks == ["Apr 2026", "May 2026", "Jun 2026<br>(to date)"]
    grr_whole, grr_dashed, grr_point = figures["chart-grr"]["data"][:3]
    # April and May solid; the dashed stretch runs from May into June; June's own point.
    assert grr_whole["y"] == [100.0, 100.0, None]
    assert grr_dashed["line"]["dash"] == "dash"
    assert grr_dashed["y"] == [None, 100.0, pytest.approx(1000 / 1500 * 100)]
    assert grr_point["y"] == [None, None, pytest.approx(1000 / 1500 * 100)]
    assert grr_point["x"][2] == "Jun 2026 (to date)"
    # Whole months only: nothing hatched, one solid trace per line.
    response = as_manager.get("/reports/churn/", {"from": "2026-04", "to": "2026-05"})
    figures = charts(response)
    assert "pattern" not in figures["chart-logo"]["data"][0]["marker"]
    assert [t["name"] for t in figures["chart-grr"]["data"]] == ["GRR", "NRR"]


def test_nps_shows_its_number_of_answers_and_flags_fewer_than_30(as_manager, book):
    a, _ = book
    for i in range(30):
        SurveyResponseFactory(account=a, responded_on=date(2026, 5, 2), score=(10, 9, 3)[i % 3])
    for score in (10, 10, 0):
        SurveyResponseFactory(account=a, responded_on=date(2026, 6, 3), score=score)
    response = as_manager.get("/reports/nps/", {"from": "2026-05", "to": "2026-06"})
    rows = by(table(response, "monthly"))
    may, june = rows["May 2026"], rows["Jun 2026 (to date)"]
    assert (may["responses"], may["nps"], may["small_sample"]) == (30, round(100 / 3, 2), False)
    assert (june["responses"], june["nps"], june["small_sample"]) == (3, round(100 / 3, 2), True)
    assert rows["Whole period (to date)"]["small_sample"] is False  # 33 answers
    nps = [t for t in charts(response)["chart-nps"]["data"] if t["name"].startswith("NPS")]
    assert nps[0]["customdata"] == ["30 answers", "3 answers, small sample"]
    assert "%{customdata}" in nps[0]["hovertemplate"]
    # Beside each point: May's on the solid line, June's (to date) on its own marker.
    assert nps[0]["text"] == ["n=30", None]
    assert nps[-1]["text"] == [None, "n=3 (small)"]
    # The summary flags a small sample too.
    response = as_manager.get("/reports/nps/", {"from": "2026-06", "to": "2026-06"})
    assert 'id="small-sample"' in response.content.decode()


# --- 3. chart and table faults ---


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (None, "–"),
        (0.5, "0.5 h"),
        (5.25, "5.3 h"),  # halves away from zero, as everywhere
        (48, "48.0 h"),
        (50.4, "2.1 d"),
        (280, "11.7 d"),
    ],
)
def test_times_above_48_hours_read_in_days(hours, text):
    assert duration_text(hours) == text


def test_support_shows_a_three_day_median_in_days_on_the_page_and_the_chart(as_manager):
    a = account("Acme", (1000, JAN, None))
    opened = datetime(2026, 5, 4, 9, tzinfo=UTC)
    for hours in (70, 72, 74):  # median 72 h = 3 days
        TicketFactory(
            account=a, opened_at=opened, first_response_at=opened + timedelta(hours=hours)
        )
    response = as_manager.get("/reports/support/", {"from": "2026-05", "to": "2026-05"})
    html = response.content.decode()
    assert "<b>3.0 d</b>" in html  # the normal-priority median in the summary
    assert "72.0 h" not in html
    figure = charts(response)["chart-response"]
    assert figure["layout"]["yaxis"]["title"]["text"] == "Median days to first response"
    normal = next(t for t in figure["data"] if t["name"] == "Normal")
    assert normal["y"] == [3.0]
    # The CSV keeps raw hours.
    rows = csv_rows(
        as_manager.get(
            "/reports/support/",
            {"from": "2026-05", "to": "2026-05", "format": "csv", "table": "monthly"},
        )
    )
    assert rows[0]["response_median_h"] == "72.0"


def test_renewal_booked_column_shows_only_when_a_renewal_is_booked(as_manager):
    account("Vega", (1000, JAN, TODAY + timedelta(days=15)))
    params = {"format": "csv", "table": "upcoming"}
    response = as_manager.get("/reports/renewals/")
    upcoming = next(t for t in response.context["tables"] if t.name == "upcoming")
    assert "renewal_booked" not in [c.key for c in upcoming.page_columns]
    assert upcoming.note.startswith("No line due has its renewal booked yet")
    assert csv_rows(as_manager.get("/reports/renewals/", params))[0]["renewal_booked"] == ""
    # Wren's next term is already in billing, starting 40 days after the old one ends.
    end = TODAY + timedelta(days=20)
    account("Wren", (500, JAN, end), (500, end + timedelta(days=40), None))
    response = as_manager.get("/reports/renewals/")
    upcoming = next(t for t in response.context["tables"] if t.name == "upcoming")
    assert "renewal_booked" in [c.key for c in upcoming.page_columns]
    assert upcoming.note == ""
    rows = by(upcoming.rows, "account")
    assert (rows["Wren"]["renewal_booked"], rows["Wren"]["arr_at_risk"]) == (True, 0)
    assert (rows["Vega"]["renewal_booked"], rows["Vega"]["arr_at_risk"]) == (False, 12000)


def test_arr_has_its_own_chart_instead_of_retracing_the_mrr_line(as_manager, book):
    response = as_manager.get("/reports/roi/", {"from": "2026-04", "to": "2026-05"})
    figures = charts(response)
    assert [t["name"] for t in figures["chart-mrr"]["data"]] == ["MRR at month end"]
    assert figures["chart-mrr"]["data"][0]["y"] == [1500.0, 1500.0]
    arr = figures["chart-arr"]["data"][0]
    assert (arr["type"], arr["y"]) == ("bar", [18000.0, 18000.0])


def test_the_coin_toss_label_sits_beside_the_auc_chart_not_over_a_bar(as_manager, book):
    response = as_manager.get("/reports/score-quality/")
    layout = charts(response)["chart-auc"]["layout"]
    (label,) = layout["annotations"]
    assert label["text"] == "coin<br>toss"
    # Right of the plot area (paper x = 1, anchored on its left), in a margin made for it.
    assert (label["xref"], label["x"], label["xanchor"], label["y"]) == ("paper", 1, "left", 0.5)
    assert layout["margin"]["r"] >= 50


# --- 4. one red count ---


@pytest.fixture
def overridden(db):
    """Four accounts scored on 1 June and today, and the overrides their CSMs set."""
    first = date(2026, 6, 1)
    a = account("A", (1000, JAN, None))
    b = account("B", (1000, JAN, None))
    c = account("C", (1000, JAN, None))
    d = account("D", (1000, JAN, None))
    for day in (first, TODAY):
        snap(a, 80, day=day, mrr="100")  # green
        snap(b, 20, day=day, mrr="200")  # red
        snap(c, 50, day=day, mrr="300")  # yellow
        snap(d, 85, day=day, mrr="400")  # green

    def override(acc, colour, created, expires, cleared=None):
        ColourOverride.objects.create(
            account=acc,
            colour=colour,
            reason="CSM knows",
            created_on=created,
            expires_on=expires,
            cleared_on=cleared,
        )

    override(a, "red", date(2026, 6, 10), date(2026, 7, 31))  # set after 1 June
    override(b, "yellow", date(2026, 5, 20), date(2026, 6, 5))  # expired by today
    override(c, "green", date(2026, 6, 1), date(2026, 7, 31), cleared=date(2026, 6, 15))
    override(d, "yellow", date(2026, 6, 20), date(2026, 7, 31))
    override(d, "red", date(2026, 6, 25), date(2026, 7, 31))  # the newest wins
    return first


def test_portfolio_counts_the_colours_the_book_showed_each_day(as_manager, overridden):
    response = as_manager.get("/reports/portfolio/", {"from": "2026-06", "to": "2026-06"})
    days = by(table(response, "daily"), "date")
    june_1, today = days[overridden], days[TODAY]
    # 1 June: A green (its override came later), B yellow (override), C green (override, cleared
    # on 15 June), D green.
    assert (june_1["green_accounts"], june_1["yellow_accounts"], june_1["red_accounts"]) == (
        3,
        1,
        0,
    )
    assert (june_1["green_mrr"], june_1["yellow_mrr"]) == (800, 200)
    # Today: A red (override), B red (its override expired), C yellow (cleared), D red (newest).
    assert (today["green_accounts"], today["yellow_accounts"], today["red_accounts"]) == (0, 1, 3)
    assert (today["red_mrr"], today["yellow_mrr"]) == (700, 300)
    # Today's overrides are exactly those the book applies (workspace.book.active_override).
    in_force = active_override(TODAY).order_by("created_on").values_list("account__name", "colour")
    assert dict(in_force) == {"A": "red", "D": "red"}
    assert "a colour override a CSM set, in force that day, wins" in response.content.decode()
