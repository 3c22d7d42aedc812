"""CS ROI on one page (issue 16, "Reports" 5): the eight measures of the period beside the
previous period of the same length, each linking to its report — worked out by hand.

"Today" is frozen at 30 June 2026 noon UTC.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from reports.retention import Month
from reports.roi import previous_span
from reports.tables import ReportFilters
from tests.factories import SurveyResponseFactory, TicketFactory
from tests.reports.test_reports import JAN, D, account, by, csv_rows, table
from tests.reports.test_reports import as_manager as as_manager  # noqa: F401 (fixture)
from tests.reports.test_reports import today as today  # noqa: F401 (fixture)


def filters(first: str, last: str, today: date) -> ReportFilters:
    return ReportFilters.from_query({"from": first, "to": last}, today=today)


def test_the_previous_period_is_as_many_months_just_before():
    span = previous_span(filters("2026-04", "2026-05", date(2026, 6, 30)))
    assert (span.first, span.last) == (date(2026, 2, 1), date(2026, 3, 31))
    assert [m.start for m in span.months] == [date(2026, 2, 1), date(2026, 3, 1)]
    assert not any(m.partial for m in span.months)


def test_a_period_to_date_is_compared_with_one_ending_on_the_same_day_of_its_month():
    # May and June to the 30th (June 1–29 counted, as every report does) against March and
    # April to the 30th.
    span = previous_span(filters("2026-05", "2026-06", date(2026, 6, 30)))
    assert (span.first, span.last) == (date(2026, 3, 1), date(2026, 4, 30))
    assert span.months[-1] == Month(date(2026, 4, 1), date(2026, 4, 30), partial=True)
    # 31 March to date, one month: February to its last day, the 28th.
    span = previous_span(filters("2026-03", "2026-03", date(2026, 3, 31)))
    assert span.months == [Month(date(2026, 2, 1), date(2026, 2, 28), partial=True)]
    assert span.last == date(2026, 2, 28)


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def roi_book(db):
    """April–May 2026 against February–March.

    A upsells 800 -> 1000 on 10 March and 1000 -> 1300 on 15 May (each a new line: renewed).
    B cross-sells an add-on of 100 on 20 April. C's line ends 10 April, renewed the same day;
    D's ends 5 May, not renewed; E's ends 1 March (due in February), renewed. F's trial ends
    15 April and converts on 20 April at 150; G's trial ends 15 March and never converts.
    """
    a = account(
        "A",
        (800, JAN, date(2026, 3, 10)),
        (1000, date(2026, 3, 10), date(2026, 5, 15)),
        (1300, date(2026, 5, 15), None),
    )
    account(
        "B", (500, JAN, None), {"product": "Addon", "mrr": D(100), "start_date": date(2026, 4, 20)}
    )
    account("C", (400, JAN, date(2026, 4, 10)), (400, date(2026, 4, 10), None))
    account("D", (300, JAN, date(2026, 5, 5)))
    account("E", (200, JAN, date(2026, 3, 1)), (200, date(2026, 3, 1), None))
    account(
        "F",
        {
            "mrr": D(0),
            "start_date": date(2026, 4, 1),
            "end_date": date(2026, 4, 15),
            "is_trial": True,
        },
        {"mrr": D(150), "start_date": date(2026, 4, 20)},
    )
    account(
        "G",
        {
            "mrr": D(0),
            "start_date": date(2026, 3, 1),
            "end_date": date(2026, 3, 15),
            "is_trial": True,
        },
    )
    # NPS: April–May 10, 9, 9, 5 (NPS 50); February–March 9 and 3 (NPS 0).
    for day, score in [(date(2026, 4, 2), 10), (date(2026, 4, 9), 9), (date(2026, 5, 31), 9)]:
        SurveyResponseFactory(account=a, responded_on=day, score=score)
    SurveyResponseFactory(account=a, responded_on=date(2026, 5, 3), score=5)
    SurveyResponseFactory(account=a, responded_on=date(2026, 2, 1), score=9)
    SurveyResponseFactory(account=a, responded_on=date(2026, 3, 31), score=3)
    SurveyResponseFactory(account=a, responded_on=date(2026, 6, 1), score=0)  # after the period
    # First responses: April–May 2, 4, 9 h (median 4); February–March 10, 6 h (median 8).
    # (31 May 20:00 UTC is still 31 May in the project's time zone; 30 January is before both.)
    for opened, hours in [
        (at(4, 3), 2),
        (at(5, 4), 4),
        (at(5, 31, 20), 9),
        (at(3, 2), 10),
        (at(3, 3), 6),
        (at(1, 30), 100),
    ]:
        TicketFactory(
            account=a, opened_at=opened, first_response_at=opened + timedelta(hours=hours)
        )
    TicketFactory(account=a, opened_at=at(5, 20), first_response_at=None)  # not answered yet


def test_the_eight_measures_against_the_previous_period(as_manager, roi_book):
    response = as_manager.get("/reports/roi/", {"from": "2026-04", "to": "2026-05"})
    rows = by(table(response, "measures"), "key")
    assert list(rows) == [
        "upsell",
        "cross_sell",
        "renewal_rate",
        "mrr",
        "arr",
        "trial_conversion",
        "nps",
        "response_time",
    ]

    def figures(key):
        r = rows[key]
        return r["now"], r["before"], r["change"]

    assert figures("upsell") == (300.0, 200.0, 100.0)  # A in May; A in March
    assert rows["upsell"]["change_text"] == "+$100 (+50.0%)"
    assert figures("cross_sell") == (100.0, 0.0, 100.0)  # B's add-on
    # Due now: C (renewed), A's 15 May line (renewed), D (not): 2 of 3. Before: E, A: 2 of 2.
    now, before, change = figures("renewal_rate")
    assert (now, before) == (pytest.approx(200 / 3), 100.0)
    assert rows["renewal_rate"]["change_text"] == "−33.3 pts"
    assert rows["renewal_rate"]["now_basis"] == "2 of 3 lines due"
    assert rows["renewal_rate"]["direction"] == "worse"
    # MRR on 1 June: A 1300 + B 600 + C 400 + E 200 + F 150; on 1 April: 1000 + 500 + 400 +
    # 300 + 200.
    assert figures("mrr") == (2650.0, 2400.0, 250.0)
    assert rows["mrr"]["change_text"] == "+$250 (+10.4%)"
    assert figures("arr") == (31800.0, 28800.0, 3000.0)
    assert figures("trial_conversion") == (100.0, 0.0, 100.0)  # F of F; G of G
    assert figures("nps") == (50.0, 0.0, 50.0)
    assert rows["nps"]["now_basis"] == "4 answers, small sample"
    assert rows["nps"]["before_basis"] == "2 answers, small sample"
    assert figures("response_time") == (4.0, 8.0, -4.0)
    assert (rows["response_time"]["change_text"], rows["response_time"]["direction"]) == (
        "−4.0 h",
        "better",
    )
    assert rows["response_time"]["now_basis"] == "3 tickets answered"


def test_each_measure_links_to_its_report_with_the_same_filters(as_manager, roi_book):
    response = as_manager.get(
        "/reports/roi/", {"from": "2026-04", "to": "2026-05", "segment": "smb"}
    )
    rows = by(table(response, "measures"), "key")
    query = "?from=2026-04&to=2026-05&segment=smb"
    assert rows["renewal_rate"]["measure_url"] == f"/reports/renewals/{query}#table-history"
    assert rows["nps"]["measure_url"] == f"/reports/nps/{query}#table-monthly"
    assert rows["response_time"]["measure_url"] == f"/reports/support/{query}#table-monthly"
    assert rows["upsell"]["measure_url"] == f"/reports/roi/{query}#table-movements"
    assert rows["trial_conversion"]["measure_url"] == f"/reports/roi/{query}#table-trials"
    html = response.content.decode().replace("&amp;", "&")
    # The eight stand above the charts, each a link to its report, with the change; the
    # table with both periods' figures follows the charts.
    assert html.index('id="measures"') < html.index('data-chart="chart-moves"')
    assert (
        f'<a class="small" href="/reports/renewals/{query}#table-history">Renewal rate</a>' in html
    )
    assert "−33.3 pts (worse)" in html
    assert "−4.0 h (better)" in html
    note = next(t for t in response.context["tables"] if t.name == "measures").note
    assert note == (
        "This period: 1 Apr 2026 – 31 May 2026. "
        "Previous period of the same length: 1 Feb 2026 – 31 Mar 2026."
    )


def test_the_measures_of_a_period_to_date_say_so(as_manager, roi_book):
    response = as_manager.get("/reports/roi/", {"from": "2026-05", "to": "2026-06"})
    note = next(t for t in response.context["tables"] if t.name == "measures").note
    assert note.startswith(
        "This period: 1 May 2026 – 30 Jun 2026 (to date). "
        "Previous period of the same length: 1 Mar 2026 – 30 Apr 2026."
    )
    assert "a partial month is compared with a partial month" in note


def test_the_measures_download_as_csv_with_raw_numbers(as_manager, roi_book):
    rows = csv_rows(
        as_manager.get(
            "/reports/roi/",
            {"from": "2026-04", "to": "2026-05", "format": "csv", "table": "measures"},
        )
    )
    mrr = by(rows, "key")["mrr"]
    assert (mrr["now"], mrr["before"], mrr["change"], mrr["unit"]) == (
        "2650.0",
        "2400.0",
        "250.0",
        "MRR",
    )
