"""What the webhooks cost the recompute, on PostgreSQL.

Builds a book of current-health rows (default 100,000 accounts, one line each), then prints:
  1. seconds for a whole-book `current_scores_refresh()` with no endpoint subscribed to colour
     changes (nothing is read), and with one (the colours in scope are read before and after);
  2. seconds to record colour changes for 1,000 and 10,000 accounts with one subscribed
     endpoint — events, deliveries and their queueing, inside the recompute's transaction
     (rolled back, so the deliveries are never sent).

    .venv/bin/python bench/webhooks_bench.py [--accounts 100000]
"""

import argparse
import statistics
import time

from common import drop_database, use_scratch_database

DB = "healthscore_bench_webhooks"


def seconds(work, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    use_scratch_database(DB)
    try:
        from django.db import connection, transaction

        from accounts.models import Account
        from scoring.current_health import current_scores_refresh
        from scoring.events import ColourChange
        from webhooks.models import Endpoint
        from webhooks.recording import colour_changes_record
        from webhooks.tasks import deliveries_queue

        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO accounts_account (external_id, name, segment, lifecycle_stage,
                    licensed_seats, churn_reason, created_at, updated_at)
                SELECT 'W-' || g, 'Bench ' || g, 'smb', 'mature', 10, '', now(), now()
                FROM generate_series(1, %s) g
                """,
                [args.accounts],
            )
            cursor.execute(
                """
                INSERT INTO signals_subscriptionline (account_id, subscription_id, product, mrr,
                    start_date, end_date, is_trial)
                SELECT id, 'sub-' || id, 'Core', 100, DATE '2025-01-01', NULL, false
                FROM accounts_account
                """
            )
        current_scores_refresh()
        print(f"{args.accounts:,} accounts with current-health rows")

        alone = seconds(current_scores_refresh)
        Endpoint.objects.create(
            name="Bench", url="http://127.0.0.1:9/", events=["account.colour_changed"]
        )
        watched = seconds(current_scores_refresh)
        print(
            f"whole-book current_scores_refresh: {alone:.2f} s with no endpoint subscribed, "
            f"{watched:.2f} s with one (the colours read before and after: "
            f"+{watched - alone:.2f} s)"
        )

        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        for n in (1_000, 10_000):
            changes = [ColourChange(i, "green", "red", 35.0, None) for i in ids[:n]]

            def record(changes=changes) -> None:
                with transaction.atomic():
                    deliveries_queue(colour_changes_record(changes))
                    transaction.set_rollback(True)

            print(f"recording {n:,} colour changes (events + deliveries): {seconds(record):.2f} s")
    finally:
        drop_database(DB)


if __name__ == "__main__":
    main()
