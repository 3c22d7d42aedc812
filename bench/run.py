"""`make bench`: every benchmark in turn, each in its own scratch PostgreSQL database.

.venv/bin/python bench/run.py [import recompute api ...]   (import_job only when named)
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = {
    "import": "import_bench.py",  # CSV import of 1,000,000 usage rows vs COPY
    "recompute": "recompute_bench.py",  # one day of 100,000 accounts vs a SQL floor
    "api": "api_bench.py",  # usage rows per second through the bulk endpoint
    "quality": "quality_bench.py",  # score quality on a simulated usage-and-billing book
    "book": "book_bench.py",  # the book page of a 100,000-account book vs the 150 ms aim
    "webhooks": "webhooks_bench.py",  # what watching colours and recording events cost
    "track": "track_bench.py",  # Segment-style tracking events per second through gunicorn
}
# Run only when named (`bench/run.py import_job`): minutes long.
EXTRA = {
    "import_job": "import_job_bench.py",  # a 1,000,000-row background import through a worker
}


def main() -> int:
    chosen = sys.argv[1:] or list(BENCHES)
    failed = []
    for name in chosen:
        if name not in BENCHES and name not in EXTRA:
            print(f"== {name}: no such benchmark; there are {', '.join([*BENCHES, *EXTRA])}")
            failed.append(name)
            continue
        script = HERE / {**BENCHES, **EXTRA}[name]
        if not script.exists():
            print(f"== {name}: {script.name} not found, skipped")
            continue
        print(f"== {name} ({script.name})", flush=True)
        started = time.perf_counter()
        if subprocess.call([sys.executable, str(script)], cwd=HERE) != 0:
            failed.append(name)
        print(f"== {name} took {time.perf_counter() - started:.0f} s\n", flush=True)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
