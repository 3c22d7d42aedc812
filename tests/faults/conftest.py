"""Fixtures for the fault tests: a Redis server of the test's own, real Celery workers on the
pytest PostgreSQL database, and a way to kill or stop them.

Every test gets a fresh `redis-server` on a free port of 127.0.0.1 (nothing else's queue can
interfere, and the test may stop and restart it), and every process a test starts is stopped
when it ends, whatever happened.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from kombu import pools

from healthscore.celery import app
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")

# `celery worker`, with one test hook: FAULTS_SLOW="module.function=seconds" makes each worker
# process sleep before every call of that function, so that a test can hit a worker in the
# middle of a run instead of racing it. Signal handlers connected here reach the pool processes,
# which are forked from this one.
WORKER_MAIN = """
import importlib, os, sys, time
from celery.signals import worker_process_init

@worker_process_init.connect
def _slow_down(**kwargs):
    spec = os.environ.get("FAULTS_SLOW")
    if not spec:
        return
    target, seconds = spec.split("=")
    module_name, name = target.rsplit(".", 1)
    module = importlib.import_module(module_name)
    real = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(float(seconds))
        return real(*args, **kwargs)

    setattr(module, name, slow)

from celery.__main__ import main
sys.argv = ["celery", *sys.argv[1:]]
sys.exit(main())
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(
    check: Callable[[], object],
    *,
    timeout: float,
    what: str,
    workers: tuple["Worker", ...] = (),
    every: float = 0.2,
):
    """Poll `check` until it returns something truthy; fail with the workers' logs if it does
    not within `timeout` seconds, or as soon as one of `workers` exits."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        for worker in workers:
            if not worker.alive():
                pytest.fail(f"worker {worker.name} exited waiting for {what}:\n{worker.log()}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- worker {w.name}:\n{w.log()[-4000:]}" for w in workers)
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{logs}")
        time.sleep(every)


class RedisServer:
    """A throw-away `redis-server` (no persistence) on a port of its own."""

    def __init__(self, port: int, directory: Path):
        self.port = port
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

        def answers() -> bool:
            try:
                return bool(self.client().ping())
            except redis.RedisError:
                return False

        wait_until(answers, timeout=10, what=f"redis-server on port {self.port}", every=0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class Worker:
    """A real `celery worker` process (and its pool) in a process group of its own."""

    def __init__(self, name: str, process: subprocess.Popen, log_path: Path):
        self.name = name
        self.process = process
        self.log_path = log_path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """kill -9 the main process and every pool process at once: nothing acks, nothing
        cleans up, as when a machine dies."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        self._signal_group(signal.SIGKILL)  # whatever of the group is left
        if self.alive():
            self.process.wait(timeout=10)


def _database_url() -> str:
    db = settings.DATABASES["default"]
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _fresh_broker_pools() -> None:
    # Connections are pooled per broker address; drop the pool so the next send uses the
    # address now configured.
    # kombu keeps its connection and producer pools in a registry keyed by address: reset the
    # registry (closing a pool in it would leave a closed pool for the next user).
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    # The result backend is built once per thread from result_backend: build it anew too.
    app._backend_cache = None
    app._local = threading.local()


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    if not REDIS_SERVER:
        message = "the fault tests need the redis-server binary"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(free_port(), directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server) -> Iterator[RedisServer]:
    """This process's Celery app sends to the test's own Redis, never in-process; its result
    store is there too, as in production (both are REDIS_URL)."""
    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager)
    _fresh_broker_pools()
    app.conf.broker_url = app.conf.result_backend = redis_server.url
    app.conf.task_always_eager = False
    yield redis_server
    _fresh_broker_pools()
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved


@pytest.fixture
def dead_broker(settings) -> Iterator[str]:
    """Redis down, as production sees it: broker, result store and cache all at an address of
    127.0.0.1 where nothing listens."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager)
    _fresh_broker_pools()
    app.conf.broker_url = app.conf.result_backend = url
    app.conf.task_always_eager = False
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "healthscore.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    yield url
    _fresh_broker_pools()
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved


@pytest.fixture
def start_worker(broker, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start `celery worker` processes on the test database and the test's Redis; all of them
    are stopped (or killed) when the test ends."""
    started: list[Worker] = []

    def start(name: str, *, slow: str = "", **env: str) -> Worker:
        log_path = tmp_path / f"worker-{name}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": broker.url,
            "SECRET_KEY": "fault-tests",
            "LOG_FORMAT": "plain",
            "FAULTS_SLOW": slow,
            **env,
        }
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", WORKER_MAIN, "-A", "healthscore", "worker",
                 "--pool=prefork", "--concurrency=1", "--loglevel=info", f"--hostname={name}@%h",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so kill -9 reaches the pool
            )  # fmt: skip
        worker = Worker(name, process, log_path)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
