"""The import page's column mapping and its background jobs: map the columns of any CSV file
(a proposal, a preset or a saved mapping to start from), see the first 20 rows parsed, import in
a Celery worker with a progress bar, then the result with its errors (downloadable)."""

from itertools import islice

from django.contrib.auth.decorators import user_passes_test
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jobs.queueing import enqueue
from signals.formats import CsvFormat, sniff_delimiter
from signals.forms import NOT_MAPPED, MappingForm
from signals.import_jobs import (
    errors_csv,
    import_job_cancel,
    import_job_errors,
    import_job_head,
    import_job_progress,
    import_job_summary,
)
from signals.importing import open_rows
from signals.kinds import KINDS
from signals.mapping import Mapping, Source, propose
from signals.models import ImportJob, ImportJobState
from signals.reading import FileError, RowError, first_line, read_csv
from signals.saved_mappings import UnknownMapping, mapping_named, mapping_save, mappings_for
from workspace.import_views import SHOWN_ERRORS, can_import
from workspace.tasks import run_import_job

PREVIEW_ROWS = 20
DECIMAL_OF = {"auto": None, "point": False, "comma": True}


def _file_header(head: bytes, delimiter: str) -> tuple[list[str], list[list[str]]]:
    header, rows = read_csv(head, delimiter or sniff_delimiter(first_line(head)), keep_case=True)
    return header, [cells for _line, cells in islice(rows, PREVIEW_ROWS)]


def _base_mapping(name: str, kind: str, header, samples) -> Mapping:
    if name:
        try:
            return mapping_named(name, kind)
        except UnknownMapping:
            pass
    return propose(KINDS[kind], header, samples)


def _posted_mapping(form: MappingForm, base: Mapping) -> Mapping:
    """The mapping the selects say; a field left on its base column keeps the base's transform."""
    fields = {}
    for column in form.kind.columns:
        chosen = form.cleaned_data.get(f"field_{column.name}", NOT_MAPPED)
        source = base.fields.get(column.name)
        if chosen != NOT_MAPPED:
            fields[column.name] = source if source and source.column == chosen else Source(chosen)
        elif source and not source.column and source.default:
            fields[column.name] = source  # a fixed value, no column
    fmt = CsvFormat(
        delimiter=form.cleaned_data["delimiter"],
        date_format=form.cleaned_data["date_format"],
        decimal_comma=DECIMAL_OF[form.cleaned_data["decimal"]],
    )
    return Mapping(base.kind, fields, fmt)


def _initial(mapping: Mapping, start_from: str) -> dict:
    decimal = {None: "auto", False: "point", True: "comma"}[mapping.format.decimal_comma]
    initial = {
        "start_from": start_from,
        "delimiter": mapping.format.delimiter,
        "date_format": mapping.format.date_format,
        "decimal": decimal,
    }
    for name, source in mapping.fields.items():
        initial[f"field_{name}"] = source.column
    return initial


TRANSFORM_NOTES = {
    "cents": gettext_lazy("divided by 100 (from cents)"),
    "per_month": gettext_lazy("per month, from the amount per interval (and quantity)"),
    "date": gettext_lazy("the day of a date-time"),
    "timestamp": gettext_lazy("a date-time, its zone read"),
    "minutes_after": gettext_lazy("minutes after another column's date-time"),
    "segment_by_size": gettext_lazy("segment from the number of employees"),
}


def notes(mapping: Mapping) -> dict[str, str]:
    """How each field's value is read, beyond the column's text (a preset's transforms)."""
    out = {}
    for name, source in mapping.fields.items():
        parts = []
        if source.transform:
            parts.append(str(TRANSFORM_NOTES[source.transform]))
        if source.args:
            parts.append(", ".join(source.args))
        if source.values:
            other = _("any other")
            shown = [f"{other if k == '*' else k} → {v or '—'}" for k, v in source.values.items()]
            parts.append(", ".join(shown))
        if source.fallback:
            parts.append(_("else %(column)s") % {"column": source.fallback})
        if source.default:
            parts.append(_("blank: %(value)s") % {"value": source.default})
        if parts:
            out[name] = "; ".join(parts)
    return out


def preview(head: bytes, mapping: Mapping) -> dict:
    """The first rows as the import would read them: per cell its value or its error."""
    try:
        kind, header, rows, errors = open_rows(head, KINDS[mapping.kind], mapping, None)
    except FileError as exc:
        return {"errors": [exc.as_row_error()], "header": [], "rows": []}
    if errors:
        return {"errors": errors, "header": [], "rows": []}
    readers = [kind.column(name).reader() for name in header]
    shown = []
    for line, cells in islice(rows, PREVIEW_ROWS):
        if len(cells) != len(readers):
            shown.append({"line": line, "problem": _("the row has another number of cells")})
            continue
        row = []
        for read, cell in zip(readers, cells, strict=True):
            try:
                value = read(cell)
                row.append({"value": "" if value is None else value, "error": ""})
            except ValueError as exc:
                row.append({"value": cell, "error": str(exc)})
        shown.append({"line": line, "cells": row})
    return {"errors": [], "header": header, "rows": shown}


@user_passes_test(can_import)
def mapping_page(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.state != ImportJobState.MAPPING:
        return redirect("import_job", job_id=job.pk)
    head = import_job_head(job)
    posted = request.POST if request.method == "POST" else None
    start_from = (posted or request.GET).get("start_from", "")
    try:
        header, samples = _file_header(head, (posted or {}).get("delimiter", ""))
    except FileError as exc:
        error = exc.as_row_error().format(job.source)
        return render(request, "signals/import_mapping.html", {"job": job, "file_error": error})
    base = _base_mapping(start_from, job.kind, header, samples)
    starts = mappings_for(job.kind)
    form_kwargs = {"kind": job.kind, "header": header, "starts": starts}
    restart = posted is not None and posted.get("action") == "start"
    if posted is None or restart:
        form = MappingForm(initial=_initial(base, start_from), **form_kwargs)
        mapping = base
        shown = preview(head, base)
    else:
        form = MappingForm(posted, **form_kwargs)
        mapping = _posted_mapping(form, base) if form.is_valid() else base
        shown = preview(head, mapping)
        if form.is_valid() and posted.get("action") == "import" and not shown["errors"]:
            name = form.cleaned_data["save_as"].strip()
            try:
                if name:
                    mapping_save(name=name, mapping=mapping, user=request.user)
            except ValueError as exc:
                form.add_error("save_as", str(exc))
            else:
                ImportJob.objects.filter(pk=job.pk).update(
                    mapping=mapping.as_dict(), state=ImportJobState.QUEUED
                )
                enqueue(run_import_job, job.pk)
                return redirect("import_job", job_id=job.pk)
    context = {
        "job": job,
        "form": form,
        "field_rows": form.field_rows(notes(mapping)),
        "preview": shown,
    }
    return render(request, "signals/import_mapping.html", context)


@user_passes_test(can_import)
def job_page(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.state == ImportJobState.MAPPING:
        return redirect("import_mapping", job_id=job.pk)
    errors = [RowError(*error).format(job.source) for error in import_job_errors(job, SHOWN_ERRORS)]
    context = {
        "job": job,
        "summary": import_job_summary(job),
        "progress": import_job_progress(job),
        "error_lines": errors,
        "errors_not_shown": max(len(job.errors) - SHOWN_ERRORS, 0),
    }
    return render(request, "signals/import_job.html", context)


@user_passes_test(can_import)
def job_progress(request, job_id: int):
    return JsonResponse(import_job_progress(get_object_or_404(ImportJob, pk=job_id)))


@user_passes_test(can_import)
def job_errors(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    response = HttpResponse(errors_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@require_POST
@user_passes_test(can_import)
def job_cancel(request, job_id: int):
    import_job_cancel(get_object_or_404(ImportJob, pk=job_id))
    return redirect("import_job", job_id=job_id)
