"""The pure arithmetic of the reports (healthscore/retention.py), on books small enough to work
out by hand. The same books, loaded from the database, are in test_reports.py."""

from datetime import date
from decimal import Decimal

import pytest

from reports.retention import (
    Customer,
    Line,
    Month,
    classify_change,
    kaplan_meier,
    months,
    months_between,
    movements,
    nps,
    parse_month,
    renewal_outcome,
    retention,
    spread,
    tenure,
    trial_outcome,
)

D = Decimal
TODAY = date(2026, 6, 30)


def line(mrr, start, end=None, *, product="Core", trial=False):
    return Line(product, D(mrr), start, end, trial)


# --- months and periods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05", date(2026, 5, 1)),
        ("2026-05-17", date(2026, 5, 1)),
        ("2026-13", None),
        ("2026-00", None),
        ("abc", None),
        ("", None),
        (None, None),
        ("0001-01", None),
        ("2026-05-17T00:00", None),
        ("２０２６-05", None),
        ("99999999999-01", None),
    ],
)
def test_parse_month_never_raises(text, expected):
    assert parse_month(text) == expected


def test_months_stop_today_and_the_current_month_runs_to_today():
    result = months(date(2026, 4, 1), date(2026, 8, 1), today=TODAY)
    assert result == [
        Month(date(2026, 4, 1), date(2026, 5, 1)),
        Month(date(2026, 5, 1), date(2026, 6, 1)),
        Month(date(2026, 6, 1), TODAY, partial=True),
    ]
    assert result[-1].label == "Jun 2026 (to date)"
    # On the first of a month, the month has no day behind it yet.
    assert months(date(2026, 6, 1), date(2026, 7, 1), today=date(2026, 7, 1))[-1].start == date(
        2026, 6, 1
    )


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 1, 15), date(2026, 3, 14), 1),
        (date(2026, 1, 15), date(2026, 3, 15), 2),
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # an anniversary clamped to February's end
        (date(2025, 6, 1), date(2026, 6, 1), 12),
        (date(2026, 6, 1), date(2026, 5, 1), 0),
    ],
)
def test_months_between_counts_whole_months(start, end, expected):
    assert months_between(start, end) == expected


# --- logo churn, GRR, NRR -----------------------------------------------------------------------


def book() -> list[Customer]:
    """The hand-worked book of PRODUCT.md's definitions (see test_reports.py for the sums)."""
    jan = date(2026, 1, 1)
    return [
        Customer(1, [line(1000, jan)]),  # A: stays
        Customer(2, [line(500, jan, date(2026, 4, 15))]),  # B: churns 15 April
        Customer(3, [line(800, jan, date(2026, 4, 1)), line(1200, date(2026, 4, 1))]),  # C: +400
        Customer(4, [line(400, jan)], churned_on=date(2026, 5, 10)),  # D: churn by hand
        Customer(5, [line(300, date(2026, 4, 10))]),  # E: new in April
        Customer(6, [line(600, jan, date(2026, 3, 1))]),  # F: gone on 1 March
        Customer(7, [line(1000, jan, date(2026, 9, 30))]),  # G: ends in the future
    ]


def test_march_no_churn_grr_100_nrr_with_the_upsell():
    r = retention(book(), date(2026, 3, 1), date(2026, 4, 1), today=TODAY)
    assert (r.active, r.churned) == (5, 0)  # F's line no longer covers 1 March
    assert (r.mrr_start, r.mrr_end_capped, r.mrr_end) == (D(3700), D(3700), D(4100))
    assert r.logo_churn == 0.0
    assert r.grr == 100.0
    assert r.nrr == pytest.approx(4100 / 3700 * 100)


def test_april_one_of_five_churned():
    r = retention(book(), date(2026, 4, 1), date(2026, 5, 1), today=TODAY)
    assert (r.active, r.churned, r.logo_churn) == (5, 1, 20.0)
    assert r.grr == r.nrr == pytest.approx(3600 / 4100 * 100)


def test_a_churn_recorded_by_hand_counts_and_zeroes_the_mrr():
    r = retention(book(), date(2026, 5, 1), date(2026, 6, 1), today=TODAY)
    assert (r.active, r.churned) == (5, 1)
    assert (r.mrr_start, r.mrr_end) == (D(3900), D(3500))


def test_a_churn_date_after_today_is_not_a_churn_yet():
    g = book()[6]
    assert g.churn_date() == date(2026, 9, 30)
    r = retention([g], date(2026, 6, 1), TODAY, today=TODAY)
    assert (r.active, r.churned) == (1, 0)
    later = retention([g], date(2026, 9, 1), date(2026, 10, 1), today=date(2026, 10, 5))
    assert later.churned == 1


def test_no_active_accounts_gives_no_rates():
    r = retention([], date(2026, 3, 1), date(2026, 4, 1), today=TODAY)
    assert (r.logo_churn, r.grr, r.nrr) == (None, None, None)


# --- MRR movements ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {"Core": 500}, {"new": 500}),
        ({"Core": 500}, {}, {"churned": 500}),
        ({"Core": 1000}, {"Core": 1300}, {"upsell": 300}),
        ({"Core": 1000}, {"Core": 700}, {"downsell": 300}),
        ({"Core": 1000}, {"Core": 1000, "Analytics": 200}, {"cross_sell": 200}),
        ({"Core": 1000, "Support": 100}, {"Core": 1000}, {"downsell": 100}),
        # Mixed: a cross-sell while the main product shrinks.
        ({"Core": 1000}, {"Core": 900, "Analytics": 250}, {"cross_sell": 250, "downsell": 100}),
        ({"Core": 1000}, {"Core": 1000}, {}),
        ({}, {}, {}),
    ],
)
def test_classify_change(before, after, expected):
    moves = classify_change(
        {k: D(v) for k, v in before.items()}, {k: D(v) for k, v in after.items()}
    )
    assert {k: v for k, v in moves.items() if v} == {k: D(v) for k, v in expected.items()}
    start, end = sum(map(D, before.values()), D(0)), sum(map(D, after.values()), D(0))
    bridge = start + moves["new"] + moves["upsell"] + moves["cross_sell"]
    assert bridge - moves["downsell"] - moves["churned"] == end


def test_movements_of_a_month_bridge_start_to_end():
    may, june = date(2026, 5, 1), date(2026, 6, 1)
    jan = date(2026, 1, 1)
    customers = [
        Customer(1, [line(500, date(2026, 5, 10))]),
        Customer(2, [line(1000, jan, date(2026, 5, 15)), line(1300, date(2026, 5, 15))]),
        Customer(3, [line(1000, jan, date(2026, 5, 20)), line(700, date(2026, 5, 20))]),
        Customer(4, [line(1000, jan), line(200, date(2026, 5, 5), product="Analytics")]),
        Customer(5, [line(800, jan, date(2026, 5, 25))]),
    ]
    m = movements(customers, may, june)
    assert (m.mrr_start, m.new, m.upsell, m.cross_sell, m.downsell, m.churned, m.mrr_end) == (
        D(3800),
        D(500),
        D(300),
        D(200),
        D(300),
        D(800),
        D(3700),
    )
    assert m.counts == {"new": 1, "upsell": 1, "cross_sell": 1, "downsell": 1, "churned": 1}
    assert m.arr_end == D(3700 * 12)


# --- renewals and trials ------------------------------------------------------------------------


def renewal_book():
    jan = date(2026, 1, 1)
    return [
        Customer(1, [line(100, jan, date(2026, 4, 10)), line(100, date(2026, 4, 10))]),
        Customer(2, [line(200, jan, date(2026, 4, 20)), line(200, date(2026, 5, 15))]),
        Customer(3, [line(300, jan, date(2026, 5, 5)), line(300, date(2026, 6, 10))]),
        Customer(4, [line(400, jan, date(2026, 5, 20))]),
        Customer(5, [line(0, jan, date(2026, 4, 15), trial=True)]),  # trials are not renewals
        Customer(6, [line(600, jan, date(2026, 6, 20))]),  # ended ten days ago
    ]


def test_renewal_rate_counts_lines_followed_within_30_days():
    april = renewal_outcome(renewal_book(), date(2026, 4, 1), date(2026, 5, 1), today=TODAY)
    may = renewal_outcome(renewal_book(), date(2026, 5, 1), date(2026, 6, 1), today=TODAY)
    both = renewal_outcome(renewal_book(), date(2026, 4, 1), date(2026, 6, 1), today=TODAY)
    assert (april.due, april.followed, april.rate) == (2, 2, 100.0)  # same day; 25 days later
    assert (may.due, may.followed, may.rate) == (2, 0, 0.0)  # 36 days later is too late
    assert (both.due, both.followed, both.rate) == (4, 2, 50.0)


def test_a_line_ended_inside_the_grace_period_is_due_and_pending():
    june = renewal_outcome(renewal_book(), date(2026, 6, 1), TODAY, today=TODAY)
    assert (june.due, june.followed, june.pending) == (1, 0, 1)


def test_trial_conversion_needs_a_paid_line_of_the_same_product():
    jan = date(2026, 1, 1)
    customers = [
        Customer(
            1,
            [
                line(0, date(2026, 5, 1), date(2026, 5, 15), trial=True),
                line(400, date(2026, 5, 15)),
            ],
        ),
        Customer(2, [line(0, date(2026, 4, 20), date(2026, 5, 4), trial=True)]),
        # A trial of an add-on, while the main product keeps renewing: not converted.
        Customer(
            3,
            [
                line(1000, jan, date(2026, 5, 20)),
                line(1000, date(2026, 5, 20)),
                line(0, date(2026, 5, 1), date(2026, 5, 15), product="Addon", trial=True),
            ],
        ),
    ]
    may = trial_outcome(customers, date(2026, 5, 1), date(2026, 6, 1), today=TODAY)
    assert (may.due, may.followed, may.rate) == (3, 1, pytest.approx(100 / 3))


# --- survival -----------------------------------------------------------------------------------


def test_kaplan_meier_by_hand():
    # Tenures of the churn book cut off on 31 May: F left at 2 months, B at 3, D at 4; E is
    # censored at 1, A, C and G at 4.
    pairs = [(4, False), (3, True), (4, False), (4, True), (1, False), (2, True), (4, False)]
    points = kaplan_meier(pairs)
    assert [(p.month, p.at_risk, p.churned, p.censored) for p in points] == [
        (0, 7, 0, 0),
        (1, 7, 0, 1),
        (2, 6, 1, 0),
        (3, 5, 1, 0),
        (4, 4, 1, 3),
    ]
    assert [p.survival for p in points] == pytest.approx([1, 1, 5 / 6, 4 / 6, 0.5])
    assert points[3].hazard == 20.0


def test_kaplan_meier_without_censoring_is_the_plain_share_remaining():
    points = kaplan_meier([(0, True), (1, True), (1, True), (3, True)])
    assert [p.survival for p in points] == pytest.approx([0.75, 0.25, 0.25, 0.0])
    assert kaplan_meier([]) == []


def test_tenure_is_censored_at_the_cutoff_and_ignores_future_churn():
    cutoff = date(2026, 5, 31)
    customers = book()
    assert tenure(customers[1], cutoff=cutoff) == (3, True)  # B
    assert tenure(customers[6], cutoff=cutoff) == (4, False)  # G ends in September
    assert tenure(customers[4], cutoff=date(2026, 4, 1)) is None  # E had not started


# --- NPS and durations --------------------------------------------------------------------------


def test_nps_is_promoters_minus_detractors():
    result = nps([10, 9, 8, 7, 6, 0, 10])
    assert (result.promoters, result.passives, result.detractors) == (3, 2, 2)
    assert result.score == pytest.approx(100 / 7)
    assert nps([]).score is None
    assert nps([9, 9]).score == 100.0
    with pytest.raises(ValueError):
        nps([11])


def test_spread_gives_median_and_mean():
    s = spread([2.0, 6.0, 1.0])
    assert (s.n, s.median, s.mean) == (3, 2.0, 3.0)
    assert spread([]).median is None


# ---------------------------------------------------------------- churn at month edges


MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
TODAY_EDGE = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("last_end", "churned_in_march", "churned_in_april"),
    [
        # Last line ends 1 April: a customer through 31 March, gone on 1 April -> March.
        (date(2026, 4, 1), True, False),
        # Ends 31 March: its last day was 30 March -> March.
        (date(2026, 3, 31), True, False),
        # Ends 2 April: still a customer on 1 April -> April.
        (date(2026, 4, 2), False, True),
        # Ends 1 March: gone on the first day of March, so it was not active on 1 March; its
        # last day was 28 February -> February, neither March nor April.
        (date(2026, 3, 1), False, False),
    ],
)
def test_churn_date_is_the_first_day_not_active(last_end, churned_in_march, churned_in_april):
    from reports.retention import Customer, Line

    c = Customer(1, [Line("Core", D(100), date(2025, 1, 1), last_end)])
    assert c.churn_date() == last_end
    assert c.churned_in(MARCH, APRIL, today=TODAY_EDGE) is churned_in_march
    assert c.churned_in(APRIL, MAY, today=TODAY_EDGE) is churned_in_april


def test_logo_churn_counts_the_first_of_the_month_leaver_once():
    from reports.retention import Customer, Line, retention

    leaves_1_april = Customer(1, [Line("Core", D(100), date(2025, 1, 1), APRIL)])
    stays = Customer(2, [Line("Core", D(100), date(2025, 1, 1), None)])
    march = retention([leaves_1_april, stays], MARCH, APRIL, today=TODAY_EDGE)
    april = retention([leaves_1_april, stays], APRIL, MAY, today=TODAY_EDGE)
    assert (march.active, march.churned) == (2, 1)
    assert (april.active, april.churned) == (1, 0)


def test_an_account_that_starts_and_leaves_inside_the_period_was_not_active_on_its_start():
    from reports.retention import Customer, Line

    c = Customer(1, [Line("Core", D(100), date(2026, 3, 10), date(2026, 3, 20))])
    assert not c.churned_in(MARCH, APRIL, today=TODAY_EDGE)


def test_a_line_ending_on_the_first_is_due_for_renewal_in_the_month_before():
    from reports.retention import Customer, Line, renewal_outcome

    renewed = Customer(
        1, [Line("Core", D(100), date(2025, 4, 1), APRIL), Line("Core", D(100), APRIL, None)]
    )
    march = renewal_outcome([renewed], MARCH, APRIL, today=TODAY_EDGE)
    april = renewal_outcome([renewed], APRIL, MAY, today=TODAY_EDGE)
    assert (march.due, march.followed) == (1, 1)
    assert april.due == 0


def test_survival_counts_whole_months_to_the_first_day_not_active():
    from reports.retention import Customer, Line, tenure

    c = Customer(1, [Line("Core", D(100), date(2026, 1, 1), APRIL)])
    assert tenure(c, cutoff=TODAY_EDGE) == (3, True)  # January, February, March
