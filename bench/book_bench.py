"""Scale benchmark of the book page on PostgreSQL.

Builds a 100,000-account book in a scratch database with SQL (50 CSMs of 2,000 accounts each,
one subscription line per account, snapshots today and 7 and 30 days ago, 2 % overridden, a
tenth with an open task), refreshes the current-health rows, then prints the server time of
the manager's book page ("All accounts", through Django's test client: middleware, queries and
template) — first page, a colour filter, two sorts, a deep page — and of one CSM's "My book",
each the median of several runs, in ms and as a ratio to the 150 ms aim.

With `--before` it also times the same pages through the book as it was before the
current-health rows (workspace/book.py at git HEAD~ of that change, or `--before-rev`): the
snapshot joins and correlated subqueries per account.

    .venv/bin/python bench/book_bench.py [--accounts 100000] [--runs 7] [--before]
"""

import argparse
import statistics
import subprocess
import time
import types

from common import ROOT, drop_database, use_scratch_database

DB = "healthscore_bench_book"
AIM_MS = 150.0
CSMS = 50

PAGES = {
    "first page": {},
    "colour filter (red)": {"colour": "red"},
    "sort by score": {"sort": "score"},
    "sort by renewal": {"sort": "renewal"},
    "deep page (500)": {"page": "500"},
}


def build_book(cursor, accounts: int, card_id: int, version: int, today) -> None:
    d = today.isoformat()
    cursor.execute("SELECT setseed(0.14)")
    cursor.execute(
        """
        INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined, role)
        SELECT '!', false, 'csm' || lpad(g::text, 2, '0'), '', '', '', false, true, now(), 'csm'
        FROM generate_series(1, %s) g
        UNION ALL SELECT '!', false, 'manager', '', '', '', false, true, now(), 'manager'
        """,
        [CSMS],
    )
    cursor.execute(
        """
        INSERT INTO accounts_account (external_id, name, owner_id, segment, lifecycle_stage,
            licensed_seats, churn_reason, created_at, updated_at)
        SELECT 'B-' || g, 'Bench ' || substr(md5(g::text), 1, 10),
               (SELECT id FROM accounts_user WHERE username = 'csm' || lpad((1 + g %% %s)::text,
                2, '0')),
               (ARRAY['smb','mid_market','enterprise'])[1 + g %% 3],
               'mature', 20 + g %% 80, '', now(), now()
        FROM generate_series(1, %s) g
        """,
        [CSMS, accounts],
    )
    # One line each, a third open-ended, the others renewing within the year.
    cursor.execute(
        """
        INSERT INTO signals_subscriptionline (account_id, subscription_id, product, mrr,
            start_date, end_date, is_trial)
        SELECT a.id, 'sub-' || a.id, 'Core', 100 + (a.id %% 50) * 10, %s::date - 400,
               CASE WHEN a.id %% 3 <> 0 THEN %s::date + (1 + a.id %% 365)::int END, false
        FROM accounts_account a
        """,
        [d, d],
    )
    # Snapshots on the three days the book reads; 5 % grey (no score).
    cursor.execute(
        """
        INSERT INTO scoring_healthsnapshot (account_id, date, score, colour, coverage,
            parts, critical_override, mrr, scorecard_id, scorecard_version)
        SELECT a.id, %s::date - back, s.score,
               CASE WHEN s.score IS NULL THEN 'grey' WHEN s.score >= 70 THEN 'green'
                    WHEN s.score >= 40 THEN 'yellow' ELSE 'red' END,
               CASE WHEN s.score IS NULL THEN 0.3 ELSE 1 END, '', '',
               100 + (a.id %% 50) * 10, %s, %s
        FROM accounts_account a, unnest(ARRAY[0, 7, 30]) back,
             LATERAL (SELECT CASE WHEN a.id %% 20 = 0 THEN NULL
                             ELSE round((random() * 100)::numeric, 1)::float8 END
                      AS score) s
        """,
        [d, card_id, version],
    )
    cursor.execute(
        """
        INSERT INTO workspace_colouroverride (account_id, colour, reason, expires_on,
            created_on)
        SELECT id, 'red', 'Exec sponsor left', %s::date + 30, %s::date - 1
        FROM accounts_account WHERE id %% 50 = 7
        """,
        [d, d],
    )
    cursor.execute(
        """
        INSERT INTO workspace_task (account_id, reason, detail, assignee_id, opened_on, due_on,
            status, outcome, facts)
        SELECT id, 'turned_red', '', owner_id, %s::date, %s::date + 3, 'open', '', '{}'
        FROM accounts_account WHERE id %% 10 = 3
        """,
        [d, d],
    )
    cursor.execute("ANALYZE")


def old_book(rev: str) -> types.ModuleType:
    """workspace/book.py as it was at `rev`, as a module."""
    source = subprocess.check_output(["git", "show", f"{rev}:workspace/book.py"], cwd=ROOT)
    module = types.ModuleType("book_before")
    exec(compile(source, "book_before.py", "exec"), module.__dict__)  # noqa: S102 - our own file
    return module


def time_page(client, params: dict, runs: int) -> float:
    client.get("/accounts/", params)  # warm the caches and the plan
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/accounts/", params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def report(label: str, ms: float, before: float | None = None) -> None:
    line = f"  {label:<28} {ms:8.1f} ms   {ms / AIM_MS:5.2f}x the {AIM_MS:.0f} ms aim"
    if before is not None:
        line += f"   (before: {before:8.1f} ms, {before / ms:5.1f}x faster)"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", action="store_true", help="time the old book too")
    parser.add_argument("--before-rev", default="93203b0", help="git revision of the old book")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    import os

    os.environ["SECURE_SSL_REDIRECT"] = "false"
    use_scratch_database(DB)
    try:
        from django.conf import settings
        from django.db import connection

        # No collectstatic here: plain static URLs, not the manifest's hashed names.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        from django.test import Client
        from django.utils import timezone

        from accounts.models import User
        from scoring.models import Scorecard
        from workspace import views
        from workspace.current_health import current_health_refresh

        today = timezone.localdate()
        card = Scorecard.objects.get(is_default=True)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            build_book(cursor, args.accounts, card.pk, card.version, today)
        print(f"book of {args.accounts:,} accounts built in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        current_health_refresh()
        print(f"current_health_refresh() of every account: {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE scoring_currenthealth")

        manager = Client(HTTP_HOST="127.0.0.1")
        manager.force_login(User.objects.get(username="manager"))
        csm = Client(HTTP_HOST="127.0.0.1")
        csm_user = User.objects.get(username="csm01")
        csm.force_login(csm_user)
        cases = [(f"manager: {k}", manager, v) for k, v in PAGES.items()]
        cases.append((f"CSM ({csm_user.accounts.count():,} accounts)", csm, {}))

        before: dict[str, float] = {}
        if args.before:
            old = old_book(args.before_rev)
            new = (views.book_queryset, views.BookFilters, views.book_summary)
            views.BookFilters, views.book_summary = old.BookFilters, old.book_summary
            views.book_queryset = lambda user, *, today: old.book_queryset(
                user, today=today, day=old.latest_snapshot_day(today)
            )
            for label, client, params in cases:
                before[label] = time_page(client, params, max(3, args.runs // 2))
            views.book_queryset, views.BookFilters, views.book_summary = new

        print(f"book page server time, median of {args.runs} runs:")
        for label, client, params in cases:
            report(label, time_page(client, params, args.runs), before.get(label))
    finally:
        if not args.keep:
            drop_database(DB)


if __name__ == "__main__":
    main()
