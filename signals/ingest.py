"""Rows of one kind into the database: the one path that the CSV import and the API share.

Both hand over rows of cells (text, as a CSV file holds them). `Ingest.check` parses and checks
them in chunks (types, cross-field rules, keys repeated; no database, so the CSV import runs it
in a worker thread), `resolve` replaces references (account external ids, usernames) by ids,
and `write` upserts a chunk's good rows on the kind's natural key. Bad rows collect in
`errors`; the caller owns the transaction and its policy (all or nothing, or skip bad rows).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from signals.kinds import REFERENCES, ImportKind
from signals.reading import RowError
from signals.tagging import TAGS, TagLinks
from signals.upsert import Upsert, UpsertCounts
from signals.validating import CHUNK_ROWS, References, RowChecker

# A kind's own writer, for kinds the generic upsert cannot key (contacts): it gets the header,
# the validated columns (references resolved, fixed values appended) and the rows' lines.
Writer = Callable[[list[str], list[Sequence[Any]], list[int]], UpsertCounts]


def kind_upsert(kind: ImportKind, header: Sequence[str]) -> Upsert:
    """Upsert of validated rows (header order, then the kind's fixed values). Only the columns
    in the file are updated on existing rows; new rows get the model's defaults for the rest."""
    fixed_names = [name for name, _ in kind.fixed]
    header = [name for name in header if name != TAGS]  # links, written after the rows
    return Upsert(
        kind.model,
        columns=[REFERENCES.get(name, name) for name in header] + fixed_names,
        key=[REFERENCES.get(name, name) for name in kind.key] + fixed_names,
        update=[REFERENCES.get(name, name) for name in header if name not in kind.key],
    )


class Ingest:
    """The rows of one kind with one header, checked, resolved and written chunk by chunk."""

    def __init__(self, kind: ImportKind, header: Sequence[str], *, writer: Writer | None = None):
        self.kind, self.header = kind, list(header)
        self.checker = RowChecker(kind, self.header)
        self.references = References(self.header)
        # Which accounts the rows touched, so the caller can rescore them.
        self.account_column = self.header.index("account") if "account" in self.header else None
        self._fixed = [value for _, value in kind.fixed]
        self._writer = writer
        self.account_ids: set[int] = set()
        # A tags column: names resolved to tag ids, links written after each chunk's rows.
        self.tags_column = self.header.index(TAGS) if TAGS in self.header else None
        self.tags = None
        if self.tags_column is not None:
            key = [REFERENCES.get(name, name) for name in kind.key]
            self.tags = TagLinks(kind.model, key, dict(kind.fixed))
            self._key_positions = [self.header.index(name) for name in kind.key]
        self.start()

    def start(self) -> None:
        """Begin (or, after a rolled-back attempt, begin again) the writing."""
        self._upsert = kind_upsert(self.kind, self.header) if self._writer is None else None
        self._counts = UpsertCounts()
        self.account_ids.clear()
        self.written = 0
        if self.tags is not None:
            self.tags.changed_existing = 0

    @property
    def rows_read(self) -> int:
        return self.checker.count

    @property
    def errors(self) -> list[RowError]:
        """Every bad row so far (checks and unknown references), in line order."""
        tags = self.tags.errors if self.tags is not None else []
        return sorted(self.checker.errors + self.references.errors + tags, key=lambda e: e.line)

    @property
    def failed(self) -> bool:
        return bool(self.checker.errors or self.references.errors or self.tags and self.tags.errors)

    def check(
        self, rows: Iterable[tuple[int, Sequence[str]]], size: int = CHUNK_ROWS
    ) -> Iterator[tuple[list[int], list[list[Any]]]]:
        """(lines, good rows) by chunks of `size` good rows; bad rows go to `errors`."""
        return self.checker.chunks(rows, size=size)

    def resolve(self, lines: list[int], chunk: list[list[Any]]) -> list[Sequence[Any]]:
        """The chunk as columns, references replaced by ids, less the rows naming an unknown
        one. Column by column from here on: references resolve, and COPY text is built, with
        C-level maps instead of Python loops over the rows."""
        columns: list[Sequence[Any]] = list(zip(*chunk, strict=True))
        if self.tags is not None and columns:
            # Tag names first (they need no reference): the rows naming an unknown one go.
            lines, columns = self.tags.resolve(lines, columns, self.tags_column)
        return self.references.resolve(lines, columns)

    def write(self, columns: list[Sequence[Any]], lines: list[int]) -> int:
        """Write one chunk's good rows (as columns); the number written."""
        good = len(columns[0])
        columns = [*columns, *([value] * good for value in self._fixed)]
        if self._writer is not None:
            self._counts = self._writer(self.header, columns, lines)
        elif self.tags is not None:
            keys = list(zip(*(columns[p] for p in self._key_positions), strict=True))
            before = self.tags.existing(keys)
            tag_ids = columns[self.tags_column]
            self._upsert.write_columns([c for i, c in enumerate(columns) if i != self.tags_column])
            self.tags.write(keys, tag_ids, before)
        else:
            self._upsert.write_columns(columns)
        if self.account_column is not None:
            self.account_ids.update(columns[self.account_column])
        self.written += good
        return good

    def finish(self) -> UpsertCounts:
        """Complete the writing; how many rows were created and updated (a row whose tags
        alone changed counts as updated)."""
        if self._upsert is None:
            return self._counts
        counts = self._upsert.finish()
        if self.tags is not None and self.tags.changed_existing:
            existing = self.written - counts.created
            updated = min(counts.updated + self.tags.changed_existing, existing)
            counts = UpsertCounts(created=counts.created, updated=updated)
        return counts
