"""A form renderer that writes Django's own input and select widgets in Python.

The account page shows an edit form for each of an account's goals, six widgets each, and
Django renders every widget through two or three templates (about 1 ms a form). This renderer
writes the same markup as those templates (`django/forms/widgets/input.html`, `attrs.html`,
`select.html`, `select_option.html`), byte for byte, from the same widget context; any other
template (or an option with a template of its own) is rendered by Django as before.
tests/workspace/test_form_markup.py holds the two equal.
"""

from django.forms.renderers import DjangoTemplates
from django.template.defaultfilters import stringformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

WIDGETS = "django/forms/widgets/"
INPUTS = {f"{WIDGETS}{kind}.html" for kind in ("text", "number", "date", "email", "input")}
SELECT, OPTION = f"{WIDGETS}select.html", f"{WIDGETS}select_option.html"


def _text(value) -> str:
    """{{ value }}: localised, then escaped unless marked safe."""
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


def _formatted(value) -> str:
    """{{ value|stringformat:'s' }}: a safe value stays unescaped, as the filter is is_safe."""
    text = stringformat(value, "s")
    if isinstance(value, SafeData):  # already safe: its text stays as it was marked
        return mark_safe(text)  # noqa: S308  # nosec B308 B703 - reviewed: marked safe before
    return conditional_escape(text)


def _attrs(attrs: dict) -> str:
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    name = f'type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
    return f"<input {name}{value}{_attrs(widget['attrs'])}>"


def _option(option: dict) -> str:
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>\n"
    )


def _select(widget: dict) -> str:
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        out.extend(f"\n  {_option(option)}" for option in options)
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class PythonWidgets(DjangoTemplates):
    """The project's renderer (Django's default), inputs and selects written in Python."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if template_name in INPUTS:
            return SafeString(_input(widget))  # nosec B703 - every value above is escaped
        if template_name == SELECT and all(
            option["template_name"] == OPTION
            for _name, options, _index in widget["optgroups"]
            for option in options
        ):
            return SafeString(_select(widget))  # nosec B703 - every value above is escaped
        return super().render(template_name, context, request)


python_widgets = PythonWidgets()
