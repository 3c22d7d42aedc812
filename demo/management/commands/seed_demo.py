"""`python manage.py seed_demo`: load the demo book (a thin wrapper over `demo_seed`)."""

from datetime import date, timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from demo.generator import DEMO_PASSWORD, demo_logins, demo_seed
from workspace.followups import tasks_open


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Build a believable demo book (accounts, users, months of signal data), deterministic "
        "from --seed. Safe to re-run: rows are upserted on their natural keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        parser.add_argument("--accounts", type=positive, default=320, help="default 320")
        parser.add_argument("--days", type=positive, default=200, help="days of history (200)")
        parser.add_argument("--today", help="last day of the history, YYYY-MM-DD (default today)")
        parser.add_argument(
            "--score-days",
            type=int,
            # Enough scored history for the score-quality report's 90-day churn horizon.
            default=180,
            help="backfill health snapshots for this many days up to today (0: none)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the logins) when accounts already exist",
        )

    def handle(self, *, seed, accounts, days, today, if_empty, score_days, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today '{today}' is not a date; use YYYY-MM-DD") from None
        if if_empty and Account.objects.exists():
            self.stdout.write("Accounts already exist: demo data not loaded (--if-empty).")
        else:
            try:
                summary = demo_seed(
                    seed=seed, accounts=accounts, days=days, today=day, out=self.stdout
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo book: {summary.accounts} accounts, {summary.days} days to "
                    f"{summary.today}, seed {summary.seed}, in {summary.seconds:.1f}s."
                )
            )
            if score_days > 0:
                self.score(summary.today, min(score_days, summary.days))
        self.print_logins()

    def score(self, today: date, days: int) -> None:
        """Backfill the history the charts and trends need, then open today's tasks."""
        first = today - timedelta(days=days - 1)
        self.stdout.write(f"Scoring {first} to {today} ...")
        call_command(
            "recompute_health",
            "--from",
            first.isoformat(),
            "--to",
            today.isoformat(),
            stdout=self.stdout,
            stderr=self.stderr,
        )
        opened = tasks_open(day=today)
        self.stdout.write(f"{opened} check-in tasks opened.")

    def print_logins(self) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo users exist; run seed_demo without --if-empty.")
            return
        width = max(len(username) for username, _, _ in logins)
        lines = [f"  {u:<{width}}  {role:<8} {name}" for u, role, name in logins]
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Demo logins (password for each: {DEMO_PASSWORD})",
                    *lines,
                    "Users created earlier keep the password they have.",
                    "",
                ]
            )
        )
