"""The snapshot rows a recompute makes, held column by column: one block per scorecard, its
figures the column scorer's arrays, with the few accounts the scalar path scored laid over
them. A 100,000-account day is written from these columns without a dict per row; a preview
reads them as rows."""

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from scoring.book_scores import ScoredCard
from scoring.explanations import metric_ids, parts_pack
from scoring.maths import Health

COLUMNS = (
    "account_id", "date", "score", "colour", "coverage", "critical_override", "mrr",
    "scorecard_id", "scorecard_version", "parts",
)  # fmt: skip


@dataclass
class _Block:
    """A scorecard's accounts: `scored` in the order of `ids`, `scalar` by position."""

    card_id: int
    version: int
    per_metric: list[bool]  # of the card's signals, in stored order
    ids: list[int]
    mrr: list
    scored: ScoredCard
    scalar: dict[int, Health] = field(default_factory=dict)

    def column(self, name: str, day: date) -> list:
        n = len(self.ids)
        if name == "account_id":
            return self.ids
        if name == "date":
            return [day] * n
        if name == "mrr":
            return self.mrr
        if name == "scorecard_id":
            return [self.card_id] * n
        if name == "scorecard_version":
            return [self.version] * n
        if name == "score":
            values = [None if math.isnan(s) else s for s in self.scored.score.tolist()]
        elif name == "coverage":
            values = self.scored.coverage.tolist()
        elif name == "colour":
            values = list(self.scored.colour)
        elif name == "critical_override":
            values = list(self.scored.critical_override)
        else:
            raise KeyError(name)
        for i, health in self.scalar.items():
            values[i] = _of_health(health)[name]
        return values


def _of_health(health: Health) -> dict:
    return {
        "score": health.score,
        "colour": health.colour.value,
        "coverage": round(health.coverage, 4),
        "critical_override": health.critical_override or "",
    }


@dataclass
class SnapshotRows:
    """A day's snapshot rows, block by block."""

    day: date
    blocks: list[_Block] = field(default_factory=list)

    def add(self, *, card_id, version, per_metric, ids, mrr, scored, scalar) -> None:
        self.blocks.append(_Block(card_id, version, per_metric, ids, mrr, scored, scalar))

    def __len__(self) -> int:
        return sum(len(b.ids) for b in self.blocks)

    def column(self, name: str) -> list:
        if len(self.blocks) == 1:
            return self.blocks[0].column(name, self.day)
        values: list = []
        for block in self.blocks:
            values.extend(block.column(name, self.day))
        return values

    def __iter__(self) -> Iterator[dict]:
        """Each row as a dict (parts as the Health or the (ScoredCard, position) they come
        from): for previews, which read a few fields."""
        names = [n for n in COLUMNS if n != "parts"]
        for block in self.blocks:
            columns = [block.column(n, self.day) for n in names]
            for i, values in enumerate(zip(*columns, strict=True)):
                row = dict(zip(names, values, strict=True))
                row["parts"] = block.scalar.get(i) or (block.scored, i)
                yield row

    def parts(self) -> list[bytes]:
        """Each row's parts as the bytes a snapshot stores, metric names as their numbers."""
        names: set[str] = set()
        for block in self.blocks:
            names.update(m for c in block.scored.components for m in c.metrics)
            for health in block.scalar.values():
                names.update(m[0] for p in health.parts for m in p.component.metrics)
        ids = metric_ids(names) if names else {}
        packed: list[bytes] = []
        for block in self.blocks:
            own = block.scored.parts(ids)
            for i, health in block.scalar.items():
                own[i] = parts_pack(health, block.per_metric, ids)
            packed.extend(own)
        return packed

    def written_columns(self) -> tuple[list[str], list[list]]:
        """The column names and values to write, parts packed."""
        names = [n for n in COLUMNS if n != "parts"]
        return [*names, "parts"], [*(self.column(n) for n in names), self.parts()]
