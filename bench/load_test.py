"""Load test: the book page and the account page at 50 concurrent users, against the production
processes of `make serve` (bin/serve: gunicorn, a Celery worker, Celery beat) on 127.0.0.1, on
a 10,000-account book.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/load_test.py
    (or `make load`; options: --users 50 --duration 60 --accounts 10000 --keep --reuse)

1. The book: in a scratch database (`healthscore_load`), the demo generator's book of
   --accounts accounts with 35 days of facts (`demo_seed`: usage, revenue, invoices, tickets,
   NPS, e-mails, sentiment; three CSMs and a manager), scored for today, 7 and 30 days ago (so
   the trend arrows and the account chart have history). --reuse takes a database left by
   --keep as it is.
2. The server: bin/serve on a free port, with a redis-server of its own (broker and cache) on
   another free port; gunicorn has WEB_WORKERS workers (bin/serve's default unless set).
3. The users: each logs in (half as the manager, who sees every account, half as the CSM
   `csm1`, who sees their own), loads each page once to warm up, then for --duration seconds
   loads the book page and an account page it may see (picked at random), back to back with
   no think time. Static files are not fetched (a browser keeps them).
4. Prints, per page and per role, the requests, requests per second, p50, p95 and slowest
   answer, and the failures (any answer but 200, errors, 30 s time-outs); exits non-zero if
   any request failed. Then stops the server and Redis and, without --keep, drops the database.
"""

import argparse
import contextlib
import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, drop_database, free_port, use_scratch_database  # noqa: E402

DATABASE = "healthscore_load"
TIMEOUT = 30  # seconds a request may take before it counts as failed
CSM = "csm1"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50, help="concurrent users")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="use the scratch database kept by --keep, if any"
    )
    return parser.parse_args()


# ---------------------------------------------------------------- the book


def scratch_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not urlparse(base).scheme.startswith("postgres"):
        sys.exit("The load test needs PostgreSQL: set DATABASE_URL=postgres://...")
    return urlunparse(urlparse(base)._replace(path=f"/{DATABASE}"))


def kept_book(accounts: int) -> bool:
    """True if the scratch database holds a scored book of `accounts` accounts."""
    import psycopg

    try:
        conn = psycopg.connect(scratch_url(), connect_timeout=5)
    except psycopg.OperationalError:
        return False
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM accounts_account),"
                " (SELECT count(*) FROM scoring_healthsnapshot WHERE date = current_date)"
            )
            count, scored = cursor.fetchone()
        return count == accounts and scored > 0
    except psycopg.Error:
        return False
    finally:
        conn.close()


def build_book(accounts: int, reuse: bool) -> None:
    os.environ.pop("REDIS_URL", None)  # this process scores in-process; the server gets Redis
    if reuse and kept_book(accounts):
        print(f"Reusing the book in {DATABASE}.", flush=True)
        os.environ["DATABASE_URL"] = scratch_url()
        os.environ.setdefault("SECRET_KEY", "bench-only")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthscore.settings")
        import django

        django.setup()
        analyze()
        return
    started = time.perf_counter()
    use_scratch_database(DATABASE)
    from django.utils import timezone

    from demo.generator import demo_seed
    from scoring.recompute import health_recompute, load_scorecards

    demo_seed(accounts=accounts, days=35)
    seeded = time.perf_counter()
    today = timezone.localdate()
    scorecards = load_scorecards()
    for back in (30, 7, 0):
        health_recompute(as_of=today - timedelta(days=back), scorecards=scorecards)
    analyze()
    print(
        f"Built the book in {DATABASE}: {accounts:,} accounts seeded in "
        f"{seeded - started:.0f} s, 3 days scored in {time.perf_counter() - seeded:.0f} s.",
        flush=True,
    )


def analyze() -> None:
    """Planner statistics for the book, as autovacuum keeps them in production: a server run
    with autovacuum off (this machine's) has none after the bulk load, and PostgreSQL then
    reads one account's 30 days of usage through the (date, account) index, 8-30 ms instead
    of 0.1 ms, on every account page."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@dataclass
class Book:
    accounts: int
    active: int
    manager_sees: list[int]
    csm_sees: list[int]


def read_book() -> Book:
    from django.db import connections
    from django.utils import timezone

    from accounts.models import Account
    from scoring.models import HealthSnapshot

    today = timezone.localdate()
    scored = list(HealthSnapshot.objects.filter(date=today).values_list("account_id", flat=True))
    mine = list(Account.objects.filter(owner__username=CSM).values_list("pk", flat=True))
    book = Book(
        accounts=Account.objects.count(),
        active=len(scored),
        manager_sees=list(Account.objects.values_list("pk", flat=True)),
        csm_sees=mine,
    )
    connections.close_all()
    return book


# ---------------------------------------------------------------- the server


class Server:
    """redis-server and bin/serve, each in a process group of its own."""

    def __init__(self, port: int, logs: Path):
        self.port = port
        self.redis_port = free_port()
        self.logs = logs
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        redis_server = shutil.which("redis-server")
        if not redis_server:
            sys.exit("The load test needs the redis-server binary.")
        self._spawn(
            [redis_server, "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.logs)],
            "redis.log",
            os.environ,
        )  # fmt: skip
        env = {
            **os.environ,
            "DATABASE_URL": scratch_url(),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "PORT": str(self.port),
            "LOG_LEVEL": "WARNING",  # the access log still says every request
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self._spawn([str(ROOT / "bin" / "serve")], "serve.log", env)
        deadline = time.monotonic() + 180  # migrate and collectstatic come first
        while time.monotonic() < deadline:
            if self.processes[-1].poll() is not None:
                sys.exit(f"bin/serve exited; see {self.logs / 'serve.log'}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz", {}, timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        sys.exit(f"bin/serve did not answer /healthz in time; see {self.logs / 'serve.log'}")

    def _spawn(self, command: list[str], log_name: str, env) -> None:
        with (self.logs / log_name).open("w") as log:
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def stop(self) -> None:
        for process in reversed(self.processes):  # the app first, then its Redis
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left
            process.wait(timeout=10)


# ---------------------------------------------------------------- the users


def request(port: int, method: str, path: str, cookies: dict, *, body=None, timeout=TIMEOUT):
    """One HTTP request on a fresh connection (gunicorn's sync workers close each one);
    returns (status, Set-Cookie values, body)."""
    headers = {"Host": "127.0.0.1"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        return response.status, response.headers.get_all("Set-Cookie") or [], content
    finally:
        conn.close()


@dataclass
class User:
    port: int
    username: str
    role: str
    visible: list[int]
    cookies: dict = field(default_factory=dict)

    def _remember(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value

    def log_in(self, password: str) -> None:
        status, set_cookies, page = request(self.port, "GET", "/login/", {})
        self._remember(set_cookies)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise RuntimeError(f"login page answered {status}")
        form = {"username": self.username, "password": password, "csrfmiddlewaretoken": token[1]}
        status, set_cookies, _ = request(
            self.port, "POST", "/login/", self.cookies, body=urlencode(form)
        )
        self._remember(set_cookies)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{self.username} could not log in (HTTP {status})")

    def pages(self, rng: random.Random):
        """The book page, then an account page, for ever."""
        while True:
            yield "book page", "/accounts/"
            yield "account page", f"/accounts/{rng.choice(self.visible)}/"


@dataclass
class Sample:
    page: str
    role: str
    seconds: float
    ok: bool


def drive(user: User, until: float, samples: list[Sample], errors: list[str], seed: int) -> None:
    rng = random.Random(seed)
    for page, path in user.pages(rng):
        if time.monotonic() >= until:
            return
        started = time.perf_counter()
        try:
            status, _, _ = request(user.port, "GET", path, user.cookies)
            ok = status == 200
            if not ok:
                errors.append(f"{page} {path} as {user.username}: HTTP {status}")
        except (OSError, http.client.HTTPException) as exc:
            ok = False
            errors.append(f"{page} {path} as {user.username}: {exc!r}")
        samples.append(Sample(page, user.role, time.perf_counter() - started, ok))


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(share * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def report(samples: list[Sample], seconds: float) -> None:
    print(
        f"{'page':<24} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'max ms':>7} {'failed':>6}"
    )
    rows = []
    for page in ("book page", "account page"):
        rows.append((page, [s for s in samples if s.page == page]))
        for role in ("manager", "CSM"):
            rows.append((f"  as {role}", [s for s in samples if s.page == page and s.role == role]))
    rows.append(("all", samples))
    for label, chosen in rows:
        times = sorted(s.seconds * 1000 for s in chosen)
        if not times:
            continue
        failed = sum(not s.ok for s in chosen)
        print(
            f"{label:<24} {len(times):>8} {len(times) / seconds:>7.1f} "
            f"{percentile(times, 0.50):>7.0f} {percentile(times, 0.95):>7.0f} "
            f"{times[-1]:>7.0f} {failed:>6}"
        )


def main() -> int:
    args = parse_args()
    build_book(args.accounts, args.reuse)
    from demo.generator import DEMO_PASSWORD

    book = read_book()
    logs = Path(tempfile.mkdtemp(prefix="healthscore-load-"))
    server = Server(free_port(), logs)
    failed = 0
    try:
        print(f"Starting bin/serve on 127.0.0.1:{server.port} (logs in {logs}) ...", flush=True)
        server.start()
        users = [
            User(server.port, "manager", "manager", book.manager_sees)
            if n % 2 == 0
            else User(server.port, CSM, "CSM", book.csm_sees)
            for n in range(args.users)
        ]
        warm_errors: list[str] = []

        def arrive(user: User) -> None:
            try:
                user.log_in(DEMO_PASSWORD)
                for path in ("/accounts/", f"/accounts/{user.visible[0]}/"):
                    status, _, _ = request(user.port, "GET", path, user.cookies)
                    if status != 200:
                        warm_errors.append(f"{path} as {user.username}: HTTP {status}")
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                warm_errors.append(repr(exc))

        threads = [threading.Thread(target=arrive, args=(u,)) for u in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if warm_errors:
            sys.exit(f"warm-up failed: {warm_errors[:3]}")
        print(f"{len(users)} users logged in; loading for {args.duration:.0f} s ...", flush=True)

        samples: list[Sample] = []
        errors: list[str] = []
        started = time.monotonic()
        until = started + args.duration
        threads = [
            threading.Thread(target=drive, args=(u, until, samples, errors, n))
            for n, u in enumerate(users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        workers = os.environ.get("WEB_WORKERS", str(os.cpu_count()))  # bin/serve's default
        print(
            f"\n{args.users} users for {seconds:.0f} s against bin/serve on 127.0.0.1 "
            f"(gunicorn with {workers} workers); {os.cpu_count()} CPU cores, shared with this "
            "client and PostgreSQL."
        )
        print(
            f"Book: {book.accounts:,} accounts, {book.active:,} scored today; the manager sees "
            f"all {len(book.manager_sees):,}, the CSM {CSM} owns {len(book.csm_sees):,}."
        )
        report(samples, seconds)
        print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
        failed = len(errors)
        if errors:
            print(f"\n{failed} requests failed, for example:\n  " + "\n  ".join(errors[:5]))
        else:
            print("No request failed.")
    finally:
        server.stop()
        if not args.keep:
            drop_database(DATABASE)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
