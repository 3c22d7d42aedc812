"""Numbers, money and dates in the reader's format, the currency per install."""

from datetime import date

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format

from accounts import formats
from workspace.forms import OverrideForm

DAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _euro(settings):
    settings.CURRENCY_CODE, settings.CURRENCY_SYMBOL = "EUR", "€"


@pytest.mark.parametrize(
    ("language", "amount", "day", "month"),
    [
        ("en", "€1,234,568", "2 Dec 2026", "Dec 2026"),
        ("ru", "1\xa0234\xa0568\xa0€", "02.12.2026", "Декабрь 2026 г."),
        ("fr", "1\xa0234\xa0568\xa0€", "02/12/2026", "décembre 2026"),
        ("lv", "1\xa0234\xa0568\xa0€", "2.12.2026", "2026. g. decembris"),
        ("bg", "1\xa0234\xa0568\xa0€", "02.12.2026", "декември 2026"),
    ],
)
def test_each_language_has_one_format_for_amounts_days_and_months(language, amount, day, month):
    with translation.override(language):
        assert formats.money(1234567.8) == amount
        assert formats.day(DAY) == day
        assert formats.month(DAY) == month


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "2 December 2026"),
        ("ru", "2 декабря 2026 г."),
        ("fr", "2 décembre 2026"),
        ("lv", "2026. gada 2. decembris"),
        ("bg", "2 декември 2026 г."),  # Django's catalogue writes "Декември"
    ],
)
def test_a_date_in_words_writes_the_month_as_the_language_does(language, written):
    with translation.override(language):
        assert date_format(DAY, "DATE_FORMAT") == written


def test_money_in_templates_uses_the_installs_currency_and_the_readers_separators():
    template = Template("{% load health %}{{ mrr|money }} / {{ arr|money:2 }} / {{ none|money }}")
    with translation.override("fr"):
        text = template.render(Context({"mrr": 1200, "arr": -14400.5, "none": None}))

    assert text == "1\xa0200\xa0€ / −14\xa0400,50\xa0€ / –"


def test_the_currency_symbol_defaults_to_the_code_outside_dollars(monkeypatch):
    import importlib

    from healthscore import settings as module

    monkeypatch.setenv("CURRENCY_CODE", "sek")
    monkeypatch.delenv("CURRENCY_SYMBOL", raising=False)
    reloaded = importlib.reload(module)
    try:
        assert (reloaded.CURRENCY_CODE, reloaded.CURRENCY_SYMBOL) == ("SEK", "SEK")
    finally:
        monkeypatch.undo()
        importlib.reload(module)


def test_a_currency_code_that_is_no_iso_code_stops_start_up(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    from healthscore import settings as module

    monkeypatch.setenv("CURRENCY_CODE", "euro")
    with pytest.raises(ImproperlyConfigured, match="CURRENCY_CODE"):
        importlib.reload(module)
    monkeypatch.undo()
    importlib.reload(module)


@pytest.mark.parametrize(
    ("language", "ticks", "hover"),
    [("en", "%-d %b", "%-d %b %Y"), ("ru", "%d.%m", "%d.%m.%Y"), ("fr", "%d/%m", "%d/%m/%Y")],
)
def test_chart_axes_show_days_as_the_language_writes_them(language, ticks, hover):
    with translation.override(language):
        assert formats.chart_day_format(year=False) == ticks
        assert formats.chart_day_format() == hover
        assert formats.chart_separators()[0] == ("." if language == "en" else ",")


@pytest.mark.parametrize("language", ["en", "ru", "fr", "lv", "bg"])
def test_date_inputs_hold_iso_dates_in_every_language(language):
    """The browser's date input shows the reader's format but takes only ISO values."""
    with translation.override(language):
        html = str(OverrideForm(initial={"expires_on": DAY})["expires_on"])
        assert 'type="date"' in html and 'value="2026-12-02"' in html
        assert OverrideForm.base_fields["expires_on"].to_python("2026-12-02") == DAY
