from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs.queueing import enqueue
from scoring.rescoring import recompute_on_commit
from signals.forms import ImportForm
from signals.import_jobs import import_job_create
from signals.importing import csv_import
from signals.kinds import KINDS
from signals.models import ImportJobState
from signals.uploads import body_limit, body_limit_text, upload_limit_text, upload_stopped
from workspace.book import accounts_without_lines_refresh
from workspace.tasks import run_import_job

SHOWN_ERRORS = 500


def too_large_message(kind: str) -> str:
    return _(
        "The file is larger than %(limit)s, the most the import page takes. Import it on the "
        "command line instead: python manage.py import_csv %(kind)s FILE"
    ) % {"limit": upload_limit_text(), "kind": kind}


def can_import(user) -> bool:
    if not user.is_authenticated:
        return False  # to the login page (AnonymousUser has no role to ask about)
    if not user.sees_all_accounts:
        raise PermissionDenied("Only managers and admins import data.")
    return True


def _say_not_yet_active(request) -> None:
    """Accounts without a subscription line are in no list but the book's "Not yet active"."""
    n = accounts_without_lines_refresh()
    if n:
        text = ngettext(
            "%(n)d account has no subscription lines yet: it is not active, so it is not "
            "scored. Find it in the book under “Not yet active”.",
            "%(n)d accounts have no subscription lines yet: they are not active, so they are "
            "not scored. Find them in the book under “Not yet active”.",
            n,
        )
        messages.info(request, text % {"n": n})


@user_passes_test(can_import)
def csv_import_page(request):
    """Upload a CSV file; same validation and result as `manage.py import_csv`."""
    result = None
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if upload_stopped(request):  # the file was not kept: say why, and what to do instead
            form.is_valid()
            kind = request.POST.get("kind", "")
            message = too_large_message(kind if kind in KINDS else "KIND")
            form.errors["file"] = form.error_class([message])
            status = 413
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            mapping = request.POST.get("action") == "map"
            # Columns to map, a file bigger than the page imports, or a wish: a job.
            if mapping or form.cleaned_data["background"] or upload.size > body_limit():
                job = import_job_create(
                    upload=upload,
                    kind=form.cleaned_data["kind"],
                    user=request.user,
                    skip_invalid=form.cleaned_data["skip_invalid"],
                    state=ImportJobState.MAPPING if mapping else ImportJobState.QUEUED,
                )
                if mapping:
                    return redirect("import_mapping", job_id=job.pk)
                enqueue(run_import_job, job.pk)
                return redirect("import_job", job_id=job.pk)
            with transaction.atomic():
                result = csv_import(
                    kind=form.cleaned_data["kind"],
                    raw=upload.read(),
                    source=upload.name,
                    skip_invalid=form.cleaned_data["skip_invalid"],
                )
                if result.account_ids:
                    recompute_on_commit(sorted(result.account_ids), timezone.localdate())
            if result.kind == "accounts" and result.written:
                _say_not_yet_active(request)
    else:
        form = ImportForm()
    error_lines = result.error_lines() if result else []
    context = {
        "form": form,
        "result": result,
        "kinds": KINDS.values(),
        # A file of the wrong date format can have an error on every one of 100,000 rows:
        # the page shows the first ones; the command line lists them all.
        "error_lines": error_lines[:SHOWN_ERRORS],
        "errors_not_shown": max(len(error_lines) - SHOWN_ERRORS, 0),
        "upload_limit": upload_limit_text(),
        "page_limit": body_limit_text(),
    }
    return render(request, "signals/import.html", context, status=status)
