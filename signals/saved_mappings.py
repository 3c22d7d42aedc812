"""Mappings by name: the presets (`signals.presets`) and the ones users saved (`ColumnMapping`)."""

from django.utils.translation import gettext as _

from signals.mapping import Mapping
from signals.models import ColumnMapping
from signals.presets import PRESET_LABELS, PRESETS


class UnknownMapping(LookupError):
    pass


def mapping_named(name: str, kind: str) -> Mapping:
    """The preset or saved mapping `name` for `kind`; UnknownMapping says why not."""
    mapping = PRESETS.get(name)
    if mapping is None:
        saved = ColumnMapping.objects.filter(name=name).first()
        if saved is None:
            known = sorted([*PRESETS, *ColumnMapping.objects.values_list("name", flat=True)])
            raise UnknownMapping(
                _("no mapping named '%(name)s'; there are: %(known)s")
                % {"name": name, "known": ", ".join(known)}
            )
        mapping = Mapping.from_dict(saved.spec)
    if mapping.kind != kind:
        raise UnknownMapping(
            _("the mapping '%(name)s' is for %(kind)s, not %(wanted)s")
            % {"name": name, "kind": mapping.kind, "wanted": kind}
        )
    return mapping


def mappings_for(kind: str) -> list[tuple[str, str]]:
    """(name, label) of the presets and saved mappings of `kind`, presets first."""
    presets = [(name, str(PRESET_LABELS[name])) for name, m in PRESETS.items() if m.kind == kind]
    saved = ColumnMapping.objects.filter(kind=kind).values_list("name", flat=True)
    return presets + [(name, name) for name in saved]


def mapping_save(*, name: str, mapping: Mapping, user=None) -> ColumnMapping:
    """Save (or replace) the mapping `name`. A preset's name is refused: presets are fixed."""
    if name in PRESETS:
        raise ValueError(_("'%(name)s' is a preset's name; choose another") % {"name": name})
    saved, _created = ColumnMapping.objects.update_or_create(
        name=name,
        defaults={"kind": mapping.kind, "spec": mapping.as_dict(), "created_by": user},
    )
    return saved
