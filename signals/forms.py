from django import forms

from signals.kinds import KINDS


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[(name, name) for name in KINDS])
    file = forms.FileField(help_text="CSV, UTF-8, one header row naming the columns.")
    skip_invalid = forms.BooleanField(
        required=False, label="Import the good rows even if some rows are bad"
    )
