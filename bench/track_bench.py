"""Tracking events per second through gunicorn: Segment-style `batch` calls to /api/v1/batch.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/track_bench.py

Batches of 500 `track` events (Segment's shape: messageId, userId, event, properties,
context.groupId, timestamp), sent by client threads over HTTP to gunicorn on 127.0.0.1 with an
ingest token in HTTP Basic, as Segment sends its write key. The request reads the JSON and
queues the counting in Redis (a database of its own, BENCH_REDIS_URL, default
redis://127.0.0.1:6379/15, emptied at the end); no worker runs during the HTTP run. Then the
worker's side, the counting task itself (`count_tracked_events`: messageId de-duplication, the
daily usage upsert), is timed in-process on the same events.

DATABASE_URL only names the server: the script works in its own scratch database
(`healthscore_bench_track`), dropped at the end.
"""

import argparse
import json
import os
import sys
import time
import urllib.request
from base64 import b64encode
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_bench import start_gunicorn  # noqa: E402
from common import (  # noqa: E402
    bench_broker,
    drop_database,
    free_port,
    post_in_threads,
    use_scratch_database,
)

DATABASE = "healthscore_bench_track"
TARGET = 20_000  # events per second
EVENTS = ("Report Created", "Dashboard Viewed", "Export Downloaded", "User Invited")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--events", type=int, default=500, help="events per batch")
    parser.add_argument("--clients", type=int, default=4, help="HTTP client threads")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser.parse_args()


def batches(args) -> list[bytes]:
    out, n = [], 0
    for _ in range(args.batches):
        events = []
        for _ in range(args.events):
            events.append(
                {
                    "type": "track",
                    "messageId": f"bench-{n}",
                    "userId": f"user-{n % 5000}",
                    "event": EVENTS[n % len(EVENTS)],
                    "properties": {"plan": "pro"},
                    "context": {"groupId": f"BENCH-{n % args.accounts:05d}"},
                    "timestamp": f"2026-11-{1 + n % 28:02d}T12:00:00Z",
                }
            )
            n += 1
        out.append(json.dumps({"batch": events}).encode())
    return out


def over_http(payloads: list[bytes], key: str, port: int, clients: int) -> float:
    url = f"http://127.0.0.1:{port}/api/v1/batch"
    auth = "Basic " + b64encode(f"{key}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    warm = json.dumps({"batch": []}).encode()
    for _ in range(8):
        urllib.request.urlopen(urllib.request.Request(url, data=warm, headers=headers)).close()  # noqa: S310
    return post_in_threads(
        url,
        payloads,
        headers=headers,
        clients=clients,
        timeout=60,
        wrong=lambda answer: not answer.get("success") or answer.get("refused"),
    )


def cpu_per_event(payloads: list[bytes], key: str, events: int) -> float:
    """CPU seconds the web side spends per event, in-process through Django's test client: a
    figure of the code, not of how busy the machine's other processes keep its cores."""
    from django.test import Client

    auth = "Basic " + b64encode(f"{key}:".encode()).decode()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=auth)
    client.post("/api/v1/batch", payloads[0], content_type="application/json")  # warm up
    started = time.process_time()
    for payload in payloads[1:]:
        response = client.post("/api/v1/batch", payload, content_type="application/json")
        if response.status_code != 200 or response.json()["refused"]:
            sys.exit(f"in-process run failed: {response.content[:300]}")
    return (time.process_time() - started) / ((len(payloads) - 1) * events)


def main() -> None:
    args = parse_args()
    os.environ["API_TRACK_THROTTLE_RATE"] = "1000000/minute"  # measure the endpoint, not the limit
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    broker = bench_broker()
    use_scratch_database(DATABASE)
    from django.db import connections

    from accounts.models import Account
    from accounts.tokens import TokenKind, token_issue
    from signals.models import UsageRecord
    from signals.tasks import count_tracked_events
    from signals.tracking import compact_events

    server = None
    try:
        Account.objects.bulk_create(
            [Account(external_id=f"BENCH-{n:05d}", name=f"Bench {n}") for n in range(args.accounts)]
        )
        _, key = token_issue(name="bench", kind=TokenKind.INGEST)
        payloads = batches(args)
        total = args.batches * args.events
        size = sum(map(len, payloads)) / len(payloads) / 1e3
        print(
            f"{args.batches} batches × {args.events} track events = {total:,} events "
            f"({size:.0f} KB of JSON a batch), {args.clients} client threads, "
            f"{args.accounts:,} accounts",
            flush=True,
        )
        # In-process first, on batches of their own (other messageIds), queued like the rest.
        own = [p.replace(b'"bench-', b'"cpu-') for p in payloads[:41]]
        cpu = cpu_per_event(own, key, args.events)
        broker.delete("celery")
        connections.close_all()
        port = free_port()
        server = start_gunicorn(port)
        http_seconds = over_http(payloads, key, port, args.clients)
        queued = broker.llen("celery")
        if queued != args.batches:
            sys.exit(f"expected {args.batches} queued counting tasks, found {queued}")
        # The worker's side, in-process: the same events, compacted as the web does.
        compacted = [json.dumps(compact_events(json.loads(p)["batch"])[0]) for p in payloads]
        started = time.perf_counter()
        for events in compacted:
            count_tracked_events(events)
        count_seconds = time.perf_counter() - started
        counted = sum(UsageRecord.objects.values_list("value", flat=True))
        if counted != total:
            sys.exit(f"counted {counted:,.0f} events, expected {total:,}")
        again = time.perf_counter()
        count_tracked_events(compacted[0])  # a retried batch: every messageId seen, adds nothing
        retry_ms = (time.perf_counter() - again) * 1000
        if sum(UsageRecord.objects.values_list("value", flat=True)) != total:
            sys.exit("a retried batch was counted twice")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        broker.delete("celery", *broker.scan_iter("_kombu.binding*"))
        if not args.keep:
            drop_database(DATABASE)

    rate = total / http_seconds
    verdict = "meets" if rate >= TARGET else "MISSES"
    print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"web side, in-process: {cpu * 1e6:.0f} µs of CPU an event, "
          f"i.e. {1 / cpu:,.0f} events/s per core")  # fmt: skip
    print(f"gunicorn, /api/v1/batch: {total:,} events in {http_seconds:.2f} s")
    print(f"counting (worker side, in-process): {total / count_seconds:,.0f} events/s; "
          f"a retried batch of {args.events}: {retry_ms:.0f} ms, nothing added")  # fmt: skip
    print(f"\ntracking endpoint: {rate:,.0f} events/s {verdict} the {TARGET:,} events/s aim.")


if __name__ == "__main__":
    main()
