"""The score-quality report from stored snapshots: AUC at 30/60/90 days, churn by colour, the
lift of the red band, calibration and each signal's own AUC, on a book worked out by hand.

"Today" is frozen at 30 June 2026 noon UTC.
"""

from datetime import date

import pytest

from tests.reports.test_reports import JAN, account, by, snap, table, today  # noqa: F401

APRIL = date(2026, 4, 1)


def components(usage, nps=None):
    return [
        {"key": "usage", "label": "Product usage", "score": usage},
        {"key": "nps", "label": "NPS", "score": nps},
    ]


@pytest.fixture
def scored_book(db, default_scorecard):
    """Six accounts scored on 1 April. a1 (20, red) churns 15 April, a2 (35, red) 20 May,
    a4 (80, green) 20 June, a6 (grey: too little data) 10 April; a3 (50) and a5 (90) stay.
    Usage alone ranks every churner below every stayer; NPS (two answers) gets it backwards."""
    plan = [
        ("a1", 20, date(2026, 4, 15), 10, 90),
        ("a2", 35, date(2026, 5, 20), 20, None),
        ("a3", 50, None, 60, 10),
        ("a4", 80, date(2026, 6, 20), 30, None),
        ("a5", 90, None, 70, None),
        ("a6", None, date(2026, 4, 10), 5, None),
    ]
    accounts = {}
    for name, score, churn_on, usage, nps in plan:
        a = account(name, (1000, JAN, churn_on))
        snap(
            a,
            score,
            day=APRIL,
            colour=None if score is not None else "grey",
            components=components(usage, nps),
        )
        # Two days earlier: the same week, so not sampled again.
        snap(a, 50, day=date(2026, 3, 30), components=components(50))
        accounts[name] = a
    # Fifteen days ago: too recent for any horizon to have passed.
    snap(accounts["a3"], 10, day=date(2026, 6, 15), components=components(10))
    return accounts


def test_auc_of_the_score_at_30_60_and_90_days(client, manager, scored_book):
    client.force_login(manager)
    response = client.get("/reports/score-quality/", {"from": "2026-03", "to": "2026-06"})
    aucs = by(table(response, "auc"), "horizon")
    # 30 days: only a1 churned (the lowest score); grey a6 has no score and is left out.
    assert (aucs[30]["n"], aucs[30]["churned"], aucs[30]["auc"]) == (5, 1, 1.0)
    assert (aucs[60]["churned"], aucs[60]["auc"]) == (2, 1.0)
    # 90 days: a4 (80) churned too; of the six churner/stayer pairs only 80 vs 50 is out of
    # order -> 5/6.
    assert (aucs[90]["churned"], aucs[90]["auc"]) == (3, pytest.approx(5 / 6))
    assert aucs[90]["days"] == 1  # 1 April only: 30 March is the same week, 15 June too recent
    assert response.context["report"].horizon == 90  # the longest with churn and no churn


def test_churn_by_colour_lift_and_calibration(client, manager, scored_book):
    client.force_login(manager)
    response = client.get("/reports/score-quality/", {"from": "2026-03", "to": "2026-06"})
    colours = by(table(response, "colours"), "colour")
    assert (colours["red"]["n"], colours["red"]["churned"], colours["red"]["churn_rate"]) == (
        2,
        2,
        100.0,
    )
    assert (colours["green"]["n"], colours["green"]["churned"]) == (2, 1)
    assert (colours["grey"]["n"], colours["grey"]["churned"]) == (1, 1)
    # Red churned at 100 %, the book at 4 of 6: lift 1.5.
    assert response.context["report"].lift == pytest.approx(1.5)
    bins = by(table(response, "calibration"), "band")
    assert (bins["20–30"]["n"], bins["20–30"]["churn_rate"]) == (1, 100.0)
    assert (bins["50–60"]["n"], bins["50–60"]["churn_rate"]) == (1, 0.0)
    assert (bins["80–90"]["churned"], bins["90–100"]["churned"]) == (1, 0)
    assert bins["0–10"]["n"] == 0


def test_each_signals_own_auc(client, manager, scored_book):
    client.force_login(manager)
    response = client.get("/reports/score-quality/", {"from": "2026-03", "to": "2026-06"})
    signals = by(table(response, "signals"), "key")
    assert (signals["usage"]["n"], signals["usage"]["auc"]) == (6, 1.0)
    assert (signals["nps"]["n"], signals["nps"]["auc"]) == (2, 0.0)
    assert signals["nps"]["coverage"] == pytest.approx(100 * 2 / 6, abs=0.01)
    assert signals["usage"]["weight"] == 30.0  # the default scorecard's weight
    assert signals["email"]["n"] == 0 and signals["email"]["auc"] is None


def test_a_chosen_horizon_drives_the_colour_table(client, manager, scored_book):
    client.force_login(manager)
    response = client.get(
        "/reports/score-quality/", {"from": "2026-03", "to": "2026-06", "horizon": "30"}
    )
    colours = by(table(response, "colours"), "colour")
    assert (colours["red"]["churned"], colours["green"]["churned"]) == (1, 0)


def test_a_period_without_outcomes_says_so(client, manager, scored_book):
    client.force_login(manager)
    response = client.get("/reports/score-quality/", {"from": "2026-06", "to": "2026-06"})
    assert response.context["report"].n == 0
    assert 'id="no-data"' in response.content.decode()


def test_the_colour_table_gives_each_colours_share(client, manager, scored_book):
    client.force_login(manager)
    response = client.get("/reports/score-quality/", {"from": "2026-03", "to": "2026-06"})
    colours = by(table(response, "colours"), "colour")
    assert (colours["red"]["n"], colours["red"]["share"]) == (2, pytest.approx(33.33))
    assert sum(row["share"] for row in colours.values()) == pytest.approx(100)


def test_the_page_says_once_which_sources_the_book_lacks(client, manager, scored_book):
    client.force_login(manager)
    html = client.get("/reports/score-quality/", {"from": "2026-03", "to": "2026-06"})
    page = html.content.decode()
    assert page.count('id="missing-sources"') == 1
    for label in ("Invoices", "Support tickets", "NPS", "E-mail engagement", "CSM sentiment"):
        assert label in html.context["report"].missing_sources
    assert "Revenue trend" not in html.context["report"].missing_sources


PERIOD = {"from": "2026-03", "to": "2026-06", "horizon": "90"}


def test_bands_from_the_distribution_are_previewed_against_the_bands_now(
    client, manager, scored_book
):
    client.force_login(manager)
    response = client.get("/reports/score-quality/", {**PERIOD, "red_share": 20, "green_share": 40})
    bands = response.context["report"].bands
    # Scores 20, 35, 50, 80, 90: the lowest fifth is 20 alone, the highest two fifths 80 and 90.
    assert (bands.yellow_min, bands.green_min) == (35.0, 80.0)
    rows = by(table(response, "bands"), "colour")
    assert rows["red"]["share_now"] == pytest.approx(100 * 2 / 6, abs=0.01)
    assert rows["red"]["share_proposed"] == pytest.approx(100 / 6, abs=0.01)
    assert rows["red"]["churn_proposed"] == 100.0  # a1 churned
    assert rows["grey"]["share_proposed"] == rows["grey"]["share_now"]  # grey stays grey
    assert 'id="bands-apply"' not in response.content.decode()  # managers preview only


@pytest.mark.parametrize("bad", ["", "abc", "-5", "500", "1e9", "70"])
def test_shares_a_user_typed_wrongly_fall_back_to_the_defaults(client, manager, scored_book, bad):
    client.force_login(manager)
    response = client.get(
        "/reports/score-quality/", {**PERIOD, "red_share": bad, "green_share": 40}
    )
    assert response.status_code == 200
    bands = response.context["report"].bands
    assert bands.red_share in (15, 70) and bands.red_share + bands.green_share <= 100


def test_an_admin_puts_the_proposed_bands_in_a_draft(client, admin_user, manager, scored_book):
    from audit.models import AuditEntry
    from scoring.models import Scorecard

    client.force_login(manager)
    refused = client.post("/reports/score-quality/bands/apply/", {**PERIOD, "red_share": 20})
    assert refused.status_code == 403
    client.force_login(admin_user)
    response = client.post(
        "/reports/score-quality/bands/apply/", {**PERIOD, "red_share": 20, "green_share": 40}
    )
    live = Scorecard.objects.get(is_default=True)
    draft = Scorecard.objects.get(draft_of=live)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/scoring/scorecard/{draft.pk}/change/"
    assert (draft.yellow_min, draft.green_min) == (35.0, 80.0)
    assert (live.yellow_min, live.green_min) == (40.0, 70.0)  # live colours untouched
    entry = AuditEntry.objects.get(action="bands from distribution")
    assert entry.changes == {"yellow_min": [40.0, 35.0], "green_min": [70.0, 80.0]}
