"""The manager reports as a manager sees them: tiny books whose figures were worked out by
hand, the period and segment filters, CSV downloads, who may see them, and query counts that
do not grow with the book.

"Today" is frozen at 30 June 2026 noon UTC.
"""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from scoring.models import Scorecard
from signals.revenue import churn_dates
from tests.factories import (
    AccountFactory,
    SubscriptionLineFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageRecordFactory,
    UserFactory,
    snapshot_parts,
    stored_snapshot,
)
from workspace.models import ColourOverride

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
JAN = date(2026, 1, 1)
D = Decimal

PAGES = [
    "/reports/portfolio/",
    "/reports/churn/",
    "/reports/renewals/",
    "/reports/nps/",
    "/reports/support/",
    "/reports/roi/",
    "/reports/score-quality/",
    "/reports/score-quality/weights/",
    "/reports/feedback/",
]


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


@pytest.fixture
def as_manager(client, manager, default_scorecard):
    client.force_login(manager)
    return client


def account(name, *lines, segment="smb", **fields):
    """An account with subscription lines given as (mrr, start, end) or dicts."""
    a = AccountFactory(name=name, segment=segment, **fields)
    for spec in lines:
        if isinstance(spec, dict):
            SubscriptionLineFactory(account=a, **spec)
        else:
            mrr, start, end = spec
            SubscriptionLineFactory(account=a, mrr=D(mrr), start_date=start, end_date=end)
    return a


def snap(a, score, *, day=TODAY, colour=None, mrr="1000", components=()):
    card = Scorecard.objects.get(is_default=True)
    parts = snapshot_parts(card, {c["key"]: c["score"] for c in components})
    return stored_snapshot(a, score, day=day, colour=colour, mrr=mrr, parts=parts)


def table(response, name) -> list[dict]:
    """The rows (raw values) of one table of a report page."""
    assert response.status_code == 200, response.content[:500]
    return next(t for t in response.context["tables"] if t.name == name).rows


def by(rows, key="period"):
    """Rows by a column's text: a period by its label (the page's words)."""
    return {getattr(row[key], "label", row[key]): row for row in rows}


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- churn and retention: PRODUCT.md's definitions, by hand -----------------------------------


@pytest.fixture
def churn_book(db):
    """A stays; B churns 15 April; C upsells 800 -> 1200 on 1 April; D is churned by hand on
    10 May ("Budget cuts"); E starts 10 April; F's last line ends 1 March; G's annual line
    ends on 30 September, after today. B and D are enterprise, the rest SMB."""
    return {
        "A": account("A", (1000, JAN, None)),
        "B": account("B", (500, JAN, date(2026, 4, 15)), segment="enterprise"),
        "C": account("C", (800, JAN, date(2026, 4, 1)), (1200, date(2026, 4, 1), None)),
        "D": account(
            "D",
            (400, JAN, None),
            segment="enterprise",
            churned_on=date(2026, 5, 10),
            churn_reason="Budget cuts",
        ),
        "E": account("E", (300, date(2026, 4, 10), None)),
        "F": account("F", (600, JAN, date(2026, 3, 1))),
        "G": account("G", (1000, JAN, date(2026, 9, 30))),
    }


def test_logo_churn_grr_and_nrr_by_month(as_manager, churn_book):
    response = as_manager.get("/reports/churn/", {"from": "2026-03", "to": "2026-05"})
    rows = by(table(response, "monthly"))
    # March: A, B, C, D, G active on 1 March (F's line ended that day); nobody churns.
    # MRR 3700 on 1 March -> 4100 on 1 April (C's upsell), capped back to 3700.
    march = rows["Mar 2026"]
    assert (march["active"], march["churned"], march["logo_churn"]) == (5, 0, 0.0)
    assert (march["mrr_start"], march["mrr_end_capped"], march["mrr_end"]) == (
        D(3700),
        D(3700),
        D(4100),
    )
    assert (march["grr"], march["nrr"]) == (100.0, round(4100 / 3700 * 100, 2))
    # April: B churns (1 of 5); 4100 -> 3600.
    april = rows["Apr 2026"]
    assert (april["active"], april["churned"], april["logo_churn"]) == (5, 1, 20.0)
    assert april["grr"] == april["nrr"] == round(3600 / 4100 * 100, 2)
    # May: E now active, D churned by hand (its open line no longer counts): 3900 -> 3500.
    may = rows["May 2026"]
    assert (may["active"], may["churned"], may["logo_churn"]) == (5, 1, 20.0)
    assert may["grr"] == may["nrr"] == round(3500 / 3900 * 100, 2)
    # The whole period as one: B and D of the five active on 1 March; 3700 -> 2800 capped
    # (C counts at its 800), 3200 uncapped.
    whole = rows["Whole period"]
    assert (whole["active"], whole["churned"], whole["logo_churn"]) == (5, 2, 40.0)
    assert (whole["grr"], whole["nrr"]) == (
        round(2800 / 3700 * 100, 2),
        round(3200 / 3700 * 100, 2),
    )


def test_churn_dates_after_today_are_not_counted(as_manager, churn_book):
    # Billing already knows G's line ends on 30 September: the revenue helper reports it...
    assert churn_dates([churn_book["G"].pk])[churn_book["G"].pk] == date(2026, 9, 30)
    # ...but as of today G has not churned, in June or over the whole year.
    response = as_manager.get("/reports/churn/", {"from": "2026-06", "to": "2026-06"})
    june = by(table(response, "monthly"))["Jun 2026 (to date)"]
    assert (june["active"], june["churned"]) == (4, 0)  # A, C, E, G
    response = as_manager.get("/reports/churn/", {"from": "2026-01", "to": "2026-12"})
    assert by(table(response, "monthly"))["Whole period (to date)"]["churned"] == 3  # B, D, F only


def test_churn_by_segment_and_reason(as_manager, churn_book):
    response = as_manager.get("/reports/churn/", {"from": "2026-03", "to": "2026-05"})
    segments = by(table(response, "segments"), "segment")
    assert (segments["SMB"]["active"], segments["SMB"]["churned"]) == (3, 0)
    assert (segments["Enterprise"]["active"], segments["Enterprise"]["logo_churn"]) == (2, 100.0)
    assert segments["Mid-market"]["logo_churn"] is None
    reasons = by(table(response, "reasons"), "reason")
    # B (15 April) had no reason recorded; D's was recorded by hand. F's last line ended on
    # 1 March: its last day as a customer was 28 February, so it churned in February and not
    # in this period — the same rule as the monthly logo churn, which never counted it.
    assert reasons["not recorded"]["accounts"] == 1
    assert reasons["not recorded"]["mrr_lost"] == D(500)
    assert (reasons["Budget cuts"]["accounts"], reasons["Budget cuts"]["mrr_lost"]) == (1, D(400))


def test_survival_curve_by_months_since_first_subscription(as_manager, churn_book):
    response = as_manager.get("/reports/churn/", {"from": "2026-03", "to": "2026-05"})
    # Cut-off 31 May: F left after 2 whole months, B after 3, D after 4; E (1 month) and
    # A, C, G (4 months) are still customers, so they are censored, never churned.
    rows = table(response, "survival")
    assert [(r["month"], r["at_risk"], r["churned"], r["censored"]) for r in rows] == [
        (0, 7, 0, 0),
        (1, 7, 0, 1),
        (2, 6, 1, 0),
        (3, 5, 1, 0),
        (4, 4, 1, 3),
    ]
    assert [r["survival"] for r in rows] == [100.0, 100.0, 83.33, 66.67, 50.0]


def test_segment_filter_restricts_the_book(as_manager, churn_book):
    response = as_manager.get(
        "/reports/churn/", {"from": "2026-03", "to": "2026-05", "segment": "enterprise"}
    )
    whole = by(table(response, "monthly"))["Whole period"]
    assert (whole["active"], whole["churned"], whole["mrr_start"]) == (2, 2, D(900))
    assert [r["segment"] for r in table(response, "segments")] == ["Enterprise"]


# --- renewals -----------------------------------------------------------------------------------


@pytest.fixture
def renewal_book(db):
    return {
        # Renewed the same day / 25 days later / 36 days later (too late) / never.
        "P": account("P", (100, JAN, date(2026, 4, 10)), (100, date(2026, 4, 10), None)),
        "Q": account("Q", (200, JAN, date(2026, 4, 20)), (200, date(2026, 5, 15), None)),
        "R": account("R", (300, JAN, date(2026, 5, 5)), (300, date(2026, 6, 10), None)),
        "S": account("S", (400, JAN, date(2026, 5, 20))),
        "T": account(
            "T", {"mrr": D(0), "start_date": JAN, "end_date": date(2026, 4, 15), "is_trial": True}
        ),
        "U": account("U", (600, JAN, date(2026, 6, 20))),  # ten days ago: still in grace
    }


def test_renewal_rate_of_past_months(as_manager, renewal_book):
    response = as_manager.get("/reports/renewals/", {"from": "2026-04", "to": "2026-06"})
    rows = by(table(response, "history"))
    assert (rows["Apr 2026"]["due"], rows["Apr 2026"]["renewed"]) == (2, 2)
    assert rows["Apr 2026"]["renewal_rate"] == 100.0
    assert (rows["May 2026"]["due"], rows["May 2026"]["renewed"]) == (2, 0)
    assert rows["May 2026"]["renewal_rate"] == 0.0
    june = rows["Jun 2026 (to date)"]
    assert (june["due"], june["renewed"], june["pending"]) == (1, 0, 1)
    assert rows["Whole period (to date)"]["renewal_rate"] == 40.0  # 2 renewed of 5 due


@pytest.fixture
def pipeline(db):
    v = account("Vega", (1000, JAN, TODAY + timedelta(days=15)))
    w = account("Wren", (500, JAN, TODAY + timedelta(days=45)))
    x = account("Xeno", (250, JAN, TODAY + timedelta(days=75)))
    # Yarrow's renewal is already booked: a new line starts the day the old one ends.
    y = account(
        "Yarrow",
        (100, JAN, TODAY + timedelta(days=5)),
        (100, TODAY + timedelta(days=5), None),
    )
    z = account("Zinc", (900, JAN, TODAY + timedelta(days=120)))
    snap(v, 85)
    snap(w, 20)
    snap(x, 80)
    snap(z, 10)
    # Xeno scores green, but its CSM overrode it to yellow: the override wins, as on the book.
    ColourOverride.objects.create(
        account=x, colour="yellow", reason="Champion left", expires_on=TODAY, created_on=TODAY
    )
    return v, w, x, y, z


def test_pipeline_windows_with_health_and_arr_at_risk(as_manager, pipeline):
    response = as_manager.get("/reports/renewals/")
    windows = by(table(response, "windows"), "window")
    # 30 days: Vega (green, 12,000) and Yarrow (grey but booked, 1,200): nothing at risk.
    assert (windows["Next 30 days"]["lines"], windows["Next 30 days"]["arr"]) == (2, D(13200))
    assert windows["Next 30 days"]["arr_at_risk"] == D(0)
    # 60 days adds Wren (red, 6,000 at risk); 90 days Xeno (overridden yellow, 3,000).
    assert (windows["Next 60 days"]["arr"], windows["Next 60 days"]["arr_at_risk"]) == (
        D(19200),
        D(6000),
    )
    assert (windows["Next 90 days"]["arr"], windows["Next 90 days"]["arr_at_risk"]) == (
        D(22200),
        D(9000),
    )
    upcoming = by(table(response, "upcoming"), "account")
    assert set(upcoming) == {"Vega", "Wren", "Xeno", "Yarrow"}  # Zinc renews in 120 days
    assert (upcoming["Wren"]["colour"], upcoming["Wren"]["arr_at_risk"]) == ("red", D(6000))
    assert (upcoming["Xeno"]["colour"], upcoming["Xeno"]["overridden"]) == ("yellow", True)
    assert (upcoming["Yarrow"]["colour"], upcoming["Yarrow"]["renewal_booked"]) == ("grey", True)
    # Most ARR at risk first.
    assert [r["account"] for r in table(response, "upcoming")][:2] == ["Wren", "Xeno"]


# --- NPS ----------------------------------------------------------------------------------------


def test_nps_by_month_and_escaped_comments(as_manager):
    a = account("Acme", (1000, JAN, None))
    for score in (10, 9, 8, 7, 6, 0, 10):
        SurveyResponseFactory(account=a, responded_on=date(2026, 5, 12), score=score)
    SurveyResponseFactory(account=a, responded_on=date(2026, 4, 2), score=9)
    SurveyResponseFactory(
        account=a, responded_on=date(2026, 4, 3), score=3, comment="<script>alert(1)</script>"
    )
    # CSAT answers are not NPS.
    SurveyResponseFactory(account=a, responded_on=date(2026, 5, 12), score=1, survey_type="csat")
    response = as_manager.get("/reports/nps/", {"from": "2026-04", "to": "2026-05"})
    rows = by(table(response, "monthly"))
    may = rows["May 2026"]
    assert (may["promoters"], may["passives"], may["detractors"]) == (3, 2, 2)
    assert may["nps"] == round(100 / 7, 2)  # 3/7 − 2/7
    assert rows["Apr 2026"]["nps"] == 0.0  # one promoter, one detractor
    assert rows["Whole period"]["nps"] == round((4 - 3) / 9 * 100, 2)
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


# --- support ------------------------------------------------------------------------------------


def at(day, hour, minute=0):
    return datetime(2026, 5, day, hour, minute, tzinfo=UTC)


def test_first_response_and_resolution_times_by_month_and_priority(as_manager):
    a = account("Acme", (1000, JAN, None))
    TicketFactory(
        account=a, opened_at=at(1, 9), first_response_at=at(1, 11), resolved_at=at(2, 9)
    )  # 2 h, 24 h
    TicketFactory(
        account=a, opened_at=at(3, 10), first_response_at=at(3, 16), resolved_at=at(3, 20)
    )  # 6 h, 10 h
    TicketFactory(account=a, opened_at=at(5, 8), first_response_at=at(5, 9))  # 1 h, open
    TicketFactory(
        account=a,
        priority="high",
        opened_at=at(10, 0),
        first_response_at=at(10, 0, 30),
        resolved_at=at(10, 4),
    )  # 0.5 h, 4 h
    # Opened on 30 April: counts in April, not May.
    TicketFactory(
        account=a,
        opened_at=datetime(2026, 4, 30, 23, tzinfo=UTC),
        first_response_at=datetime(2026, 5, 1, 0, tzinfo=UTC),
    )
    response = as_manager.get("/reports/support/", {"from": "2026-04", "to": "2026-05"})
    detail = {(r["period"].label, r["priority"]): r for r in table(response, "detail")}
    normal = detail[("May 2026", "normal")]
    assert (normal["opened"], normal["response_median_h"], normal["response_mean_h"]) == (
        3,
        2.0,
        3.0,
    )
    assert (normal["resolution_median_h"], normal["resolution_mean_h"]) == (17.0, 17.0)
    assert (normal["unanswered"], normal["unresolved"]) == (0, 1)
    high = detail[("May 2026", "high")]
    assert (high["response_median_h"], high["resolution_median_h"]) == (0.5, 4.0)
    assert detail[("May 2026", "critical")]["opened"] == 0
    may = by(table(response, "monthly"))["May 2026"]
    assert (may["opened"], may["response_median_h"], may["response_mean_h"]) == (4, 1.5, 2.375)
    assert may["resolution_median_h"] == 10.0
    assert may["resolution_mean_h"] == pytest.approx(38 / 3)
    assert by(table(response, "monthly"))["Apr 2026"]["opened"] == 1


# --- CS ROI -------------------------------------------------------------------------------------


def test_mrr_movements_are_classified_new_upsell_cross_sell_downsell_churned(as_manager):
    account("New", (500, date(2026, 5, 10), None))
    account("Up", (1000, JAN, date(2026, 5, 15)), (1300, date(2026, 5, 15), None))
    account("Down", (1000, JAN, date(2026, 5, 20)), (700, date(2026, 5, 20), None))
    account(
        "Cross",
        (1000, JAN, None),
        {"product": "Analytics", "mrr": D(200), "start_date": date(2026, 5, 5)},
    )
    account(
        "Drop",
        (1000, JAN, None),
        {"product": "Support", "mrr": D(100), "start_date": JAN, "end_date": date(2026, 5, 12)},
    )
    account("Gone", (800, JAN, date(2026, 5, 25)))
    account(
        "Trial",
        {
            "mrr": D(0),
            "start_date": date(2026, 5, 1),
            "end_date": date(2026, 5, 15),
            "is_trial": True,
        },
        (400, date(2026, 5, 15), None),
    )
    account(
        "Lapsed",
        {
            "mrr": D(0),
            "start_date": date(2026, 4, 20),
            "end_date": date(2026, 5, 4),
            "is_trial": True,
        },
    )
    response = as_manager.get("/reports/roi/", {"from": "2026-05", "to": "2026-05"})
    may = by(table(response, "movements"))["May 2026"]
    assert may["mrr_start"] == D(4900)
    assert (may["new"], may["upsell"], may["cross_sell"]) == (D(900), D(300), D(200))
    assert (may["downsell"], may["churned"]) == (D(400), D(800))
    assert (may["mrr_end"], may["arr_end"]) == (D(5100), D(5100 * 12))
    assert (may["accounts_upsell"], may["accounts_cross_sell"]) == (1, 1)
    trials = by(table(response, "trials"))["May 2026"]
    assert (trials["trials_ended"], trials["converted"], trials["conversion"]) == (2, 1, 50.0)


# --- portfolio ----------------------------------------------------------------------------------


def test_portfolio_counts_accounts_and_mrr_per_colour_and_finds_movers(as_manager):
    a = account("Falling", (1000, JAN, None))
    b = account("Rising", (1000, JAN, None))
    c = account("Steady", (1000, JAN, None))
    first = date(2026, 6, 1)
    snap(a, 80, day=first, mrr="1000")
    snap(b, 30, day=first, mrr="500")
    snap(c, 50, day=first, mrr="700")
    snap(a, 35, mrr="1000")
    snap(b, 75, mrr="500")
    snap(c, 51, mrr="700")
    response = as_manager.get("/reports/portfolio/", {"from": "2026-06", "to": "2026-06"})
    days = by(table(response, "daily"), "date")
    assert (days[first]["green_accounts"], days[first]["red_accounts"]) == (1, 1)
    assert days[TODAY]["green_mrr"] == D(500)
    assert days[TODAY]["red_mrr"] == D(1000)
    assert days[TODAY]["accounts"] == 3
    assert [(r["account"], r["delta"]) for r in table(response, "fallers")] == [("Falling", -45.0)]
    assert [r["account"] for r in table(response, "risers")] == ["Rising", "Steady"]


# --- filters, CSV, permissions --------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    "query",
    [
        "from=abc&to=2026-13",
        "from=2027-01&to=2020-01",
        "from=0000-00&to=9999-12",
        "from=2026-05-99&segment=evil&horizon=7",
        "from=%00&to=%F0%9F%92%A9",
        "segment=enterprise&horizon=90",
        "format=csv&table=nope",
        "format=xml",
    ],
)
def test_malformed_filters_never_fail(as_manager, churn_book, path, query):
    assert as_manager.get(f"{path}?{query}").status_code == 200


def test_filters_fall_back_and_are_kept_in_order(as_manager):
    response = as_manager.get("/reports/churn/", {"from": "2026-05", "to": "2026-02"})
    f = response.context["filters"]
    assert (f.first, f.last) == (date(2026, 2, 1), date(2026, 5, 1))
    f = as_manager.get("/reports/churn/", {"from": "junk"}).context["filters"]
    assert (f.first, f.last) == (date(2026, 1, 1), date(2026, 6, 1))  # the last six months
    f = as_manager.get("/reports/churn/", {"from": "1990-01"}).context["filters"]
    assert f.first == date(2021, 7, 1)  # at most five years


def test_csv_download_of_a_table(as_manager, churn_book):
    response = as_manager.get(
        "/reports/churn/", {"from": "2026-03", "to": "2026-05", "format": "csv", "table": "monthly"}
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="churn-monthly-2026-03-to-2026-05.csv"'
    )
    rows = csv_rows(response)
    assert rows[1] == {
        "period": "2026-04",  # the month's ISO key, in any language
        "start": "2026-04-01",
        "end": "2026-05-01",
        "active": "5",
        "churned": "1",
        "logo_churn": "20.0",
        "mrr_start": "4100.00",
        "mrr_end_capped": "3600.00",
        "mrr_end": "3600.00",
        "grr": "87.8",
        "nrr": "87.8",
    }
    # Every table of every page has its download link.
    html = as_manager.get("/reports/churn/").content.decode()
    for name in ("monthly", "segments", "reasons", "survival"):
        assert f"format=csv&amp;table={name}" in html


def test_csv_holds_every_row_the_page_shortens(as_manager):
    for n in range(40):
        snap(account(f"Acme {n}", (1000, JAN, None)), 50, day=TODAY - timedelta(days=n))
    response = as_manager.get("/reports/portfolio/", {"from": "2026-05", "format": "csv"})
    assert len(csv_rows(response)) == 40
    page = as_manager.get("/reports/portfolio/", {"from": "2026-05"})
    assert "26 more rows in the CSV" in page.content.decode()  # 14 shown


@pytest.mark.parametrize("path", [*PAGES, "/reports/", "/reports/churn/?format=csv"])
def test_csm_may_not_see_reports(client, csm, path):
    client.force_login(csm)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", [*PAGES, "/reports/"])
def test_anonymous_visitor_is_sent_to_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("path", PAGES)
def test_admin_sees_reports(client, admin_user, default_scorecard, path):
    client.force_login(admin_user)
    assert client.get(path).status_code == 200


def test_reports_link_is_in_the_menu_of_managers_only(client, manager, csm, default_scorecard):
    client.force_login(manager)
    assert 'href="/reports/">Reports</a>' in client.get("/accounts/").content.decode()
    assert client.get("/reports/")["Location"] == "/reports/portfolio/"
    client.force_login(csm)
    assert 'href="/reports/"' not in client.get("/accounts/").content.decode()


def test_pages_draw_charts_from_embedded_json_without_inline_code(as_manager, churn_book):
    html = as_manager.get("/reports/churn/").content.decode()
    assert 'data-chart="chart-survival"' in html
    assert '<script id="chart-survival" type="application/json">' in html
    assert "vendor/plotly/plotly.min.js" in html
    assert "cdn" not in html.lower()


# --- query counts ---------------------------------------------------------------------------------


def build_book(n: int) -> None:
    """n accounts with lines, a week of snapshots, usage, NPS answers and tickets."""
    owners = [UserFactory(role=Role.CSM) for _ in range(2)]
    for i in range(n):
        a = account(
            f"Book {i}",
            (100 + i, JAN, (date(2026, 3, 1), TODAY + timedelta(days=20), None)[min(i % 5, 2)]),
            {"product": "Addon", "mrr": D(10), "start_date": date(2026, 2, 1)},
            segment=("smb", "enterprise")[i % 2],
            owner=owners[i % 2],
        )
        for day in (TODAY - timedelta(days=d) for d in (140, 147, 154)):  # weekly, as sampled
            snap(a, 10 + i % 90, day=day, components=[{"key": "usage", "score": 50.0}])
        snap(a, 20 + i % 80, components=[{"key": "usage", "score": 40.0}])
        UsageRecordFactory(account=a, date=date(2026, 2, 10), metric="exports", value=i)
        SurveyResponseFactory(
            account=a, responded_on=date(2026, 5, 2), score=i % 11, comment=f"note {i}"
        )
        TicketFactory(account=a, opened_at=at(2, 9), first_response_at=at(2, 10))


# Queries per page, the same for any size of book:
QUERIES = {  # the session comes from the cache (SESSION_ENGINE cached_db)
    # user, the latest snapshot day, snapshots of the (weekly) days grouped by day
    # and colour, the movers' first and last days
    "/reports/portfolio/": 4,
    # user, accounts, subscription lines
    "/reports/churn/": 3,
    # user, accounts, lines, latest snapshot day, colours that day, overrides
    "/reports/renewals/": 6,
    # user, answers grouped by month, latest comments
    "/reports/nps/": 3,
    # user, tickets of the period
    "/reports/support/": 2,
    # user, accounts, lines, NPS answers of this and the previous period (one
    # aggregate), first-response times of both periods' tickets
    "/reports/roi/": 5,
    # user, latest snapshot day, largest scorecard, sampled snapshots with component
    # scores, churn dates (open lines, last ends, dates by hand), the default scorecard's
    # signals with it, one EXISTS per source the book may lack (all in one query)
    "/reports/score-quality/": 9,
    # user, the default scorecard, its signals, latest snapshot day, largest
    # scorecard, sampled snapshots, churn dates (3), usage summed per account, metric and
    # day, and the default scorecard's draft (if any)
    "/reports/score-quality/weights/": 11,
    # user, the tag list, tagged tickets, answers and check-ins by tag and month, tagged
    # NPS answers by tag, all NPS answers, every tagged ticket, answer and check-in (no release
    # in this book: tests/reports/test_feedback_report.py counts those)
    "/reports/feedback/": 10,
}


@pytest.mark.parametrize("path", PAGES)
def test_report_query_counts_do_not_grow_with_the_book(
    client, manager, default_scorecard, django_assert_num_queries, path
):
    from django.db import connection

    client.force_login(manager)
    params = {"from": "2026-01", "to": "2026-06"}
    build_book(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(path, params).status_code == 200
    build_book(30)
    with django_assert_num_queries(QUERIES[path]):
        assert client.get(path, params).status_code == 200
    assert len(small.captured_queries) == QUERIES[path]
