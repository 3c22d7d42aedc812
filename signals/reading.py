"""Reading a CSV file: its encoding, its header and its rows, or the reason it cannot be
read (`FileError`)."""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from signals.messages import Message

# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class RowError:
    """A bad row, cell or header: its column and reason are Messages (or plain text), put
    into words when the error is formatted, in the reader's language."""

    line: int
    column: str | Message
    reason: str | Message

    def format(self, source: str) -> str:
        if self.line == 0:  # about the whole file
            return f"{source}: {self.reason}"
        return f"{source}:{self.line}: {self.column}: {self.reason}"


class FileError(Exception):
    """The file cannot be read as CSV (not UTF-8, binary, empty, broken quoting).

    `line` is the line where reading stopped, or 0 when the fault is the file's as a whole."""

    def __init__(self, reason: Message, line: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def as_row_error(self) -> RowError:
        return RowError(self.line, "(row)", self.reason)


# ---------------------------------------------------------------- reading

BINARY = Message(
    gettext_noop(
        "this is not a CSV text file (it contains binary data; "
        "a spreadsheet must be saved as CSV UTF-8)"
    )
)
UTF16 = Message(gettext_noop("the file is UTF-16 text; save it as CSV UTF-8"))
NOT_UTF8 = gettext_noop(
    "the file is not UTF-8 text (line %(line)s, byte %(byte)s); save it as UTF-8 CSV"
)
EMPTY = Message(gettext_noop("the file is empty; expected a header row naming the columns"))
QUOTE_LEFT_OPEN = Message(gettext_noop("a quoted cell starts here and is never closed"))
CELL_TOO_LONG = gettext_noop(
    "a cell here is longer than %(limit)s characters; is a quote left open?"
)
NOT_CSV = gettext_noop("is not valid CSV: %(error)s")


def _looks_like_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte-order mark: in mostly-ASCII text every other byte is NUL."""
    sample = raw[:4096]
    half = len(sample) // 2
    high, low = sample[0::2].count(0), sample[1::2].count(0)
    return half > 0 and (high == 0 < low or low == 0 < high) and max(high, low) > half * 0.6


def _csv_reason(exc: csv.Error) -> Message:
    # A quote opened and never closed swallows the rest of the file: the csv module then says
    # "unexpected end of data", or, past its cell size limit, "field larger than field limit".
    if "unexpected end of data" in str(exc):
        return QUOTE_LEFT_OPEN
    if "field larger than field limit" in str(exc):
        return Message(CELL_TOO_LONG, limit=csv.field_size_limit())
    return Message(NOT_CSV, error=str(exc))  # the csv module's own words, in English


def read_csv(
    raw: bytes, delimiter: str = ",", *, keep_case: bool = False
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Decode and split a CSV file; return its header and (line number, cells) of each data row.

    The line number is the line a row starts on (a quoted cell may span lines). Header names
    are stripped and lower-cased unless `keep_case` (a column mapping shows them as written)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" and some Windows tools write UTF-16 with a byte-order mark,
        # which says for sure what the file is: read it.
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise FileError(UTF16) from None
    if b"\x00" in raw:  # text never holds NUL; spreadsheets, images and archives do
        raise FileError(UTF16 if _looks_like_utf16(raw) else BINARY)
    try:
        content = raw.decode("utf-8-sig")  # -sig drops the byte-order mark Excel writes
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FileError(Message(NOT_UTF8, line=str(line), byte=exc.start + 1)) from None
    if not content.strip():
        raise FileError(EMPTY)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() if keep_case else name.strip().lower() for name in next(reader)]
    except csv.Error as exc:
        raise FileError(_csv_reason(exc), line=1) from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileError(_csv_reason(exc), line=start) from None
            # Blank lines, and rows of blank cells that spreadsheets leave at the end, are not rows.
            if cells and (cells[0].strip() or any(cell.strip() for cell in cells)):
                yield start, cells

    return header, rows()


def first_line(raw: bytes) -> str:
    """The header line, for sniffing the delimiter (before the file is decoded for real)."""
    end = raw.find(b"\n", 0, 1 << 20)
    return raw[: end if end >= 0 else 1 << 20].decode("utf-8", errors="replace")


# An error names at most this many columns or values: a header of a million unknown columns
# must not become a message of megabytes.
