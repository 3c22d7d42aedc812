"""{% blank_fields form "partial.html" %}: a form's fields, as the partial renders them, kept
once rendered while the form is blank.

The account page shows seven blank forms on every visit (check-in, sentiment, override,
reassign, contact, goal, referral); Django renders each widget through templates, about a
fifth of the page's time. A blank form's markup follows from its class, ids, initial values,
choices and the reader's language and day, which make the key, so a kept copy never goes stale:
whatever changes (a new tag, a CSM, a translation after a deploy) makes another key. The
partial gets `form` and nothing else, so it can depend on nothing else; a bound form (sent
back with its errors) is always rendered afresh.
"""

from django import forms, template
from django.template.loader import get_template
from django.utils import timezone, translation

register = template.Library()

KEPT_MAX = 512  # markups kept per process; emptied when full (a day's forms are a handful)
_kept: dict[tuple, str] = {}


def _choices(form: forms.BaseForm) -> tuple:
    """Each choice field's choices, read once and left on the field as a list, so that
    rendering reads no table again."""
    read = []
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField) and isinstance(
            field.choices, forms.models.ModelChoiceIterator
        ):
            # Its own iterator reads the rows through a server-side cursor (DECLARE, FETCH,
            # CLOSE: three round trips), and list(field.choices) would COUNT them first.
            field.choices = choices = _model_choices(field)
        elif isinstance(field, forms.ChoiceField):
            field.choices = choices = list(field.choices)
        else:
            continue
        read.append((name, tuple((str(value), str(label)) for value, label in choices)))
    return tuple(read)


def _model_choices(field: forms.ModelChoiceField) -> list:
    """The choices a model choice field lists, from one plain read of its queryset."""
    iterator = field.iterator(field)
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    return empty + [iterator.choice(obj) for obj in field.queryset]


def _key(form: forms.BaseForm, partial: str) -> tuple:
    # What a form's __init__ may set per instance is in the key too: the fields' initial
    # values, labels, help texts, required flags and widget attributes.
    fields = repr(
        [
            (name, form[name].initial, str(f.label), str(f.help_text), f.required, f.widget.attrs)
            for name, f in form.fields.items()
        ]
    )
    return (
        partial,
        type(form),
        form.auto_id,
        form.prefix,
        form.use_required_attribute,
        fields,
        _choices(form),
        translation.get_language(),
        timezone.localdate(),  # a callable initial may read the day
    )


@register.simple_tag
def blank_fields(form: forms.BaseForm, partial: str) -> str:
    if form.is_bound:
        return get_template(partial).render({"form": form})
    key = _key(form, partial)
    markup = _kept.get(key)
    if markup is None:
        if len(_kept) >= KEPT_MAX:
            _kept.clear()
        markup = _kept[key] = get_template(partial).render({"form": form})
    return markup
