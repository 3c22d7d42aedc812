import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from scoring.backfills import day_blocks
from scoring.models import Scorecard
from scoring.recompute import health_backfill, health_recompute, load_scorecards


def iso_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date; use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Recompute health snapshots for one day (default today) or backfill a date range."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=str, help="the day to recompute (YYYY-MM-DD)")
        parser.add_argument("--from", dest="start", type=str, help="first day of a backfill")
        parser.add_argument("--to", dest="end", type=str, help="last day of a backfill")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *, date=None, start=None, end=None, no_progress=False, **options):
        if date and (start or end):
            raise CommandError("Give either --date or --from/--to, not both.")
        if bool(start) != bool(end):
            raise CommandError("A backfill needs both --from and --to.")
        if start:
            first, last = iso_day(start), iso_day(end)
            if last < first:
                raise CommandError(f"--to {last} is before --from {first}.")
        else:
            first = last = iso_day(date) if date else timezone.localdate()
        days = (last - first).days + 1
        try:
            if days == 1:
                result = health_recompute(as_of=first)
                colours = ", ".join(f"{n} {c}" for c, n in sorted(result.colours.items()))
                self.stdout.write(f"{first}: {result.accounts} snapshots ({colours or 'none'}).")
                return
            total = 0
            # None: a bar on a terminal only, not 180 lines in a log or a pipe.
            with tqdm(
                total=days, unit="day", disable=True if no_progress else None, file=sys.stderr
            ) as bar:
                for block in day_blocks(first, last):
                    # Each day refreshes its own percentile populations: a backfill is a full
                    # run. The scorecards are reloaded for each block, as the backfill job does.
                    for result in health_backfill(
                        block, scorecards=load_scorecards(), on_day=lambda _: bar.update()
                    ):
                        total += result.accounts
        except Scorecard.DoesNotExist as exc:
            raise CommandError(str(exc)) from None
        if days > 1:
            self.stdout.write(f"{first} to {last}: {total} snapshots over {days} days.")
