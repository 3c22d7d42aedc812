"""Imports run in the background: an upload stored under IMPORT_DIR becomes an `ImportJob`,
which a Celery worker runs (`workspace.tasks.run_import_job`) with the same import as the page
and the command line, in one transaction.

Progress goes to the cache (Redis), not to the job's row: the row must not be locked by the
import's transaction, so that the page can read it and ask for a cancel meanwhile. The worker
looks at `cancel_requested` between chunks and, when it is set, rolls everything back.
"""

import csv
import io
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from signals.formats import CsvFormat
from signals.importing import ImportResult, count_lines, csv_import, import_summary
from signals.mapping import Mapping
from signals.messages import Message, as_data
from signals.models import ImportJob, ImportJobState

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes (and cancel checks)
KEPT_ERRORS = 100_000  # errors stored with a job (the download lists them)
STOPPED = gettext_noop(
    "%(source)s: the import stopped (the server log says why); nothing was imported."
)


class ImportCancelled(Exception):
    pass


def _progress_key(job_id: int) -> str:
    return f"import-job:{job_id}:progress"


def import_job_create(*, upload, kind: str, user=None, skip_invalid=False, state=None) -> ImportJob:
    """Store an uploaded file (an UploadedFile, in memory or a temporary file) and make its job."""
    directory = Path(settings.IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return ImportJob.objects.create(
        kind=kind,
        source=upload.name[:255],
        path=str(path),
        size=path.stat().st_size,
        skip_invalid=skip_invalid,
        state=state or ImportJobState.QUEUED,
        created_by=user,
    )


def import_job_head(job: ImportJob, size: int = 256 * 1024) -> bytes:
    """The start of the stored file, cut at a line end: enough for a header and 20 rows."""
    with Path(job.path).open("rb") as stored:
        head = stored.read(size)
    if len(head) == size and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    return head


def import_job_progress(job: ImportJob) -> dict:
    """Rows done and total, rows per second and seconds left, for the progress bar."""
    done = cache.get(_progress_key(job.pk)) or 0
    if job.is_finished:
        done = job.rows_read
    total = max(job.rows_total, done, 1)
    elapsed = (
        ((job.finished_at or timezone.now()) - job.started_at).total_seconds()
        if job.started_at
        else 0
    )
    rate = done / elapsed if elapsed > 0 else 0
    # Rows are counted as read and as written; the last step (merging what was written into
    # the table) follows the last count: the bar waits at 99 % until the job is done.
    percent = 100 if job.is_finished else min(99, round(100 * done / total))
    left = round((total - done) / rate) if rate and done < total and not job.is_finished else None
    return {
        "state": job.state,
        "finished": job.is_finished,
        "rows_done": done,
        "rows_total": total,
        "percent": percent,
        "rows_per_second": round(rate),
        "seconds_left": left,
    }


def import_job_cancel(job: ImportJob) -> None:
    """Ask the worker to stop (it rolls back); a job not started yet is cancelled at once."""
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    ImportJob.objects.filter(
        pk=job.pk, state__in=[ImportJobState.QUEUED, ImportJobState.MAPPING]
    ).update(state=ImportJobState.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    if job.state == ImportJobState.CANCELLED:
        Path(job.path).unlink(missing_ok=True)


def import_job_run(
    job_id: int, on_written: Callable[[ImportResult], None] | None = None
) -> ImportJob:
    """Run a queued job to its end. `on_written(result)` is called inside the transaction when
    rows were written (the caller queues their rescoring after the commit)."""
    # A running job is taken again only when its message comes back: the worker that had it
    # died (its transaction died with it) or outran the time limit.
    claimed = ImportJob.objects.filter(
        pk=job_id, state__in=[ImportJobState.QUEUED, ImportJobState.RUNNING]
    ).update(state=ImportJobState.RUNNING, started_at=timezone.now())
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job  # cancelled before it began, or done
    steps, last = [0], [time.monotonic()]

    def stop_if_cancelled() -> None:
        # Read committed: the page's cancel is seen although this transaction began before it.
        if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise ImportCancelled

    def progress(n: int) -> None:
        # Each row is counted twice, read then written; the bar shows rows.
        steps[0] += n
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            cache.set(_progress_key(job.pk), steps[0] // 2, timeout=3600)
            stop_if_cancelled()

    mapping = Mapping.from_dict(job.mapping) if job.mapping else None
    fmt = CsvFormat.from_dict(job.fmt) if job.fmt else None
    try:
        raw = Path(job.path).read_bytes()
        job.rows_total = count_lines(raw)
        ImportJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
        with transaction.atomic():
            result = csv_import(
                kind=job.kind, raw=raw, source=job.source, skip_invalid=job.skip_invalid,
                progress=progress, mapping=mapping, fmt=fmt,
            )  # fmt: skip
            stop_if_cancelled()  # a cancel counts up to the commit
            if result.written and on_written is not None:
                on_written(result)
        job.state = ImportJobState.DONE if result.written or result.ok else ImportJobState.FAILED
        job.rows_read, job.written = result.rows, result.written
        job.created, job.updated = result.created, result.updated
        # Stored as messages and values, put into words for whoever opens the job's page.
        job.errors = [
            [e.line, as_data(e.column), as_data(e.reason)] for e in result.errors[:KEPT_ERRORS]
        ]
        job.summary = result.summary()
    except ImportCancelled:
        job.state, job.summary = ImportJobState.CANCELLED, ""
        job.rows_read = steps[0] // 2
    except Exception:  # the time limit, a lost database: rolled back; say so on the page
        logger.exception("import job %s of %s stopped", job.pk, job.source)
        job.state = ImportJobState.FAILED
        job.summary = _(STOPPED) % {"source": job.source}
        job.rows_read = steps[0] // 2
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "rows_read", "written", "created", "updated", "errors",
                            "summary", "finished_at"])  # fmt: skip
    Path(job.path).unlink(missing_ok=True)
    return job


def import_job_errors(job: ImportJob, limit: int | None = None) -> list[tuple[int, str, str]]:
    """(line, column, reason) of the job's errors, in the active language."""
    return [
        (line, str(Message.from_data(column)), str(Message.from_data(reason)))
        for line, column, reason in job.errors[:limit]
    ]


def import_job_summary(job: ImportJob) -> str:
    """What the job did, in the active language (the worker's words are in its own)."""
    if job.state == ImportJobState.FAILED and not job.errors:
        return _(STOPPED) % {"source": job.source}
    if job.state not in (ImportJobState.DONE, ImportJobState.FAILED):
        return job.summary
    return import_summary(
        source=job.source, kind=job.kind, rows=job.rows_read, written=job.written,
        created=job.created, updated=job.updated, errors=len(job.errors),
    )  # fmt: skip


def errors_csv(job: ImportJob) -> str:
    """The job's errors as CSV: line, column, reason (in the active language)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "column", "reason"])
    writer.writerows(import_job_errors(job))
    return out.getvalue()
