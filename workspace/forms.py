from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.dates import validate_in_window
from accounts.models import Role, User
from signals.models import Sentiment
from surveys.models import Contact, Tag
from workspace.models import Channel

OVERRIDE_COLOURS = [("green", _("Green")), ("yellow", _("Yellow")), ("red", _("Red"))]
# No colour is chosen for the CSM: a form sent without a choice says so beside the field.
CHOOSE = [("", _("Choose…"))]

# The browser's date input takes and sends ISO dates whatever the page's language (it shows
# them in the reader's own format); the language's first input format would blank it.
ISO_DATE = "%Y-%m-%d"


class CheckInForm(forms.Form):
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        validators=[validate_in_window],
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"),
        queryset=Tag.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "checkin_%s")
        super().__init__(*args, **kwargs)

    def offer(self, tags: list[Tag]) -> None:
        """List these tags (every tag, as the page has read them) without a query of its own;
        what is sent is still checked against the table."""
        self.fields["tags"].choices = [(t.pk, str(t)) for t in tags]

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A check-in cannot be in the future."))
        return day


class SentimentForm(forms.Form):
    sentiment = forms.ChoiceField(label=_("How is it going?"), choices=CHOOSE + Sentiment.choices)
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )

    def __init__(self, *args, **kwargs):
        # The account page also shows the check-in form, whose note would share its id.
        kwargs.setdefault("auto_id", "sentiment_%s")
        super().__init__(*args, **kwargs)


class OverrideForm(forms.Form):
    colour = forms.ChoiceField(label=_("Colour"), choices=CHOOSE + OVERRIDE_COLOURS)
    expires_on = forms.DateField(
        label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "override_%s")
        super().__init__(*args, **kwargs)

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day < today:
            raise forms.ValidationError(_("The expiry date has passed."))
        if day > today + timedelta(days=180):
            raise forms.ValidationError(_("An override lasts at most 180 days."))
        return day


class TaskCompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


class TaskSnoozeForm(forms.Form):
    until = forms.DateField(
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )

    def clean_until(self):
        day = self.cleaned_data["until"]
        today = timezone.localdate()
        if not today < day <= today + timedelta(days=90):
            raise forms.ValidationError(_("Snooze to a day within the next 90 days."))
        return day


class PersonChoiceField(forms.ModelChoiceField):
    """Users listed by full name, as the book's owner filter lists them."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class ReassignForm(forms.Form):
    owner = PersonChoiceField(
        label=_("Owner"),
        queryset=User.objects.filter(role=Role.CSM, is_active=True).order_by(
            "first_name", "last_name", "username"
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reassign_%s")
        super().__init__(*args, **kwargs)


class TaskIdsField(forms.MultipleChoiceField):
    """Task ids as ticked on a page. Any well-formed id passes: whether the user may act on
    each task is the view's question, answered per task with a count of those skipped."""

    def valid_value(self, value) -> bool:
        # isdigit() alone accepts "²", which int() refuses; 18 digits fit a bigint.
        return value.isascii() and value.isdigit() and len(value) <= 18

    def clean(self, value) -> list[int]:
        return sorted({int(v) for v in super().clean(value)})


class TaskBulkForm(forms.Form):
    """Complete or snooze the tasks ticked on the task list: an outcome for completing, a day
    for snoozing, each required only by its own action."""

    action = forms.ChoiceField(
        label=_("Action"), choices=[("complete", _("Complete")), ("snooze", _("Snooze"))]
    )
    task = TaskIdsField(error_messages={"required": _("Tick at least one task.")})
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=5000)
    until = forms.DateField(
        label=_("Snooze until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: the filter form on the same page has fields of its own.
        super().__init__(*args, auto_id="bulk_%s", **kwargs)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "complete" and not data.get("outcome", "").strip():
            self.add_error("outcome", _("Say what came of it: the outcome is kept on each task."))
        if action == "snooze" and "until" not in self.errors:
            until, today = data.get("until"), timezone.localdate()
            if until is None:
                self.add_error("until", _("Pick the day the tasks come back."))
            elif not today < until <= today + timedelta(days=90):
                self.add_error("until", _("Snooze to a day within the next 90 days."))
        return data


class ContactForm(forms.ModelForm):
    """A person at the account; the e-mail is unique within the account whatever its case."""

    class Meta:
        model = Contact
        fields = ["name", "role", "email", "is_primary", "active"]
        labels = {
            "name": _("Name"),
            "role": _("Role"),
            "email": _("E-mail"),
            "is_primary": _("Primary contact"),
            "active": _("Active (may be surveyed)"),
        }
        help_texts = {
            "role": _("Their job, e.g. CFO."),
            "is_primary": _("Receives the survey after a support ticket is resolved."),
            "active": "",
        }

    def __init__(self, *args, account, **kwargs):
        self.account = account
        prefix = f"contact{kwargs['instance'].pk}" if kwargs.get("instance") else "contact"
        kwargs.setdefault("auto_id", f"{prefix}_%s")
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"]
        taken = Contact.objects.filter(account=self.account, email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This account already has a contact with this e-mail."))
        return email
