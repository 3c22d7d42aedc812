"""Import speed on PostgreSQL: a 1,000,000-row usage CSV through `csv_import`, beside the floor
(PostgreSQL's own COPY of the same file into a bare table).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_bench.py

DATABASE_URL only says which server to use: the script drops and creates its own scratch
database (`healthscore_bench` unless --database says otherwise), migrates it, and drops it
again at the end, so the tables of the named database are never touched.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=50)
    parser.add_argument("--database", default="healthscore_bench", help="scratch database name")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    return parser.parse_args()


def scratch_url(server_url: str, name: str) -> str:
    parts = urlparse(server_url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"DATABASE_URL must point at PostgreSQL, not {parts.scheme or server_url!r}")
    if "bench" not in name:  # it is dropped: never let it be a real database by mistake
        sys.exit(f"the scratch database's name must contain 'bench', not {name!r}")
    if parts.path.lstrip("/") == name:
        sys.exit(f"DATABASE_URL already names {name!r}; point it at another database of the server")
    return urlunparse(parts._replace(path=f"/{name}"))


def recreate_database(server_url: str, name: str, *, drop_only: bool = False) -> None:
    """(Re)create the scratch database through a connection to the server's named database."""
    import psycopg
    from psycopg import sql

    # CREATE/DROP DATABASE cannot run inside a transaction.
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if not drop_only:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def usage_csv(external_ids: list[str], days: int, first_day: date, *, bump: int = 0) -> bytes:
    """account × day rows of one metric; `bump` shifts every value (to force updates)."""
    out = io.StringIO()
    out.write("account,date,metric,value\n")
    day_texts = [(first_day + timedelta(days=n)).isoformat() for n in range(days)]
    for number, external_id in enumerate(external_ids):
        for day_number, day_text in enumerate(day_texts):
            out.write(f"{external_id},{day_text},logins,{(number + day_number + bump) % 500}\n")
    return out.getvalue().encode()


def copy_file(cursor, sql: str, file) -> None:
    """Send a file as it is to a COPY ... FROM STDIN (`cursor` is Django's)."""
    with cursor.cursor.copy(sql) as copy:
        while data := file.read(1 << 20):
            copy.write(data)


def timed(label: str, rows: int, run) -> tuple[str, int, float]:
    print(f"  {label} ...", end="", flush=True)
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    print(f" {seconds:.2f} s", flush=True)
    return label, rows, seconds


def main() -> None:
    args = parse_args()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    bench_url = scratch_url(server_url, args.database)
    recreate_database(server_url, args.database)

    # Django is configured only now, against the scratch database.
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthscore.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Account
    from signals.importing import csv_import
    from signals.models import UsageRecord

    try:
        print(f"Scratch database {args.database}: migrating ...", flush=True)
        call_command("migrate", verbosity=0, interactive=False)
        external_ids = [f"BENCH-{n:06d}" for n in range(args.accounts)]
        Account.objects.bulk_create(
            [Account(external_id=e, name=f"Bench customer {e}") for e in external_ids],
            batch_size=5000,
        )
        rows = args.accounts * args.days
        first_day = date(2026, 1, 1)
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "usage.csv"
            path.write_bytes(usage_csv(external_ids, args.days, first_day))
            changed = Path(scratch) / "usage-changed.csv"
            changed.write_bytes(usage_csv(external_ids, args.days, first_day, bump=1))
            # The same rows with account ids instead of external ids, for the second floor.
            pks = dict(Account.objects.values_list("external_id", "pk"))
            with_pks = Path(scratch) / "usage-pks.csv"
            with_pks.write_bytes(
                usage_csv([str(pks[e]) for e in external_ids], args.days, first_day)
            )
            size_mb = path.stat().st_size / 1e6
            print(
                f"Usage file: {rows:,} rows ({args.accounts:,} accounts × {args.days} days), "
                f"{size_mb:.1f} MB",
                flush=True,
            )

            def import_file(file: Path, expect_created: int):
                def run():
                    result = csv_import(kind="usage", raw=file.read_bytes(), source=file.name)
                    if not result.ok or result.written != rows or result.created != expect_created:
                        sys.exit(
                            f"import went wrong: {result.summary()} {result.error_lines()[:5]}"
                        )

                return run

            def copy_floor():
                with connection.cursor() as cursor, path.open("rb") as file:
                    cursor.execute(
                        "CREATE TABLE bench_usage_floor "
                        "(account text, date date, metric text, value double precision)"
                    )
                    copy_file(
                        cursor,
                        "COPY bench_usage_floor FROM STDIN WITH (FORMAT csv, HEADER true)",
                        file,
                    )
                    cursor.execute("DROP TABLE bench_usage_floor")

            def copy_indexed():
                # What PostgreSQL alone needs to add the rows to a table shaped like the usage
                # table: its indexes, checks and deferred foreign key (checked at the commit).
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "CREATE TABLE bench_usage_like (LIKE signals_usagerecord INCLUDING ALL)"
                    )
                    cursor.execute(
                        "ALTER TABLE bench_usage_like ADD FOREIGN KEY (account_id) "
                        "REFERENCES accounts_account (id) DEFERRABLE INITIALLY DEFERRED"
                    )
                    with with_pks.open("rb") as file:
                        copy_file(
                            cursor,
                            "COPY bench_usage_like (account_id, date, metric, value) "
                            "FROM STDIN WITH (FORMAT csv, HEADER true)",
                            file,
                        )
                with connection.cursor() as cursor:
                    cursor.execute("DROP TABLE bench_usage_like")

            print("Timing:", flush=True)
            figures = [
                timed("(a) csv_import, empty table", rows, import_file(path, rows)),
                timed("(b) csv_import, same file again", rows, import_file(path, 0)),
                timed("    csv_import, every value changed", rows, import_file(changed, 0)),
                timed("    COPY, usage indexes + FK, ids given", rows, copy_indexed),
                timed("(c) COPY into a bare table (floor)", rows, copy_floor),
            ]
            if UsageRecord.objects.count() != rows:
                sys.exit("the usage table does not hold the rows it should")
    finally:
        connection.close()
        if not args.keep:
            recreate_database(server_url, args.database, drop_only=True)

    floor = figures[-1][2]
    # Other work on the machine slows every figure: say how busy it was.
    print(f"\nLoad average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'step':<40} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'× COPY':>7}")
    for label, count, seconds in figures:
        print(
            f"{label:<40} {count:>10,} {seconds:>8.2f} {count / seconds:>10,.0f} "
            f"{seconds / floor:>7.1f}"
        )
    first = figures[0]
    verdict = "meets" if first[1] / first[2] >= 50_000 else "MISSES"
    print(
        f"\nimport/COPY time ratio {first[2] / floor:.1f}; "
        f"(a) {first[1] / first[2]:,.0f} rows/s {verdict} the 50,000 rows/s target."
    )


if __name__ == "__main__":
    main()
