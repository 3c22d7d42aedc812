"""Mappings by name: the presets (`signals.presets`) and the ones users saved (`ColumnMapping`)."""

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
            raise UnknownMapping(f"no mapping named '{name}'; there are: {', '.join(known)}")
        mapping = Mapping.from_dict(saved.spec)
    if mapping.kind != kind:
        raise UnknownMapping(f"the mapping '{name}' is for {mapping.kind}, not {kind}")
    return mapping


def mappings_for(kind: str) -> list[tuple[str, str]]:
    """(name, label) of the presets and saved mappings of `kind`, presets first."""
    presets = [(name, str(PRESET_LABELS[name])) for name, m in PRESETS.items() if m.kind == kind]
    saved = ColumnMapping.objects.filter(kind=kind).values_list("name", flat=True)
    return presets + [(name, name) for name in saved]


def mapping_save(*, name: str, mapping: Mapping, user=None) -> ColumnMapping:
    """Save (or replace) the mapping `name`. A preset's name is refused: presets are fixed."""
    if name in PRESETS:
        raise ValueError(f"'{name}' is a preset's name; choose another")
    saved, _created = ColumnMapping.objects.update_or_create(
        name=name,
        defaults={"kind": mapping.kind, "spec": mapping.as_dict(), "created_by": user},
    )
    return saved
