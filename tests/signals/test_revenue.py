"""Revenue facts from subscription lines: coverage, MRR on a day, churn date, active on a day.

The pure functions are checked against tables of lines; the set-based queries are checked on a
small book in the database and must agree with the pure functions for every account and day.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account
from signals.revenue import (
    churn_date,
    churn_dates,
    covers,
    customer_since,
    is_active_on,
    mrr_by_account,
    mrr_on,
    run_start,
)
from tests.factories import AccountFactory, SubscriptionLineFactory, UserFactory


@dataclass
class L:
    start_date: date
    end_date: date | None = None
    mrr: Decimal = Decimal("100")


def d(month: int, day: int = 1, year: int = 2026) -> date:
    return date(year, month, day)


def money(value: str | int) -> Decimal:
    return Decimal(value)


# --- covers ---------------------------------------------------------------------------------

JAN_TO_MAR = L(d(1), d(3))
OPEN_FROM_JAN = L(d(1), None)


@pytest.mark.parametrize(
    ("line", "day", "expected"),
    [
        pytest.param(JAN_TO_MAR, d(12, 31, 2025), False, id="day-before-start"),
        pytest.param(JAN_TO_MAR, d(1), True, id="start-date-is-covered"),
        pytest.param(JAN_TO_MAR, d(2, 28), True, id="last-day-before-end-is-covered"),
        pytest.param(JAN_TO_MAR, d(3), False, id="end-date-is-exclusive"),
        pytest.param(JAN_TO_MAR, d(4), False, id="after-end"),
        pytest.param(OPEN_FROM_JAN, d(12, 31, 2025), False, id="open-line-before-start"),
        pytest.param(OPEN_FROM_JAN, d(1), True, id="open-line-on-start"),
        pytest.param(OPEN_FROM_JAN, d(6, 1, 2040), True, id="open-line-covers-far-future"),
        pytest.param(L(d(5), d(5, 2)), d(5), True, id="one-day-line-covers-its-day"),
        pytest.param(L(d(5), d(5, 2)), d(5, 2), False, id="one-day-line-not-the-next"),
    ],
)
def test_covers_start_inclusive_end_exclusive(line, day, expected):
    assert covers(line, day) is expected


# --- mrr_on ---------------------------------------------------------------------------------

RENEWAL = [L(d(1), d(7), money(500)), L(d(7), None, money(600))]
WITH_GAP = [L(d(1), d(3), money(100)), L(d(5), d(8), money(120))]
CORE_AND_ADDON = [L(d(1), None, money(1000)), L(d(3), d(6), money("250.50"))]


@pytest.mark.parametrize(
    ("lines", "day", "expected"),
    [
        pytest.param([], d(6), money(0), id="no-lines"),
        pytest.param([L(d(1), d(3), money(300))], d(2), money(300), id="single-line"),
        pytest.param([L(d(1), d(3), money(300))], d(3), money(0), id="on-end-date-no-mrr"),
        pytest.param(RENEWAL, d(6, 30), money(500), id="renewal-day-before"),
        pytest.param(RENEWAL, d(7), money(600), id="renewal-day-counts-new-line-only"),
        pytest.param(WITH_GAP, d(2), money(100), id="gap-first-line"),
        pytest.param(WITH_GAP, d(4), money(0), id="gap-nothing-covers"),
        pytest.param(WITH_GAP, d(5), money(120), id="gap-second-line"),
        pytest.param(CORE_AND_ADDON, d(2), money(1000), id="core-before-addon"),
        pytest.param(CORE_AND_ADDON, d(4), money("1250.50"), id="overlapping-lines-add-up"),
        pytest.param(CORE_AND_ADDON, d(6), money(1000), id="addon-ended"),
        pytest.param([L(d(1), d(2), money(0))], d(1), money(0), id="free-trial"),
    ],
)
def test_mrr_on_sums_lines_covering_the_day(lines, day, expected):
    assert mrr_on(lines, day) == expected


def test_mrr_on_accepts_a_generator():
    assert mrr_on((line for line in RENEWAL), d(8)) == money(600)


# --- churn_date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "churned_on", "expected"),
    [
        pytest.param([], None, None, id="no-lines-never-a-customer"),
        pytest.param([L(d(1), None)], None, None, id="open-line-not-churned"),
        pytest.param([L(d(1), d(4))], None, d(4), id="single-closed-line-churns-on-end"),
        pytest.param(
            [L(d(1), d(7)), L(d(7), d(12))], None, d(12), id="renewal-chain-churns-on-last-end"
        ),
        pytest.param(RENEWAL, None, None, id="last-line-still-open-no-churn"),
        pytest.param(WITH_GAP, None, d(8), id="gap-then-closed-churns-on-last-end"),
        pytest.param(
            [L(d(1), d(3)), L(d(5), None)], None, None, id="came-back-after-gap-still-customer"
        ),
        pytest.param(
            [L(d(1), d(12)), L(d(2), d(6))], None, d(12), id="latest-end-not-latest-start"
        ),
        pytest.param([L(d(1), None)], d(6), d(6), id="manual-churn-overrides-open-line"),
        pytest.param([L(d(1), d(9))], d(6), d(6), id="manual-churn-before-derived"),
        pytest.param([L(d(1), d(3))], d(6), d(6), id="manual-churn-after-derived"),
        pytest.param([], d(6), d(6), id="manual-churn-without-lines"),
    ],
)
def test_churn_date(lines, churned_on, expected):
    assert churn_date(lines, churned_on=churned_on) == expected


def test_churn_date_accepts_a_generator():
    assert churn_date(line for line in WITH_GAP) == d(8)


# --- is_active_on ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "day", "churned_on", "expected"),
    [
        pytest.param([], d(6), None, False, id="no-lines"),
        pytest.param([OPEN_FROM_JAN], d(6), None, True, id="open-line"),
        pytest.param([JAN_TO_MAR], d(2), None, True, id="inside-closed-line"),
        pytest.param([JAN_TO_MAR], d(3), None, False, id="on-end-date"),
        pytest.param(WITH_GAP, d(4), None, False, id="in-gap"),
        pytest.param(WITH_GAP, d(5), None, True, id="after-gap"),
        pytest.param(RENEWAL, d(7), None, True, id="renewal-day"),
        pytest.param([OPEN_FROM_JAN], d(5, 31), d(6), True, id="day-before-manual-churn"),
        pytest.param([OPEN_FROM_JAN], d(6), d(6), False, id="on-manual-churn-day"),
        pytest.param([OPEN_FROM_JAN], d(9), d(6), False, id="after-manual-churn"),
        pytest.param([JAN_TO_MAR], d(4), d(9), False, id="manual-churn-later-no-line"),
    ],
)
def test_is_active_on(lines, day, churned_on, expected):
    assert is_active_on(lines, day, churned_on=churned_on) is expected


# --- set-based queries against the pure functions --------------------------------------------


# Days around every start, end and churn in the book below.
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([(d(3), None)], d(3)),
        ([(d(3), None), (d(1), d(3))], d(1)),  # touching: one run
        ([(d(3), None), (d(1), d(5))], d(1)),  # overlapping
        ([(d(3), None), (d(1), None)], d(1)),  # an open line reaches any later start
        ([(d(5), None), (d(1), d(3))], d(5)),  # a gap: a new run
        ([(d(6), None), (d(4), d(6)), (d(1), d(2))], d(4)),  # back to the gap, no further
        ([(d(6), None), (d(4), d(5)), (d(1), d(9))], d(6)),  # a gap stops the walk
        ([(d(6), None), (d(1), d(3)), (d(1), d(7))], d(1)),  # one of a day's lines reaches it
        ([(d(6), None), (d(1), d(7)), (d(1), d(3))], d(1)),  # in whatever order they come
        ([(d(6), None), (d(1), d(3)), (d(1), d(5))], d(6)),  # none does
    ],
)
def test_run_start_walks_back_through_touching_and_overlapping_lines(lines, expected):
    assert run_start(lines) == expected


DAYS = [
    d(12, 31, 2025),
    d(1),
    d(2, 28),
    d(3),
    d(3, 15),
    d(4),
    d(5),
    d(5, 31),
    d(6),
    d(6, 30),
    d(7),
    d(7, 31),
    d(8),
    d(9),
    d(1, 1, 2030),
]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories hash a password for every owner; the default hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def book(db):
    """Accounts by name, one for each shape of revenue history."""
    owner = UserFactory()

    def account(name, *, churned_on=None, lines=()):
        acc = AccountFactory(name=name, churned_on=churned_on, owner=owner)
        for start, end, mrr, sub_id in lines:
            SubscriptionLineFactory(
                account=acc, start_date=start, end_date=end, mrr=money(mrr), subscription_id=sub_id
            )
        return acc

    return {
        acc.name: acc
        for acc in [
            account("open+addon", lines=[(d(1), None, 1000, "a1"), (d(3), d(6), "250.50", "a2")]),
            account("renewed", lines=[(d(1), d(7), 500, "b1"), (d(7), None, 600, "b1")]),
            account("churned", lines=[(d(1), d(4), 300, "c1")]),
            account("gap", lines=[(d(1), d(3), 100, "d1"), (d(5), d(8), 120, "d2")]),
            account("manual", churned_on=d(6), lines=[(d(1), None, 400, "e1")]),
            account("manual-no-lines", churned_on=d(2)),
            account("no-lines"),
            account("future", lines=[(d(9), None, 700, "g1")]),
            account("trial", lines=[(d(1), d(2), 0, "h1")]),
        ]
    }


def _lines(acc):
    return list(acc.subscription_lines.all())


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_mrr_by_account_agrees_with_mrr_on(book, day):
    ids = [acc.pk for acc in book.values()]
    expected = {
        acc.pk: mrr_on(_lines(acc), day, churned_on=acc.churned_on)
        for acc in book.values()
        if any(covers(line, day) for line in _lines(acc))
        and not (acc.churned_on and acc.churned_on <= day)
    }
    assert mrr_by_account(day, ids) == expected


def test_mrr_by_account_values(book):
    mrr = mrr_by_account(d(4, 15), [acc.pk for acc in book.values()])
    by_name = {acc.name: mrr.get(acc.pk) for acc in book.values()}
    assert by_name == {
        "open+addon": money("1250.50"),
        "renewed": money(500),
        "churned": None,
        "gap": None,
        "manual": money(400),
        "manual-no-lines": None,
        "no-lines": None,
        "future": None,
        "trial": None,
    }


def test_mrr_by_account_only_reports_the_requested_accounts(book):
    renewed = book["renewed"]
    assert mrr_by_account(d(7), [renewed.pk]) == {renewed.pk: money(600)}
    assert mrr_by_account(d(7), []) == {}


def test_mrr_by_account_without_ids_covers_every_account(book):
    assert set(mrr_by_account(d(3, 15))) == {
        book[name].pk for name in ("open+addon", "renewed", "churned", "manual")
    }


def test_churn_dates_agree_with_churn_date(book):
    ids = [acc.pk for acc in book.values()]
    expected = {}
    for acc in book.values():
        when = churn_date(_lines(acc), churned_on=acc.churned_on)
        if when is not None:
            expected[acc.pk] = when
    assert churn_dates(ids) == expected
    assert {acc.name: expected.get(acc.pk) for acc in book.values()} == {
        "open+addon": None,
        "renewed": None,
        "churned": d(4),
        "gap": d(8),
        "manual": d(6),
        "manual-no-lines": d(2),
        "no-lines": None,
        "future": None,
        "trial": d(2),
    }


def test_churn_dates_only_reports_the_requested_accounts(book):
    assert churn_dates([book["churned"].pk, book["renewed"].pk]) == {book["churned"].pk: d(4)}
    assert churn_dates([]) == {}
    assert set(churn_dates()) == {
        book[name].pk for name in ("churned", "gap", "manual", "manual-no-lines", "trial")
    }


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_active_on_agrees_with_is_active_on(book, day):
    expected = {
        acc.name
        for acc in book.values()
        if is_active_on(_lines(acc), day, churned_on=acc.churned_on)
    }
    assert set(Account.objects.active_on(day).values_list("name", flat=True)) == expected


def test_manually_churned_account_is_not_active_on_or_after_its_churn_date(book):
    manual = book["manual"]
    active = Account.objects.active_on
    assert active(d(5, 31)).filter(pk=manual.pk).exists()
    assert not active(d(6)).filter(pk=manual.pk).exists()
    assert not active(d(1, 1, 2030)).filter(pk=manual.pk).exists()


def test_active_on_lists_an_account_once_when_several_lines_cover_the_day(book):
    names = list(Account.objects.active_on(d(4)).values_list("name", flat=True))
    assert names.count("open+addon") == 1
    assert sorted(names) == ["manual", "open+addon", "renewed"]


def test_active_on_chains_with_visible_to(book, csm):
    mine = AccountFactory(name="mine", owner=csm)
    SubscriptionLineFactory(account=mine, start_date=d(1), end_date=None)
    visible_active = Account.objects.visible_to(csm).active_on(d(4))
    assert list(visible_active.values_list("name", flat=True)) == ["mine"]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_customer_since_agrees_with_run_start(book, day):
    since = customer_since(day)
    for acc in book.values():
        begun = sorted(
            ((line.start_date, line.end_date) for line in _lines(acc) if line.start_date <= day),
            reverse=True,
            key=lambda line: line[0],
        )
        assert since.get(acc.pk) == (run_start(begun) if begun else None), acc.name
    assert since.get(book["gap"].pk) == (d(5) if day >= d(5) else d(1) if day >= d(1) else None)
