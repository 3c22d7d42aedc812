"""Template helpers for health colours and trends: never colour alone, always a word and a shape."""

import math

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

BADGES = {
    "green": ("●", "Healthy"),
    "yellow": ("◆", "Watch"),
    "red": ("▲", "At risk"),
    "grey": ("○", "No data"),
}


@register.simple_tag
def badge(colour: str | None, overridden: bool = False):
    shape, word = BADGES.get(colour or "grey", BADGES["grey"])
    suffix = mark_safe(' <span class="override-flag" title="Colour set by hand">overridden</span>')  # noqa: S308  # nosec B308
    return format_html(
        '<span class="badge badge-{}"><span aria-hidden="true">{}</span> {}{}</span>',
        colour or "grey",
        shape,
        word,
        suffix if overridden else "",
    )


@register.simple_tag
def trend(delta: float | None):
    if delta is None:
        return mark_safe('<span class="trend muted" title="No score to compare">–</span>')  # noqa: S308  # nosec B308
    # Whole points, halves away from zero (format() rounds 0.5 to "+0", an arrow over nothing).
    points = math.floor(abs(delta) + 0.5)
    if points == 0:
        return mark_safe('<span class="trend flat" title="Unchanged">→ 0</span>')  # noqa: S308  # nosec B308
    arrow, css, word, sign = ("↑", "up", "up", "+") if delta > 0 else ("↓", "down", "down", "-")
    return format_html(
        '<span class="trend {}" title="{} {} points">{} {}{}</span>',
        css,
        word,
        points,
        arrow,
        sign,
        points,
    )


@register.simple_tag
def query(params: dict, **changes):
    """A query string from `params` with `changes` applied (empty values dropped)."""
    from urllib.parse import urlencode

    merged = {**params, **{k: v for k, v in changes.items()}}
    return urlencode({k: v for k, v in merged.items() if v not in ("", None)})


@register.simple_tag
def sort_query(params: dict, filters, key: str):
    """Query string that sorts by `key`, reversing the order when it is already the sort."""
    descending = filters.sort == key and not filters.descending
    return query(params, sort=("-" if descending else "") + key)


@register.filter
def person(user) -> str:
    """A person as the pages name them: the full name, else the username."""
    if not user:
        return ""
    return user.get_full_name() or user.username
