from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from signals.forms import ImportForm
from signals.importing import KINDS, csv_import


def _can_import(user) -> bool:
    if not user.sees_all_accounts:
        raise PermissionDenied("Only managers and admins import data.")
    return True


@user_passes_test(_can_import)
def csv_import_page(request):
    """Upload a CSV file; same validation and result as `manage.py import_csv`."""
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = csv_import(
                kind=form.cleaned_data["kind"],
                raw=upload.read(),
                source=upload.name,
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
    else:
        form = ImportForm()
    return render(
        request, "signals/import.html", {"form": form, "result": result, "kinds": KINDS.values()}
    )
