"""Numbers, money and dates in the reader's format: Django's locale formats for the active
language (healthscore/formats/ adjusts a few), the install's currency. Every page, table,
chart and e-mail formats through these or the template filters built on them, never through
hand-built English patterns such as "%-d %b".

In the bottom app because every app shows dates and amounts.
"""

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import formats, translation

# Where the currency symbol goes (CLDR): before the number in English ("$1,234"), after it,
# past a no-break space, in Russian, French, Latvian and Bulgarian ("1 234 €").
SYMBOL_FIRST = frozenset({"en"})
DASH = "–"  # what a missing number reads as


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def number(value, decimals: int = 0) -> str:
    """A number with the language's decimal and thousands separators; "–" for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    # Rounded half away from zero first: number_format cuts the digits past decimal_pos off.
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def figure(value) -> str:
    """A number as short as it reads: whole numbers without decimals ("40"), others with one
    ("43,5" in French)."""
    if value is None:
        return DASH
    return number(value, 0 if float(value).is_integer() else 1)


def money(value, decimals: int = 0) -> str:
    """An amount in the install's currency (CURRENCY_SYMBOL), e.g. "$1,234" or "1 234 €"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    sign = "−" if value < 0 else ""
    return sign + with_currency(number(abs(value), decimals))


def with_currency(digits: str) -> str:
    """A written number (or a chart's placeholder for one) with the currency symbol."""
    symbol = settings.CURRENCY_SYMBOL
    return f"{symbol}{digits}" if _language() in SYMBOL_FIRST else f"{digits}\u00a0{symbol}"


def chart_money_axis() -> dict:
    """A Plotly axis's settings that put the currency symbol on its ticks."""
    symbol = settings.CURRENCY_SYMBOL
    return {"tickprefix": symbol} if _language() in SYMBOL_FIRST else {"ticksuffix": f" {symbol}"}


def day(value: date | datetime | None) -> str:
    """A date as tables, lists and charts show it (the language's SHORT_DATE_FORMAT)."""
    if value is None:
        return DASH
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def long_day(value: date | datetime | None) -> str:
    """A date in running text and e-mails (the language's DATE_FORMAT)."""
    if value is None:
        return DASH
    return formats.date_format(value, "DATE_FORMAT")


def month(value: date) -> str:
    """A month, e.g. "December 2026" (the language's YEAR_MONTH_FORMAT)."""
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def day_range(first: date, last: date) -> str:
    """Two days of one stretch, e.g. "1 Dec 2026 – 3 Dec 2026"; one day when they are the same."""
    return day(first) if first == last else f"{day(first)} – {day(last)}"


# Django's date format characters that Plotly's (d3's) tick formats can say in any language.
_D3 = {"d": "%d", "j": "%-d", "m": "%m", "n": "%-m", "Y": "%Y", "y": "%y", "b": "%b", "M": "%b"}


def chart_day_format(*, year: bool = True) -> str:
    """A Plotly tick or hover format for a date axis that matches SHORT_DATE_FORMAT (without
    the year for ticks over a few months). Plotly in the browser knows English month names
    only, so other languages get the numeric dates they also write."""
    pattern = formats.get_format("SHORT_DATE_FORMAT")
    if _language() not in SYMBOL_FIRST and any(c in pattern for c in "MbEFN"):
        pattern = "d.m.Y"
    if not year:
        pattern = pattern.replace("Y", "").replace("y", "").strip(" ./-,")
    out, escaped = [], False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(_D3.get(char, char))
    return "".join(out)


def chart_separators() -> str:
    """Plotly's `separators` layout setting: the decimal, then the thousands separator."""
    return formats.get_format("DECIMAL_SEPARATOR") + formats.get_format("THOUSAND_SEPARATOR")
