"""Checking rows: the header against the kind, every cell through its parser, the
cross-field rules and repeated keys; then references (accounts, users) replaced by ids."""

from collections.abc import Iterable, Iterator, Sequence
from operator import call, itemgetter
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils.translation import gettext_noop

from accounts.models import Account
from signals.kinds import REFERENCES, ImportKind
from signals.messages import Message
from signals.reading import RowError

# ---------------------------------------------------------------- validating

LISTED = 20
SHOWN_CELL = 60  # characters of a bad cell quoted in its error

# Reasons, translated when shown (signals.messages).
AND_MORE = gettext_noop("%(names)s … and %(more)s more")
SHORTENED = gettext_noop("%(start)s… (%(length)s characters)")
TWICE = gettext_noop("column appears twice in the header")
UNKNOWN_COLUMN = gettext_noop("unknown column; %(kind)s files take: %(columns)s")
MISSING = gettext_noop("required column is missing")
MISSING_WRONG_KIND = gettext_noop(
    "required column is missing (is this a CSV file of the right kind?)"
)
CELL_COUNT = gettext_noop("has %(cells)s cells; the header has %(width)s")
REPEATED_KEY = gettext_noop("repeats the key of line %(line)s")
UNKNOWN_ACCOUNT = gettext_noop("unknown account '%(name)s'")
UNKNOWN_USER = gettext_noop("unknown user '%(name)s'")


def listed(names: Sequence[str], limit: int = LISTED) -> str | Message:
    """'a, b, c' — or the first `limit` names and '… and N more'."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else Message(AND_MORE, names=shown, more=len(names) - limit)


def _shortened(cell: str) -> str | Message:
    if len(cell) <= SHOWN_CELL:
        return cell
    return Message(SHORTENED, start=cell[:SHOWN_CELL], length=len(cell))


def check_header(kind: ImportKind, header: list[str]) -> list[RowError]:
    known = {c.name for c in kind.columns}
    errors = []
    seen: set[str] = set()
    twice: dict[str, None] = {}  # in order of appearance, each name once
    for name in header:
        if name in seen:
            twice[name] = None
        seen.add(name)
    if twice:
        errors.append(RowError(1, listed(list(twice)), Message(TWICE)))
    unknown = [name or "(blank)" for name in header if name not in known]
    missing = [name for name in kind.required if name not in header]
    if unknown:
        takes = ", ".join(c.name for c in kind.columns)
        reason = Message(UNKNOWN_COLUMN, kind=kind.name, columns=takes)
        errors.append(RowError(1, listed(unknown), reason))
    if missing:
        reason = Message(MISSING if known & set(header) else MISSING_WRONG_KIND)
        errors.append(RowError(1, ", ".join(missing), reason))
    return errors


# Rows parsed, then written, at a time: the parser works on the next chunk while the
# database takes the previous one.
CHUNK_ROWS = 50_000


class RowChecker:
    """Parses and checks rows (types, ranges, cross-field rules, keys repeated in the file).

    Good rows come out as plain lists in header order, not dicts, and a good row costs one
    pass of the cell readers: this loop runs a million times for a big usage file."""

    def __init__(self, kind: ImportKind, header: Sequence[str]):
        self.columns = [kind.column(name) for name in header]
        self.readers = [column.reader() for column in self.columns]
        self.width = len(header)
        position = {name: index for index, name in enumerate(header)}
        self.rules = [
            (rule, position[rule.later], position[rule.earlier])
            for rule in kind.rules
            if rule.later in position and rule.earlier in position
        ]
        self.key_of = itemgetter(*(position[name] for name in kind.key))
        self.key_names = ", ".join(kind.key)
        self.first_seen: dict[Any, int] = {}  # key -> line, across the whole file
        self.errors: list[RowError] = []
        self.count = 0  # rows read

    def chunks(
        self, rows: Iterable[tuple[int, Sequence[str]]], size: int = CHUNK_ROWS
    ) -> Iterator[tuple[list[int], list[list[Any]]]]:
        """(lines, good rows) by chunks of `size` good rows; bad rows go to self.errors."""
        readers, width, rules, key_of = self.readers, self.width, self.rules, self.key_of
        first_seen, errors = self.first_seen, self.errors
        lines: list[int] = []
        parsed: list[list[Any]] = []
        for line, cells in rows:
            self.count += 1
            if len(cells) != width:
                reason = Message(CELL_COUNT, cells=len(cells), width=width)
                errors.append(RowError(line, "(row)", reason))
                continue
            try:
                values = list(map(call, readers, cells))  # each cell through its column's reader
            except ValueError:
                errors.extend(self._cell_errors(line, cells))
                continue
            if rules:
                broken = [
                    RowError(line, rule.later, rule.reason)
                    for rule, later, earlier in rules
                    if not rule.holds(values[later], values[earlier])
                ]
                if broken:
                    errors.extend(broken)
                    continue
            first = first_seen.setdefault(key_of(values), line)
            if first != line:
                reason = Message(REPEATED_KEY, line=str(first))
                errors.append(RowError(line, self.key_names, reason))
                continue
            lines.append(line)
            parsed.append(values)
            if len(parsed) == size:
                yield lines, parsed
                lines, parsed = [], []
        if parsed:
            yield lines, parsed

    def _cell_errors(self, line: int, cells: Sequence[str]) -> list[RowError]:
        """Every bad cell of a row that failed (the fast path stops at the first)."""
        errors = []
        for column, read, cell in zip(self.columns, self.readers, cells, strict=True):
            try:
                read(cell)
            except ValueError as exc:
                reason = exc.args[0] if exc.args else str(exc)
                # A reason quotes its cell: not all of a huge one.
                if isinstance(reason, Message) and len(reason.values.get("cell", "")) > SHOWN_CELL:
                    reason = reason.replace(cell=_shortened(reason.values["cell"]))
                errors.append(RowError(line, column.name, reason))
        return errors


def _lookup(model: type[models.Model], field_name: str, names: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    names_list = sorted(names)
    step = connection.features.max_query_params or len(names_list)  # SQLite caps it (999)
    for start in range(0, len(names_list), step):
        chunk = names_list[start : start + step]
        found.update(
            model._default_manager.filter(**{f"{field_name}__in": chunk}).values_list(
                field_name, "pk"
            )
        )
    return found


class References:
    """Replaces account external ids and usernames by primary keys, chunk by chunk; each name
    is looked up once per file."""

    def __init__(self, header: Sequence[str]):
        self.columns = [(index, name) for index, name in enumerate(header) if name in REFERENCES]
        # name -> primary key, per column; a blank optional cell (None) stays None.
        self.found: dict[str, dict[str | None, int | None]] = {
            name: {None: None} for _, name in self.columns
        }
        self.errors: list[RowError] = []

    def accounts_known(self, found: dict[str, int]) -> None:
        """Take account ids the caller looked up itself (the API, in one statement)."""
        if "account" in self.found:
            self.found["account"].update(found)

    def resolve(self, lines: list[int], columns: list[Sequence[Any]]) -> list[Sequence[Any]]:
        """The chunk's columns with references resolved, less the rows naming an unknown one."""
        for index, name in self.columns:
            found, names = self.found[name], columns[index]
            wanted = set(names) - found.keys()
            if wanted:
                if name == "account":
                    found.update(_lookup(Account, "external_id", wanted))
                else:
                    found.update(_lookup(get_user_model(), "username", wanted))
            if found.keys() >= wanted:  # the common case: map in C, no loop over rows
                columns[index] = list(map(found.__getitem__, names))
                continue
            unknown = UNKNOWN_ACCOUNT if name == "account" else UNKNOWN_USER
            keep = [position for position, ref in enumerate(names) if ref in found]
            self.errors.extend(
                RowError(line, name, Message(unknown, name=ref))
                for line, ref in zip(lines, names, strict=True)
                if ref not in found
            )
            columns[index] = [found.get(ref) for ref in names]
            columns = [[column[position] for position in keep] for column in columns]
            lines = [lines[position] for position in keep]
        return columns
