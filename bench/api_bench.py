"""Usage rows ingested per second through the bulk endpoint (POST /api/v1/usage/) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api_bench.py

Requests of 10,000 rows (the most one request takes), with an ingest token, measured two ways:

(a) in-process through Django's test client: the whole server side (authentication,
    throttling, JSON parsing, the CSV import's validation, the upsert, the rescoring message)
    without a network;
(b) over HTTP to gunicorn on 127.0.0.1 (2 workers; 2 client threads, --clients), as an integrator's sync
    job would send them.

Both first load new rows (COPY), then send the same rows again (every row already there and
unchanged: the INSERT ... ON CONFLICT path). As in production, Redis is the broker: a request
only enqueues the rescoring of the accounts it touched. The benchmark uses a Redis database of
its own (BENCH_REDIS_URL, default redis://127.0.0.1:6379/15), whose queued messages it
deletes at the end; no worker runs.

DATABASE_URL only names the server: the script works in its own scratch database
(`healthscore_bench_api`), dropped at the end.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ROOT,
    bench_broker,
    drop_database,
    free_port,
    post_in_threads,
    use_scratch_database,
)

DATABASE = "healthscore_bench_api"
TARGET = 20_000  # rows per second


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per measurement")
    parser.add_argument("--rows", type=int, default=10_000, help="rows per request")
    parser.add_argument("--clients", type=int, default=2, help="HTTP client threads")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser.parse_args()


def bodies(external_ids: list[str], requests: int, rows: int, first_day: date, tag: str):
    """`requests` JSON bodies of `rows` usage rows each, no key repeated across them."""
    out = []
    n = 0
    for _ in range(requests):
        batch = []
        for _ in range(rows):
            account = external_ids[n % len(external_ids)]
            day = first_day + timedelta(days=n // len(external_ids))
            batch.append(
                {"account": account, "date": day.isoformat(), "metric": tag, "value": n % 500}
            )
            n += 1
        out.append(json.dumps(batch).encode())
    return out


def check(answer: dict, rows: int, *, created: int) -> None:
    if answer.get("rows") != rows or answer.get("created") != created:
        sys.exit(f"unexpected answer: {str(answer)[:500]}")


def in_process(payloads: list[bytes], key: str, rows: int, *, created: int) -> float:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    client.post("/api/v1/usage/", b"[]", content_type="application/json")  # warm up
    started = time.perf_counter()
    for payload in payloads:
        response = client.post("/api/v1/usage/", payload, content_type="application/json")
        check(response.json(), rows, created=created)
    return time.perf_counter() - started


def over_http(
    payloads: list[bytes], key: str, rows: int, *, port: int, created: int, clients: int
) -> float:
    url = f"http://127.0.0.1:{port}/api/v1/usage/"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for _ in range(4):  # warm up both workers (imports, URLs, connections)
        request = urllib.request.Request(url, data=b"[]", headers=headers)
        urllib.request.urlopen(request, timeout=60).close()  # noqa: S310
    return post_in_threads(
        url,
        payloads,
        headers=headers,
        clients=clients,
        timeout=120,
        wrong=lambda answer: answer.get("rows") != rows or answer.get("created") != created,
    )


def start_gunicorn(port: int) -> subprocess.Popen:
    env = dict(os.environ)  # the scratch database, Redis, the rate limit lifted
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, on the loopback address
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "healthscore.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


def main() -> None:
    args = parse_args()
    # Measure the ingest, not the rate limit; plain HTTP on the loopback address.
    os.environ["API_INGEST_THROTTLE_RATE"] = "100000/minute"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    broker = bench_broker()
    use_scratch_database(DATABASE)
    from accounts.models import Account
    from accounts.tokens import TokenKind, token_issue
    from signals.models import UsageRecord

    server = None
    queued = 0
    try:
        external_ids = [f"BENCH-{n:06d}" for n in range(args.accounts)]
        Account.objects.bulk_create(
            [Account(external_id=e, name=f"Bench customer {e}") for e in external_ids],
            batch_size=5000,
        )
        _, key = token_issue(name="bench", kind=TokenKind.INGEST)
        per_run = args.requests * args.rows
        first_day = date(2026, 1, 1)
        local = bodies(external_ids, args.requests, args.rows, first_day, "logins")
        remote = bodies(external_ids, args.requests, args.rows, first_day, "exports")
        size = sum(map(len, local)) / len(local) / 1e6
        print(
            f"{args.requests} requests × {args.rows:,} usage rows = {per_run:,} rows per run "
            f"({size:.2f} MB of JSON a request), {args.accounts:,} accounts",
            flush=True,
        )
        figures = []

        def run(label: str, measure) -> None:
            print(f"  {label} ...", end="", flush=True)
            seconds = measure()
            print(f" {seconds:.2f} s", flush=True)
            figures.append((label, per_run, seconds))

        run(
            "(a) test client, new rows",
            lambda: in_process(local, key, args.rows, created=args.rows),
        )
        run(
            "    test client, same rows again", lambda: in_process(local, key, args.rows, created=0)
        )
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = start_gunicorn(port)
        run(
            "(b) gunicorn HTTP, new rows",
            lambda: over_http(
                remote, key, args.rows, port=port, created=args.rows, clients=args.clients
            ),
        )
        run(
            "    gunicorn HTTP, same rows again",
            lambda: over_http(remote, key, args.rows, port=port, created=0, clients=args.clients),
        )
        if UsageRecord.objects.count() != 2 * per_run:
            sys.exit("the usage table does not hold the rows it should")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        queued = broker.llen("celery")
        # The rescoring messages no worker was there to take, and the queue's binding.
        broker.delete("celery", *broker.scan_iter("_kombu.binding*"))
        if not args.keep:
            drop_database(DATABASE)

    print(f"\nRescoring messages enqueued (one a request): {queued}")
    print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'step':<36} {'rows':>10} {'seconds':>8} {'rows/s':>10}")
    for label, rows, seconds in figures:
        print(f"{label:<36} {rows:>10,} {seconds:>8.2f} {rows / seconds:>10,.0f}")
    best_new = min(figures[0][2], figures[2][2])
    rate = per_run / best_new
    verdict = "meets" if rate >= TARGET else "MISSES"
    print(
        f"\nbulk endpoint, new usage rows: {rate:,.0f} rows/s {verdict} the {TARGET:,} rows/s aim."
    )


if __name__ == "__main__":
    main()
