"""What scoring announces to the apps above it: an account's colour in the book changed.

The apps above (webhooks) cannot be called from here without breaking the layers, so they
connect to `colour_changed`, a plain `django.dispatch.Signal` — not a model signal: it is sent
once per refresh, with every change of that refresh in one list, inside its transaction. A
listener records what it needs there and queues its own work after the commit; it must never
make a network call inline (it would slow the recompute).

Nobody listening costs (almost) nothing: `colour_watch` first sends `colour_changes_wanted`,
and reads no colours unless a receiver answers True (the webhooks do while an active endpoint
subscribes to colour changes: one small query).
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from django.dispatch import Signal

from scoring.models import CurrentHealth

# Sent with `changes`: a list of ColourChange, one per account whose book colour moved.
colour_changed = Signal()
# Sent before a watched write; a receiver returns True if it wants the changes.
colour_changes_wanted = Signal()


@dataclass(frozen=True)
class ColourChange:
    account_id: int
    previous: str
    colour: str
    score: float | None
    scored_on: date | None


_watching: ContextVar[bool] = ContextVar("colour_watch", default=False)
IDS_PER_STATEMENT = 900  # below SQLite's limit on parameters


def _colours(
    account_ids: list[int] | None, id_range: tuple[int, int] | None
) -> dict[int, tuple[str, float | None, date | None]]:
    """account id -> (colour, score, scored_on) of the current-health rows in scope."""
    rows = CurrentHealth.objects.values_list("account_id", "colour", "score", "scored_on")
    if id_range is not None:
        return {
            a: (c, s, d)
            for a, c, s, d in rows.filter(account_id__gte=id_range[0], account_id__lt=id_range[1])
        }
    if account_ids is None:
        return {a: (c, s, d) for a, c, s, d in rows.iterator(chunk_size=5000)}
    found = {}
    for i in range(0, len(account_ids), IDS_PER_STATEMENT):
        chunk = account_ids[i : i + IDS_PER_STATEMENT]
        found.update({a: (c, s, d) for a, c, s, d in rows.filter(account_id__in=chunk)})
    return found


def _wanted() -> bool:
    if not colour_changed.has_listeners():
        return False
    return any(answer for _receiver, answer in colour_changes_wanted.send(sender=CurrentHealth))


@contextmanager
def colour_watch(
    *, account_ids: Iterable[int] | None = None, id_range: tuple[int, int] | None = None
) -> Iterator[None]:
    """Around a write of current-health rows: afterwards, send `colour_changed` with the rows
    in scope whose colour differs from before (a row created by the write has no colour to
    change from, and is not a change). A watch inside another is a no-op: the outer one sees
    every change once. Nothing is sent if the write raises."""
    if _watching.get():
        yield
        return
    ids = None if account_ids is None else sorted(set(account_ids))
    token = _watching.set(True)  # an inner watch neither asks nor reads again
    try:
        before = _colours(ids, id_range) if _wanted() else {}
        yield
        after = _colours(ids, id_range) if before else {}
    finally:
        _watching.reset(token)
    changes = [
        ColourChange(account_id, before[account_id][0], colour, score, scored_on)
        for account_id, (colour, score, scored_on) in sorted(after.items())
        if account_id in before and before[account_id][0] != colour
    ]
    if changes:
        colour_changed.send(sender=CurrentHealth, changes=changes)
