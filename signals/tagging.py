"""Tags on imported rows (tickets, survey answers): the names of a `tags` cell matched to the
managed list (`surveys.Tag`), and the rows' links to them written after the rows themselves.

An unknown name refuses its row, naming the tag: tags are a managed list, so a typo in a help
desk export must not grow it. A `tags` column left out of a file leaves the rows' tags alone; an
empty cell removes them. Links are rewritten only for rows whose tags differ, so importing the
same file twice changes nothing.
"""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils.translation import gettext_noop

from signals.messages import Message
from signals.reading import RowError
from surveys.models import Tag

TAGS = "tags"
UNKNOWN_TAG = gettext_noop("unknown tag '%(name)s'; an admin adds it under Tags")


def tag_ids_by_name() -> dict[str, int]:
    """{lower-cased name: id} of every tag: the managed list is short."""
    return {name.lower(): pk for pk, name in Tag.objects.values_list("pk", "name")}


class TagLinks:
    """The `tags` column of one import: resolved chunk by chunk, written after each chunk."""

    def __init__(self, model: type[models.Model], key: Sequence[str], fixed: dict[str, Any]):
        self.model, self.key, self.fixed = model, list(key), fixed
        self.known: dict[str, int] | None = None  # loaded with the first chunk
        self.errors: list[RowError] = []
        self.changed_existing = 0  # rows that existed before and whose tags changed

    def resolve(
        self, lines: list[int], columns: list[Sequence[Any]], index: int
    ) -> tuple[list[int], list[Sequence[Any]]]:
        """The chunk with its tag names replaced by tag ids, less the rows naming an unknown tag."""
        if self.known is None:
            self.known = tag_ids_by_name()
        known = self.known
        keep, ids = [], []
        for position, (line, names) in enumerate(zip(lines, columns[index], strict=True)):
            unknown = [name for name in names if name.lower() not in known]
            if unknown:
                self.errors.extend(
                    RowError(line, TAGS, Message(UNKNOWN_TAG, name=name)) for name in unknown
                )
                ids.append(frozenset())
                continue
            keep.append(position)
            ids.append(frozenset(known[name.lower()] for name in names))
        columns = list(columns)
        columns[index] = ids
        if len(keep) < len(lines):
            columns = [[column[p] for p in keep] for column in columns]
            lines = [lines[p] for p in keep]
        return lines, columns

    def existing(self, keys: list[tuple]) -> dict[tuple, int]:
        """{natural key: pk} of the rows with these keys (one query, led by the key's first
        field; the rest is matched here)."""
        if not keys:
            return {}
        first = {key[0] for key in keys}
        rows = self.model._default_manager.filter(
            **{f"{self.key[0]}__in": first}, **self.fixed
        ).values_list("pk", *self.key)
        wanted = set(keys)
        return {tuple(row[1:]): row[0] for row in rows if tuple(row[1:]) in wanted}

    def write(self, keys: list[tuple], tag_ids: Sequence[frozenset], before: dict[tuple, int]):
        """Link each row (by natural key, written already) to exactly its tags."""
        pks = self.existing(keys)
        through = self.model._meta.get_field(TAGS).remote_field.through
        owner = f"{self.model._meta.model_name}_id"
        current: dict[int, set[int]] = {}
        for pk, tag in through.objects.filter(**{f"{owner}__in": list(pks.values())}).values_list(
            owner, "tag_id"
        ):
            current.setdefault(pk, set()).add(tag)
        changed = {
            pks[key]: tags
            for key, tags in zip(keys, tag_ids, strict=True)
            if current.get(pks[key], set()) != tags
        }
        if not changed:
            return
        self.changed_existing += sum(1 for key in keys if key in before and pks[key] in changed)
        through.objects.filter(**{f"{owner}__in": list(changed)}).delete()
        through.objects.bulk_create(
            through(**{owner: pk, "tag_id": tag}) for pk, tags in changed.items() for tag in tags
        )
