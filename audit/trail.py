"""The audit trail: who changed what, when, with the old and the new values."""

from typing import Any

from django.db.models import Model
from django.forms import BaseForm

from audit.models import AuditEntry


def audit_record(*, actor, action: str, obj: Model, changes: dict[str, list[Any]]) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=_plain(changes),
    )


def form_changes(form: BaseForm) -> dict[str, list[Any]]:
    """{field: [old, new]} of the fields a model form changed."""
    return {
        name: [form.initial.get(name), form.cleaned_data.get(name)]
        for name in form.changed_data
        if name in form.cleaned_data
    }


def _plain(value: Any) -> Any:
    """JSON-safe: model instances as their text, dates and decimals as strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
