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
from signals.upsert import Upsert, UpsertCounts
from signals.validating import CHUNK_ROWS, References, RowChecker

# A kind's own writer, for kinds the generic upsert cannot key (contacts): it gets the header,
# the validated columns (references resolved, fixed values appended) and the rows' lines.
Writer = Callable[[list[str], list[Sequence[Any]], list[int]], UpsertCounts]


def kind_upsert(kind: ImportKind, header: Sequence[str]) -> Upsert:
    """Upsert of validated rows (header order, then the kind's fixed values). Only the columns
    in the file are updated on existing rows; new rows get the model's defaults for the rest."""
    fixed_names = [name for name, _ in kind.fixed]
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
        self.start()

    def start(self) -> None:
        """Begin (or, after a rolled-back attempt, begin again) the writing."""
        self._upsert = kind_upsert(self.kind, self.header) if self._writer is None else None
        self._counts = UpsertCounts()
        self.account_ids.clear()
        self.written = 0

    @property
    def rows_read(self) -> int:
        return self.checker.count

    @property
    def errors(self) -> list[RowError]:
        """Every bad row so far (checks and unknown references), in line order."""
        return sorted(self.checker.errors + self.references.errors, key=lambda e: e.line)

    @property
    def failed(self) -> bool:
        return bool(self.checker.errors or self.references.errors)

    def check(
        self, rows: Iterable[tuple[int, Sequence[str]]], size: int = CHUNK_ROWS
    ) -> Iterator[tuple[list[int], list[list[Any]]]]:
        """(lines, good rows) by chunks of `size` good rows; bad rows go to `errors`."""
        return self.checker.chunks(rows, size=size)

    def resolve(self, lines: list[int], chunk: list[list[Any]]) -> list[Sequence[Any]]:
        """The chunk as columns, references replaced by ids, less the rows naming an unknown
        one. Column by column from here on: references resolve, and COPY text is built, with
        C-level maps instead of Python loops over the rows."""
        return self.references.resolve(lines, list(zip(*chunk, strict=True)))

    def write(self, columns: list[Sequence[Any]], lines: list[int]) -> int:
        """Write one chunk's good rows (as columns); the number written."""
        good = len(columns[0])
        columns = [*columns, *([value] * good for value in self._fixed)]
        if self._writer is not None:
            self._counts = self._writer(self.header, columns, lines)
        else:
            self._upsert.write_columns(columns)
        if self.account_column is not None:
            self.account_ids.update(columns[self.account_column])
        self.written += good
        return good

    def finish(self) -> UpsertCounts:
        """Complete the writing; how many rows were created and updated."""
        return self._upsert.finish() if self._upsert is not None else self._counts
