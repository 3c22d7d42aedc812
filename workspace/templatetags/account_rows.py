"""The account page's lists, written in one pass each, as the book's `{% book_rows %}` is.

A list in template markup resolves each row's variables, filters and translations node by
node (the page's facts, components and goals were about a third of its rendering). Here each
row is one string filled with the same filters and translations the templates used, so the
HTML is the same, byte for byte: `{{ value }}` is `_text(value)`, `{% translate %}` is
`gettext` (the same msgids, unescaped as the tag leaves them) and `{% blocktranslate %}` is
`gettext` or `ngettext` of its msgid filled with escaped values. Days are formatted once per
language and day.
"""

from functools import lru_cache

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import date, floatformat, linebreaksbr
from django.template.defaultfilters import truncatechars as truncated
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, ngettext

from workspace.templatetags.health import badge, person, score

register = template.Library()


def _text(value) -> str:
    """{{ value }}: localised, then escaped unless marked safe."""
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


def _day(value, fmt: str = "SHORT_DATE_FORMAT") -> str:
    """{{ value|date:fmt }}; a datetime in the current time zone, as the filter reads it."""
    if hasattr(value, "hour"):
        return conditional_escape(date(template_localtime(value), fmt))
    return _day_in(get_language(), value, fmt)


@lru_cache(maxsize=4096)
def _day_in(language: str, value, fmt: str) -> str:  # `language` keys the format
    return conditional_escape(date(value, fmt))


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    _day_in.cache_clear()  # the formats, in tests


def _amount(value) -> str:
    """{{ value|floatformat:0|intcomma }}"""
    return _text(intcomma(floatformat(value, 0)))


def _earlier(a, b) -> bool:
    """{% if a < b %}: false where the two do not compare."""
    try:
        return a < b
    except TypeError:
        return False


def _done(out: list[str]) -> SafeString:
    # Every value is escaped by _text or _day, or markup the helpers made (which escape theirs).
    return SafeString("".join(out))  # nosec B703 - reviewed: the values are escaped


def _or_none(out: list[str], empty: str) -> SafeString:
    return _done(out or [empty])


# ---------------------------------------------------------------- facts


@register.simple_tag
def usage_rows(usage) -> SafeString:
    out = [
        f"<tr><td>{_text(u['metric'])}</td>"
        f'<td class="num">{_text(intcomma(floatformat(u["per_day"], "-1")))}</td>'
        f'<td class="num">{_text(u["days_used"])}</td></tr>'
        for u in usage
    ]
    return _or_none(out, _empty_row(gettext("No usage."), 3))


@register.simple_tag
def subscription_rows(lines) -> SafeString:
    trial = ' <span class="tag">' + gettext("trial") + "</span>"
    still = gettext("open")  # not inside the f-string below: xgettext does not read those
    out = [
        f"<tr><td>{_text(line.product)}{trial if line.is_trial else ''}"
        f'<br><span class="muted small">{_text(line.subscription_id)}</span></td>'
        f'<td class="num">{_amount(line.mrr)}</td><td>{_day(line.start_date)}</td>'
        f"<td>{_day(line.end_date) if line.end_date else still}</td></tr>"
        for line in lines
    ]
    return _or_none(out, _none(4))


def _none(columns: int) -> str:
    return _empty_row(gettext("None."), columns)


# An empty list's line. The messages are passed in, not called inside an f-string, where
# makemessages would not find them.
def _empty_item(message: str) -> str:
    return f'<li class="muted">{message}</li>'


def _empty_row(message: str, columns: int) -> str:
    return f'<tr><td colspan="{columns}" class="muted">{message}</td></tr>'


@register.simple_tag
def checkin_items(check_ins) -> SafeString:
    out = [
        f"<li><b>{_day(c.date, 'DATE_FORMAT')}</b> · {_text(c.get_channel_display())} · "
        f"{_text(person(c.author))}<br>{linebreaksbr(c.note, autoescape=True)}</li>"
        for c in check_ins
    ]
    return _or_none(out, _empty_item(gettext("No check-ins logged.")))


@register.simple_tag
def sentiment_items(entries) -> SafeString:
    out = []
    for e in entries:
        author = f" · {_text(person(e.author))}" if e.author else ""
        note = f": {_text(e.note)}" if e.note else ""
        out.append(
            f"<li>{badge(e.sentiment)} {_day(e.recorded_on, 'DATE_FORMAT')}{author}{note}</li>"
        )
    return _or_none(out, _empty_item(gettext("None recorded.")))


@register.simple_tag
def invoice_rows(invoices, today) -> SafeString:
    out = []
    for i in invoices:
        if i.paid_on:
            paid = _day(i.paid_on)
        elif _earlier(i.due_on, today):
            paid = '<span class="error">' + gettext("overdue") + "</span>"
        else:
            paid = gettext("not yet")
        out.append(
            f'<tr><td>{_text(i.invoice_number)}</td><td class="num">{_amount(i.amount)}</td>'
            f"<td>{_day(i.due_on)}</td><td>{paid}</td></tr>"
        )
    return _or_none(out, _none(4))


@register.simple_tag
def ticket_rows(tickets) -> SafeString:
    out = []
    for t in tickets:
        resolved = _day(t.resolved_at) if t.resolved_at else gettext("open")
        csat = " · " + gettext("CSAT %(csat)s") % {"csat": _text(t.csat)} if t.csat else ""
        out.append(
            f'<tr><td>{_text(t.ticket_id)}<br><span class="muted small">{_text(t.subject)}</span>'
            f"</td><td>{_text(t.get_priority_display())}</td><td>{_day(t.opened_at)}</td>"
            f"<td>{resolved}{csat}</td></tr>"
        )
    return _or_none(out, _none(4))


@register.simple_tag
def answer_items(answers) -> SafeString:
    out = [
        f"<li><b>{_text(r.get_survey_type_display())} {_text(r.score)}</b> · "
        f"{_text(r.respondent)} · {_day(r.responded_on, 'DATE_FORMAT')}"
        f"{f'<br>“{_text(r.comment)}”' if r.comment else ''}</li>"
        for r in answers
    ]
    return _or_none(out, _empty_item(gettext("No answers.")))


# ---------------------------------------------------------------- history

MUTED = ' class="muted"'


def _percent(share) -> str:
    """{% widthratio share 1 100 %}"""
    try:
        return str(round(float(share) * 100))
    except (ValueError, TypeError, OverflowError):
        return ""


@register.simple_tag
def component_rows(components) -> SafeString:
    out = []
    critical = ' <span class="tag">' + gettext("critical") + "</span>"
    for c in components:
        metrics = c.get("metrics") or []
        unit = _text(c.get("unit", ""))
        if c.get("raw") is not None:
            raw = f"{_text(floatformat(c['raw'], '-1'))} {unit}"
        elif metrics:
            n = len(metrics)
            raw = ngettext("%(n)s metric", "%(n)s metrics", n) % {"n": _text(n)}
        elif c.get("state") == "new":
            raw = gettext("too new to judge")
        else:
            raw = gettext("no data")
        out.append(
            f"\n      <tr{MUTED if c.get('score') is None else ''}>"
            f"<td>{_text(c.get('label', ''))}{critical if c.get('critical') else ''}</td>\n"
            f'        <td class="num">{raw}</td>\n'
            f'        <td class="num">{_text(score(c.get("score", "")))}</td>\n'
            f'        <td class="num">{_text(floatformat(c.get("weight", ""), "-1"))}</td>\n'
            f'        <td class="num">{_percent(c.get("share", ""))}%</td>\n'
            f'        <td class="num">{_text(score(c.get("contribution", "")))}</td></tr>\n      '
        )
        if metrics:
            n = len(metrics)
            averaged = ngettext("one of %(n)s, averaged", "one of %(n)s, averaged", n) % {
                "n": _text(n)
            }
            out.extend(
                f'<tr class="metric"><td class="indent">{_text(m[0])}</td>'
                f'<td class="num">{_text(floatformat(m[1], "-1"))} {unit}</td>'
                f'<td class="num">{_text(score(m[2]))}</td>'
                f'<td colspan="3" class="muted small">{averaged}</td></tr>'
                for m in metrics
            )
        out.append("\n    ")
    return _done(out)


# ---------------------------------------------------------------- goals and advocacy


@register.simple_tag(takes_context=True)
def goal_rows(context, g, account) -> SafeString:
    """The goals, each with its edit form (`_goal_fields.html`, which reads `form` alone)."""
    fields = get_template("workspace/account/_goal_fields.html")
    csrf = CsrfTokenNode().render(context)
    missed, save = gettext("Missed (past due)"), gettext("Save goal")
    out = []
    for goal, form in g.goals:
        missing = goal.is_open and _earlier(goal.due_on, g.today)
        status = missed if missing else _text(goal.get_status_display())
        reached = "–" if goal.reached is None else _text(floatformat(goal.reached, "-2"))
        update = gettext("Update “%(kpi)s”") % {"kpi": _text(goal.kpi)}
        action = conditional_escape(reverse("goal_update", args=[account.pk, goal.pk]))
        out.append(
            f'\n      <tr data-goal="{_text(goal.pk)}"><td>{_text(goal.kpi)}</td>\n'
            f'        <td class="num">{_text(floatformat(goal.target, "-2"))}</td>\n'
            f'        <td class="num">{reached}</td>\n'
            f"        <td>{_day(goal.due_on)}</td>\n"
            f'        <td><span class="tag goal-{_text(goal.status)}">{status}</span></td></tr>\n'
            f'      <tr class="goal-edit"><td colspan="5"><details><summary>{update}</summary>\n'
            f'        <form method="post" action="{action}" class="stack">{csrf}\n'
            f"          {fields.render({'form': form})}\n"
            f'          <button class="button" type="submit">{save}</button>\n'
            "        </form></details></td></tr>\n    "
        )
    empty = _empty_row(gettext("No goals agreed yet."), 5)
    return _or_none(out, empty)


@register.simple_tag
def referral_items(referrals) -> SafeString:
    out = [
        f"<li><b>{_text(r.referred_company)}</b> · {_day(r.referred_on)} · "
        f'<span class="tag">{_text(r.get_outcome_display())}</span></li>'
        for r in referrals
    ]
    return _or_none(out, _empty_item(gettext("No referrals recorded.")))


@register.simple_tag
def feedback_list(g) -> SafeString:
    out = []
    for item in g.feedback:
        points = "" if item.score is None else f" {_text(item.score)}"
        tags = "".join(f' <span class="tag">{_text(name)}</span>' for name in item.tags)
        text = f"<br>{_text(truncated(item.text, 200))}" if item.text else ""
        out.append(f"<li><b>{_text(item.source)}</b>{points} · {_day(item.day)}{tags}{text}</li>")
    if g.tag:
        nothing = gettext("Nothing of this account is tagged “%(tag)s”.") % {
            "tag": _text(g.tag.name)
        }
    else:
        nothing = gettext("Nothing of this account is tagged yet.")
    return _or_none(out, _empty_item(nothing))


# ---------------------------------------------------------------- contacts


@register.simple_tag
def contact_rows(contacts, account) -> SafeString:
    primary = ' <span class="tag">' + gettext("primary") + "</span>"
    inactive = ' <span class="tag">' + gettext("inactive") + "</span>"
    edit, none_yet = gettext("Edit"), '<span class="muted">' + gettext("none yet") + "</span>"
    out = []
    for c in contacts:
        name = _text(c.name)
        if c.answer_on:
            kind = "CSAT" if c.answer_type == "csat" else "NPS"
            answer = f"{kind} {_text(c.answer_score)} · {_day(c.answer_on)}"
        else:
            answer = none_yet
        url = conditional_escape(reverse("contact_edit", args=[account.pk, c.pk]))
        out.append(
            f'\n      <tr data-contact="{_text(c.pk)}"{"" if c.active else MUTED}>\n'
            f"        <td>{name}{primary if c.is_primary else ''}"
            f"{'' if c.active else inactive}</td>\n"
            f"        <td>{_text(c.role) if c.role else '–'}</td>\n"
            f'        <td><a href="mailto:{_text(c.email)}">{_text(c.email)}</a></td>\n'
            f"        <td>{answer}</td>\n"
            f'        <td><a href="{url}">{edit}'
            f'<span class="visually-hidden"> {name}</span></a></td>\n'
            "      </tr>"
        )
    nobody = gettext("No contacts yet: add the people you talk to, so that surveys reach them.")
    return _or_none(out, f'\n      <tr><td colspan="5" class="muted">{nobody}</td></tr>\n    ')
