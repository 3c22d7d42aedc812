"""The rows of the book's table, written in one pass: `{% book_rows rows not_yet %}`.

Fifty rows of ten cells as template markup were about 1,500 nodes, each resolving its
variables, filters and translations (12 ms of a 27 ms page at 10,000 accounts). Here each row
is one format string filled with escaped values. The HTML is the same as the template's was,
byte for byte, and comes from the same helpers (`badge`, `trend`, `row_score`, `money`); what
they make of a figure depends only on the figure and the language, so it is kept per process
(a few thousand short strings) rather than formatted again on every page.
"""

from functools import lru_cache
from types import SimpleNamespace

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from workspace.numbers import shown_points
from workspace.templatetags.health import badge, money, row_score, trend

register = template.Library()

ROW = (
    '\n  <tr data-colour="{colour}">\n'
    '    <td><a href="{url}">{name}</a><br><span class="muted small">{external_id} · {segment}'
    "</span></td>\n"
    "    <td>{badge}{not_yet}</td>\n"
    '    <td class="num">{score}</td>\n'
    '    <td class="num">{trend7}</td>\n'
    '    <td class="num">{trend30}</td>\n'
    '    <td class="num">{coverage}</td>\n'
    '    <td class="num">{mrr}</td>\n'
    "    <td>{renewal}</td>\n"
    "    <td>{owner}</td>\n"
    '    <td class="num">{tasks}</td>\n'
    "  </tr>\n  "
)
PK = "987654321"  # stands for the account's id in the account page's URL, reversed once


@register.simple_tag
def book_rows(rows, not_yet: bool = False) -> SafeString:
    """The <tr> of each current-health row of `rows` (with `green_min`, `yellow_min` from
    `workspace.book.with_bands`); `not_yet`: the "Not yet active" list, which says when each
    account's first line starts."""
    url = reverse("account_detail", args=[int(PK)])
    language = get_language()
    segments = {}
    out = []
    for a in rows:
        link = url.replace(PK, str(a.pk))
        owner = a.owner
        if a.segment not in segments:
            segments[a.segment] = escape(a.get_segment_display())
        out.append(
            ROW.format(
                colour=escape(a.colour),
                url=link,
                name=escape(a.name),
                external_id=escape(a.external_id),
                segment=segments[a.segment],
                badge=_badge(language, a.colour, bool(a.override_colour)),
                not_yet=_not_yet(a) if not_yet else "",
                score=_score(language, a.score, a.green_min, a.yellow_min),
                trend7=_trend(language, _points(a.trend7)),
                trend30=_trend(language, _points(a.trend30)),
                coverage="–" if a.coverage is None else f"{round(a.coverage * 100)}%",
                mrr="–" if a.mrr is None else _money(language, a.mrr),
                renewal=_day(language, a.renewal_on) if a.renewal_on else "–",
                owner=escape(owner.get_full_name() or owner.username) if owner else "–",
                tasks=f'<a href="{link}#tasks">{localize(a.open_tasks)}</a>'
                if a.open_tasks
                else "0",
            )
        )
    # Every value above is escaped, or markup made by the helpers (which escape theirs).
    return SafeString("".join(out))  # nosec B703 - reviewed: the values are escaped


# Each cell's text by language, as the helpers make it: `language` is in every key so that a
# page in French never gets a figure formatted in English.


@lru_cache(maxsize=64)
def _badge(language: str, colour: str, overridden: bool) -> str:
    return badge(colour, overridden)


def _points(delta: float | None) -> float | None:
    return None if delta is None else shown_points(delta)  # all `trend` reads of a delta


@lru_cache(maxsize=8192)
def _trend(language: str, points: float | None) -> str:
    return trend(points)


@lru_cache(maxsize=8192)
def _score(language: str, score, green_min, yellow_min) -> str:
    return escape(
        row_score(SimpleNamespace(score=score, green_min=green_min, yellow_min=yellow_min))
    )


@lru_cache(maxsize=8192)
def _money(language: str, mrr) -> str:
    return escape(money(mrr))


@lru_cache(maxsize=2048)
def _day(language: str, day) -> str:
    return escape(date_format(day, "SHORT_DATE_FORMAT"))


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    """Forget the texts when a setting changes under them (the currency, in tests)."""
    for cached in (_badge, _trend, _score, _money, _day):
        cached.cache_clear()


def _not_yet(row) -> str:
    # The template's translated strings, which are not escaped: they are the page's own text.
    if row.active_from:
        day = escape(date_format(row.active_from, "SHORT_DATE_FORMAT"))
        said = gettext("first line starts %(day)s") % {"day": day}
    else:
        said = gettext("no subscription line yet")
    return f'<br><span class="not-yet">{said}</span>'
