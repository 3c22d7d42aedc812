"""Messages put into words when they are read, not when they are made.

An import's errors are found by whoever runs it (a page, a Celery worker, the API, the command
line) and read later, perhaps by someone else: a background job's errors are stored and shown
on its page to whoever opens it. So an error keeps its English message (the msgid, marked with
`gettext_noop` where it is written) and its values, and is translated by `str()` in the
language active then. `as_data` / `from_data` store one in JSON.
"""

from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext


class Message:
    """A msgid with named `%(name)s` values: numbers (shown grouped in the reader's format),
    text, or Messages in turn."""

    __slots__ = ("text", "values")

    def __init__(self, text: str, /, **values: Any):
        self.text = text
        self.values = values

    def __str__(self) -> str:
        if not self.values:
            return gettext(self.text)
        return gettext(self.text) % {name: _shown(v) for name, v in self.values.items()}

    def __repr__(self) -> str:
        return f"Message({self.text!r}, **{self.values!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.text, self.values) == (other.text, other.values)
        return str(self) == other if isinstance(other, str) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)

    def __contains__(self, part: str) -> bool:  # `"is required" in reason`, as with a str
        return part in str(self)

    def replace(self, **values: Any) -> "Message":
        return Message(self.text, **{**self.values, **values})

    def as_data(self) -> dict:
        values = {k: v.as_data() if isinstance(v, Message) else v for k, v in self.values.items()}
        return {"text": self.text, "values": values}

    @classmethod
    def from_data(cls, data: Any) -> "Message | str":
        """A stored message back; plain text (stored before messages were) stays as it is."""
        if not isinstance(data, dict):
            return data
        values = {k: cls.from_data(v) for k, v in data.get("values", {}).items()}
        return cls(data["text"], **values)


def as_data(text: "Message | str") -> Any:
    return text.as_data() if isinstance(text, Message) else text


def _shown(value: Any) -> Any:
    if isinstance(value, Message):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return number_format(value, force_grouping=True)
    return value
