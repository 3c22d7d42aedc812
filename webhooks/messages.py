"""The readable sentence of an event, for endpoints that take Slack's {"text": …} body."""

from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _

from webhooks.models import EventKind


def _colour(value: str) -> str:
    names = {
        "green": _("green"),
        "yellow": _("yellow"),
        "red": _("red"),
        "grey": _("grey (insufficient data)"),
    }
    return names.get(value, value)


def _day(value: str | None) -> str:
    return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT") if value else ""


def _who(account: dict | None) -> str:
    if not account:
        return _("an account")
    return f"{account['name']} ({account['external_id']})"


def event_sentence(payload: dict) -> str:
    """One sentence saying what happened, in the active language."""
    kind, details, who = payload["type"], payload["details"], _who(payload.get("account"))
    if kind == EventKind.COLOUR_CHANGED:
        text = _("%(account)s turned %(colour)s (was %(previous)s).") % {
            "account": who,
            "colour": _colour(details["colour"]),
            "previous": _colour(details["previous_colour"]),
        }
        if details.get("score") is not None:
            text += " " + _("Score %(score)s on %(day)s.") % {
                "score": formats.number_format(details["score"], 0),
                "day": _day(details.get("scored_on")),
            }
        return text
    if kind == EventKind.TASK_OPENED:
        text = _("Task opened for %(account)s: %(reason)s, due %(due)s.") % {
            "account": who,
            "reason": details["reason_label"],
            "due": _day(details["due_on"]),
        }
        return f"{text} {details['detail']}" if details.get("detail") else text
    if kind == EventKind.ACCOUNT_CHURNED:
        text = _("%(account)s churned on %(day)s.") % {
            "account": who,
            "day": _day(details["churned_on"]),
        }
        if details.get("churn_reason"):
            text += " " + _("Reason: %(reason)s.") % {"reason": details["churn_reason"]}
        return text
    return _("Test message from Healthscore: the endpoint “%(endpoint)s” receives events.") % {
        "endpoint": details.get("endpoint", "")
    }
