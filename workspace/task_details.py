"""What a rule-opened task says about why it opened, in the reader's language.

The rules store the facts (days, scores, who answered), never a sentence: a task opened by
the nightly run in the install's language reads in each reader's own, with dates in their
format. A task made before facts existed, or by hand, keeps the text it was given."""

from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from scoring.explanations import num

# As the sentence says it: "Renews on 14 August 2026 and is yellow".
COLOURS = {
    "green": pgettext_lazy("in a sentence", "green"),
    "yellow": pgettext_lazy("in a sentence", "yellow"),
    "red": pgettext_lazy("in a sentence", "red"),
    "grey": pgettext_lazy("in a sentence", "grey (no data)"),
}


def _day(iso: str, fmt: str = "DATE_FORMAT") -> str:
    return date_format(date.fromisoformat(iso), fmt)


def task_detail(reason: str, facts: dict, fallback: str = "") -> str:
    if not facts:
        return fallback
    if reason == "turned_red":
        return _("Health turned red on %(day)s") % {"day": _day(facts["day"])}
    if reason == "score_drop":
        return _("Score fell from %(before)s to %(now)s in 30 days") % {
            "before": num(facts["before"]),
            "now": num(facts["now"]),
        }
    if reason == "detractor":
        return _("%(who)s answered NPS %(score)s") % {
            "who": facts["respondent"],
            "score": facts["score"],
        }
    if reason == "critical_ticket":
        return _("Critical ticket %(ticket)s open since %(day)s") % {
            "ticket": facts["ticket"],
            "day": _day(facts["since"]),
        }
    if reason == "renewal_risk":
        return _("Renews on %(day)s and is %(colour)s") % {
            "day": _day(facts["renews_on"]),
            "colour": COLOURS.get(facts["colour"], facts["colour"]),
        }
    return fallback
