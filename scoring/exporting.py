"""CSV exports: the one writer every CSV the app hands out goes through, the one download
response every CSV button returns, and snapshots as rows (command and download buttons).

A download starts with a UTF-8 byte-order mark, so that spreadsheets read "Škoda" and
"Рога и копыта" as written. Its spreadsheet-friendly variant (`?spreadsheet=1`, offered to
readers whose language writes a decimal comma) separates cells with ";" and writes decimals
with ","; the column keys, ISO dates and text stay as in the plain CSV.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import formats

from scoring.explanations import scores_reader, version_configs
from scoring.models import HealthSnapshot, SignalDefinition

BOM = "\ufeff"

# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV Injection"):
# an account name or a survey comment like =HYPERLINK("http://evil.example","Open").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_safe(value: Any) -> Any:
    """The cell as a spreadsheet shows it but does not run it: text starting with =, +, -, @,
    tab or carriage return gets a leading single quote. Numbers, and text that is just a
    number such as "-5" or "-12.50", stay as they are, so a negative MRR still sums."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class CsvWriter:
    """csv.writer with every cell through `csv_safe`. Use it for every CSV the app writes.
    With `decimal_comma`, floats and Decimals are written with "," (the ";" delimiter is the
    caller's choice, as for csv.writer)."""

    def __init__(self, file, *, decimal_comma: bool = False, **options):
        self._writer = csv.writer(file, **options)
        self._decimal_comma = decimal_comma

    def _cell(self, value: Any) -> Any:
        if self._decimal_comma and isinstance(value, float | Decimal):
            return str(value).replace(".", ",")
        return csv_safe(value)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([self._cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def spreadsheet_offered() -> bool:
    """Whether the reader's language writes a decimal comma, so that a ";" CSV suits them."""
    return formats.get_format("DECIMAL_SEPARATOR") == ","


def csv_download(filename: str, *, spreadsheet: bool = False) -> tuple[HttpResponse, CsvWriter]:
    """An attachment response that starts with the BOM, and the writer for its rows."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write(BOM)
    if spreadsheet:
        return response, CsvWriter(response, delimiter=";", decimal_comma=True)
    return response, CsvWriter(response)


def snapshot_rows(*, day: date, accounts=None) -> tuple[list[str], Iterator[list]]:
    """Header and rows of the snapshots of `day`: account, owner, score, colour, coverage and
    one column per signal key (the component scores)."""
    snapshots = HealthSnapshot.objects.filter(date=day).select_related("account__owner")
    if accounts is not None:
        snapshots = snapshots.filter(account__in=accounts)
    snapshots = snapshots.order_by("account__name")
    keys = list(SignalDefinition.objects.order_by("key").values_list("key", flat=True).distinct())
    header = ["external_id", "name", "owner", "score", "colour", "coverage", *keys]

    readers: dict = {}

    def rows() -> Iterator[list]:
        for snap in snapshots.iterator(chunk_size=2000):
            version = (snap.scorecard_id, snap.scorecard_version)
            if version not in readers:
                readers[version] = scores_reader(version_configs([version])[version])
            scores = readers[version](snap.parts)
            owner = snap.account.owner.username if snap.account.owner else ""
            yield [
                snap.account.external_id,
                snap.account.name,
                owner,
                "" if snap.score is None else snap.score,
                snap.colour,
                snap.coverage,
                *("" if scores.get(k) is None else scores[k] for k in keys),
            ]

    return header, rows()
