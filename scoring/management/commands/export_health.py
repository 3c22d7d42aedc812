from django.core.management.base import BaseCommand

from scoring.exporting import CsvWriter, snapshot_rows
from scoring.management.commands.recompute_health import iso_day


class Command(BaseCommand):
    help = "Write the health snapshots of one day as CSV on stdout."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, type=str, help="YYYY-MM-DD")

    def handle(self, *, date, **options):
        header, rows = snapshot_rows(day=iso_day(date))
        writer = CsvWriter(self.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
