"""A background import of a 1,000,000-row usage CSV, as the import page starts one: the file
stored as an ImportJob, run by a real `celery worker`, polled for progress; prints rows/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_job_bench.py

`make bench` leaves it out (it takes minutes); `bench/run.py import_job` runs it. Redis is the
broker (a database of its own, BENCH_REDIS_URL, default redis://127.0.0.1:6379/15, emptied at
the end). DATABASE_URL only names the server: the script works in its own scratch database
(`healthscore_bench_import_job`), dropped at the end.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, bench_broker, drop_database, use_scratch_database  # noqa: E402

DATABASE = "healthscore_bench_import_job"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser.parse_args()


def usage_csv(external_ids: list[str], days: int) -> bytes:
    out = io.StringIO()
    out.write("account,date,metric,value\n")
    first = date(2026, 1, 1)
    for day in range(days):
        text = (first + timedelta(days=day)).isoformat()
        for n, external_id in enumerate(external_ids):
            out.write(f"{external_id},{text},logins,{(n + day) % 97}\n")
    return out.getvalue().encode()


def main() -> None:
    args = parse_args()
    imports = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    os.environ["IMPORT_DIR"] = str(imports)
    broker = bench_broker()
    use_scratch_database(DATABASE)
    from django.core.files import File
    from django.db import transaction

    from accounts.models import Account
    from jobs.queueing import enqueue
    from signals.import_jobs import import_job_create, import_job_progress
    from signals.models import UsageRecord
    from workspace.tasks import run_import_job

    worker = None
    try:
        external_ids = [f"BENCH-{n:06d}" for n in range(args.accounts)]
        Account.objects.bulk_create(
            [Account(external_id=e, name=f"Bench {e}") for e in external_ids], batch_size=5000
        )
        raw = usage_csv(external_ids, args.days)
        rows = args.accounts * args.days
        source = imports / "usage.csv"
        source.write_bytes(raw)
        print(f"{rows:,} usage rows, {len(raw) / 1e6:.0f} MB; starting a worker", flush=True)
        worker = subprocess.Popen(  # noqa: S603 - our own worker
            [sys.executable, "-m", "celery", "-A", "healthscore", "worker", "--pool=solo",
             "--loglevel=warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=dict(os.environ), start_new_session=True,
        )  # fmt: skip
        with source.open("rb") as handle, transaction.atomic():
            job = import_job_create(upload=File(handle, name="usage.csv"), kind="usage")
            enqueue(run_import_job, job.pk)  # sent when this commits, as from the page
        source.unlink()
        sent = time.perf_counter()
        last = ""
        while True:
            job.refresh_from_db()
            progress = import_job_progress(job)
            line = f"  {job.state:<8} {progress['rows_done']:>9,} rows {progress['percent']:>3} %"
            if progress["rows_per_second"]:
                line += f"  {progress['rows_per_second']:>7,} rows/s"
            if progress["seconds_left"] is not None:
                line += f"  {progress['seconds_left']} s left"
            if line != last:
                print(line, flush=True)
                last = line
            if job.is_finished:
                break
            if worker.poll() is not None:
                sys.exit("the worker exited")
            time.sleep(2)
        if job.state != "done" or UsageRecord.objects.count() != rows:
            sys.exit(f"the job ended {job.state}: {job.summary}")
        run = (job.finished_at - job.started_at).total_seconds()
        waited = time.perf_counter() - sent
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)
        broker.delete("celery", *broker.scan_iter("_kombu.binding*"))
        if not args.keep:
            drop_database(DATABASE)
    print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{job.summary}")
    print(f"background import: {rows / run:,.0f} rows/s ({run:.1f} s in the worker, "
          f"{waited:.1f} s from queueing to done, the worker's start-up included)")  # fmt: skip


if __name__ == "__main__":
    main()
