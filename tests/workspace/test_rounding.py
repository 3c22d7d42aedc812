"""One rounding rule for every score shown — the headline, the tables, the book, the texts —
and a number that always sits in the band of the colour beside it."""

from datetime import timedelta

import pytest

from scoring.explanations import num
from scoring.maths import Bands
from tests.workspace.test_account_page import section
from tests.workspace.test_book import (
    TODAY,
    customer,
    listed_rows,
    snap,
    today,  # noqa: F401 - autouse fixture: today is 30 June 2026
)
from workspace.numbers import shown_score
from workspace.templatetags.health import score

BANDS = Bands(green_min=70, yellow_min=40)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (4.8, 4.8),
        (4.75, 4.8),
        (70.0, 70.0),
        (70.04, 70.0),
        (69.94, 69.9),
        (69.95, 69.9),  # rounds to 70, a green number on a yellow account: cut instead
        (69.99, 69.9),
        (39.96, 39.9),
        (40.0, 40.0),
        (0.0, 0.0),
        (100.0, 100.0),
    ],
)
def test_a_score_is_shown_to_one_decimal_in_its_own_band(value, shown):
    assert shown_score(value, BANDS) == shown
    assert BANDS.colour(shown_score(value, BANDS)) == BANDS.colour(value)


@pytest.mark.parametrize("value", [4.8, 4.75, 57.5, 62.25, 13.33, 70.0, 99.96])
def test_the_shown_score_reads_as_the_explanation_texts_write_it(value):
    """Away from band edges the page and "Score fell from 5 to 4.8" use one rule."""
    assert score(value) == num(value)


def test_scores_at_a_band_edge_in_the_book_read_in_their_colour(client, csm, default_scorecard):
    yellow = customer(csm, name="Edge Yellow")
    snap(yellow, 69.96)
    green = customer(csm, name="Edge Green")
    snap(green, 70.0)
    client.force_login(csm)
    rows = listed_rows(client.get("/accounts/"))
    assert 'data-colour="yellow"' in rows["Edge Yellow"]
    assert '<td class="num">69.9</td>' in rows["Edge Yellow"]
    assert 'data-colour="green"' in rows["Edge Green"]
    assert '<td class="num">70</td>' in rows["Edge Green"]


def test_rows_scored_on_different_days_each_read_in_their_own_band(client, csm, default_scorecard):
    """The bands are looked up by each row's own (account, day), not by the days of others."""
    today_edge = customer(csm, name="Scored today")
    snap(today_edge, 10.0, day=TODAY - timedelta(days=1))
    snap(today_edge, 69.96)
    yesterday_edge = customer(csm, name="Scored yesterday")
    snap(yesterday_edge, 69.96, day=TODAY - timedelta(days=1))
    client.force_login(csm)
    rows = listed_rows(client.get("/accounts/"))
    assert '<td class="num">69.9</td>' in rows["Scored today"]
    assert '<td class="num">69.9</td>' in rows["Scored yesterday"]


def test_the_account_page_headline_is_the_number_of_its_colour(client, csm, default_scorecard):
    account = customer(csm, name="Edge")
    snap(account, 69.96)
    client.force_login(csm)
    box = section(client.get(f"/accounts/{account.pk}/").content.decode(), "score-box")
    assert "Watch" in box
    assert "69.9<span>/100</span>" in box
