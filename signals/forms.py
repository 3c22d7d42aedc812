from django import forms
from django.utils.translation import gettext_lazy as _

from signals.formats import DATE_FORMATS, DELIMITERS
from signals.kinds import KINDS


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of data"), choices=[(name, name) for name in KINDS])
    file = forms.FileField(
        label=_("CSV file"), help_text=_("CSV, UTF-8, one header row naming the columns.")
    )
    skip_invalid = forms.BooleanField(
        required=False, label=_("Import the good rows even if some rows are bad")
    )
    background = forms.BooleanField(
        required=False, label=_("Import in the background (with a progress bar)")
    )


DECIMALS = [("auto", _("automatic: a comma in ; files")), ("point", _("point: 1234.5")),
            ("comma", _("comma: 1234,5"))]  # fmt: skip
NOT_MAPPED = ""


class MappingForm(forms.Form):
    """One select per field of the kind (the file's columns to choose from), the file's
    formats, a preset or saved mapping to start from, and a name to save the mapping under."""

    start_from = forms.ChoiceField(label=_("Start from"), required=False)
    delimiter = forms.ChoiceField(
        label=_("Cells separated by"),
        required=False,
        choices=[("", _("detect (, or ;)")), *DELIMITERS.items()],
    )
    date_format = forms.ChoiceField(
        label=_("Dates written as"),
        choices=[(name, label) for name, (label, _r, _o) in DATE_FORMATS.items()],
    )
    decimal = forms.ChoiceField(label=_("Decimal mark"), choices=DECIMALS)
    save_as = forms.CharField(
        label=_("Save this mapping as"), required=False, max_length=100,
        help_text=_("Optional; then usable as import_csv KIND FILE --mapping NAME."),
    )  # fmt: skip

    def __init__(self, *args, kind, header, starts, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = KINDS[kind]
        self.fields["start_from"].choices = [("", _("the proposed mapping")), *starts]
        columns = [(NOT_MAPPED, _("— not mapped —")), *((name, name) for name in header)]
        for column in self.kind.columns:
            self.fields[f"field_{column.name}"] = forms.ChoiceField(
                label=column.name, required=False, choices=columns
            )

    def field_rows(self, notes: dict[str, str]):
        """(column, bound select, note on how the value is read) per field of the kind."""
        return [(c, self[f"field_{c.name}"], notes.get(c.name, "")) for c in self.kind.columns]
