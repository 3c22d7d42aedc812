import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from scoring.rescoring import recompute_on_commit
from signals.importing import count_lines, csv_import
from signals.kinds import KINDS


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

    def handle(self, *, kind, file, skip_invalid, no_progress, **options):
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read the file: {exc.strerror}") from None
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
                kind=kind, raw=raw, source=str(file), skip_invalid=skip_invalid, progress=bar.update
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
