"""Shared set-up for the benchmarks: a scratch PostgreSQL database of their own, a Redis
database of their own, a free port, and client threads posting to a server."""

import json
import os
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def use_scratch_database(name: str) -> None:
    """Point Django at a fresh database `name` on the server of DATABASE_URL, then migrate."""
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    url = urlparse(base)
    if not url.scheme.startswith("postgres"):
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    # CREATE/DROP DATABASE cannot run inside a transaction.
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunparse(url._replace(path=f"/{name}"))
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthscore.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_broker():
    """The benchmarks' Redis database (BENCH_REDIS_URL), made the app's broker and cache
    (REDIS_URL) before Django starts; exits when it does not answer."""
    import redis

    os.environ["REDIS_URL"] = REDIS
    broker = redis.Redis.from_url(REDIS)
    try:
        broker.ping()
    except redis.RedisError as exc:
        sys.exit(f"The benchmark needs Redis at {REDIS} (BENCH_REDIS_URL): {exc}")
    return broker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post_in_threads(
    url: str,
    payloads: list[bytes],
    *,
    headers: dict[str, str],
    clients: int,
    timeout: float,
    wrong: Callable[[dict], bool],
) -> float:
    """Seconds `clients` threads take to POST `payloads` to `url` between them (each every
    clients-th one, in turn); exits with the first failures, answers `wrong` refuses among them."""
    errors: list[str] = []

    def send(mine: list[bytes]) -> None:
        for payload in mine:
            request = urllib.request.Request(url, data=payload, headers=headers)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                    answer = json.load(response)
                if wrong(answer):
                    errors.append(str(answer)[:300])
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))

    threads = [threading.Thread(target=send, args=(payloads[i::clients],)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        sys.exit(f"HTTP run failed: {errors[:3]}")
    return seconds
