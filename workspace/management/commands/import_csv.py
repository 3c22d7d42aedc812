import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from scoring.rescoring import recompute_on_commit
from signals.formats import DATE_FORMATS, CsvFormat
from signals.importing import count_lines, csv_import
from signals.kinds import KINDS
from signals.saved_mappings import UnknownMapping, mapping_named

DELIMITER_NAMES = {"auto": "", "comma": ",", "semicolon": ";", "tab": "\t"}


class Command(BaseCommand):
    help = "Import a CSV file of accounts or signal data (upsert on natural keys)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the good rows and list the bad ones instead of rejecting the file",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        parser.add_argument(
            "--mapping",
            metavar="NAME",
            help="read the file through a column mapping: a preset (e.g. stripe_subscriptions) "
            "or one saved on the import page",
        )
        parser.add_argument(
            "--delimiter",
            choices=sorted(DELIMITER_NAMES),
            help="between cells (default: the mapping's, else sniffed from the header: , or ;)",
        )
        parser.add_argument(
            "--date-format",
            choices=sorted(DATE_FORMATS),
            help="how dates are written: iso (YYYY-MM-DD, the default), dmy_dot (DD.MM.YYYY), "
            "mdy_slash (MM/DD/YYYY), dmy_slash (DD/MM/YYYY)",
        )
        decimal = parser.add_mutually_exclusive_group()
        decimal.add_argument(
            "--decimal-comma",
            dest="decimal_comma",
            action="store_const",
            const=True,
            help="numbers are written 1234,5 (the default for files separated by ;)",
        )
        decimal.add_argument(
            "--decimal-point", dest="decimal_comma", action="store_const", const=False
        )

    def handle(self, *, kind, file, skip_invalid, no_progress, **options):
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read the file: {exc.strerror}") from None
        mapping = None
        if options.get("mapping"):
            try:
                mapping = mapping_named(options["mapping"], kind)
            except UnknownMapping as exc:
                raise CommandError(str(exc)) from None
        base = mapping.format if mapping else CsvFormat()
        delimiter = options.get("delimiter")
        date_format = options.get("date_format")
        decimal_comma = options.get("decimal_comma")
        fmt = CsvFormat(
            delimiter=DELIMITER_NAMES[delimiter] if delimiter else base.delimiter,
            date_format=date_format or base.date_format,
            decimal_comma=base.decimal_comma if decimal_comma is None else decimal_comma,
        )
        total = count_lines(raw)
        # Rows are counted twice: once validated, once written.
        with (
            transaction.atomic(),
            tqdm(
                total=total * 2,
                unit="row",
                unit_scale=True,
                desc=f"import {kind}",
                disable=no_progress or total < 10_000,
                file=sys.stderr,
            ) as bar,
        ):
            result = csv_import(
                kind=kind,
                raw=raw,
                source=str(file),
                skip_invalid=skip_invalid,
                progress=bar.update,
                mapping=mapping,
                fmt=fmt,
            )
            if result.account_ids:
                # Today's scores of the accounts the file touched are redone once it is in.
                recompute_on_commit(sorted(result.account_ids), timezone.localdate())
        for line in result.error_lines():
            self.stderr.write(line)
        if result.errors and not result.written:
            raise CommandError(result.summary())
        self.stdout.write(result.summary())
        if result.errors:
            raise CommandError(f"{len(result.errors)} bad row(s) were skipped.")
