"""Query filters of the list endpoints (django-filter). Accounts are named by external id and
users by username, as in the CSV files; dates take `F`, `F_after` and `F_before` (inclusive)."""

from datetime import UTC

import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, LifecycleStage, Segment
from scoring.maths import Colour
from scoring.models import HealthSnapshot
from signals.models import (
    EmailMessage,
    Goal,
    GoalStatus,
    Invoice,
    Referral,
    ReferralOutcome,
    Sentiment,
    SentimentEntry,
    SubscriptionLine,
    Ticket,
    TicketPriority,
    UsageRecord,
)
from surveys.models import Contact, SurveyResponse, SurveyType
from workspace.models import Task, TaskReason, TaskStatus

OUT_OF_RANGE = _("Enter a date-time between the years 1 and 9999.")


class SafeDateTimeField(forms.DateTimeField):
    """A date-time in UTC. Python takes zone offsets up to ±23:59, PostgreSQL only to ±15:59,
    and a far date in a far zone overflows: converted here, or refused (400), never a 500."""

    def to_python(self, value):
        try:
            value = super().to_python(value)
            return value.astimezone(UTC) if value is not None and value.tzinfo else value
        except OverflowError:
            raise forms.ValidationError(OUT_OF_RANGE) from None

    def clean(self, value):
        try:
            return super().clean(value)
        except OverflowError:
            raise forms.ValidationError(OUT_OF_RANGE) from None


class DateTimeFilter(filters.IsoDateTimeFilter):
    field_class = SafeDateTimeField


class StrictBooleanField(forms.NullBooleanField):
    """true or false (also 1/0, yes/no); anything else is refused. django-filter's own reads
    any other text as "no filter", so `active=-1.79e308` listed everything."""

    widget = forms.TextInput  # hands over the raw text
    WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.WORDS[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(_("Enter true or false."), code="invalid") from None


class BooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


EMPTY = _("Give a value, or leave the parameter out.")


class FilterSet(filters.FilterSet):
    """A parameter given empty (`date_before=`) is refused, naming it, rather than ignored —
    except text filters, where empty is a valid string and means no filter."""

    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, filters.CharFilter) or name in self.form.errors:
                continue
            if name in self.data and not self.data.get(name, "").strip():
                self.form.add_error(name, EMPTY)
                valid = False
        return valid


def _on(field: str) -> filters.DateFilter:
    return filters.DateFilter(field_name=field)


def _after(field: str) -> filters.Filter:
    return filters.DateFilter(field_name=field, lookup_expr="gte", label=f"{field} on or after")


def _before(field: str) -> filters.Filter:
    return filters.DateFilter(field_name=field, lookup_expr="lte", label=f"{field} on or before")


def _at_after(field: str) -> filters.Filter:
    return DateTimeFilter(field_name=field, lookup_expr="gte", label=f"{field} at or after")


def _at_before(field: str) -> filters.Filter:
    return DateTimeFilter(field_name=field, lookup_expr="lte", label=f"{field} at or before")


def _account() -> filters.CharFilter:
    return filters.CharFilter(field_name="account__external_id", label="account external id")


def _tag() -> filters.CharFilter:
    return filters.CharFilter(
        field_name="tags__name", lookup_expr="iexact", distinct=True, label="tag name"
    )


def _owner(path: str = "account__owner") -> filters.CharFilter:
    return filters.CharFilter(field_name=f"{path}__username", label="owner's username")


class AccountFilter(FilterSet):
    external_id = filters.CharFilter()
    owner = _owner("owner")
    segment = filters.ChoiceFilter(choices=Segment.choices)
    lifecycle_stage = filters.ChoiceFilter(choices=LifecycleStage.choices)
    churned = BooleanFilter(
        field_name="churned_on", lookup_expr="isnull", exclude=True, label="churn recorded"
    )

    class Meta:
        model = Account
        fields: list[str] = []


class SubscriptionFilter(FilterSet):
    account = _account()
    subscription_id = filters.CharFilter()
    product = filters.CharFilter()
    is_trial = BooleanFilter()
    start_date_after = _after("start_date")
    start_date_before = _before("start_date")
    open = BooleanFilter(field_name="end_date", lookup_expr="isnull", label="still open")

    class Meta:
        model = SubscriptionLine
        fields: list[str] = []


class UsageFilter(FilterSet):
    account = _account()
    metric = filters.CharFilter()
    date = _on("date")
    date_after = _after("date")
    date_before = _before("date")

    class Meta:
        model = UsageRecord
        fields: list[str] = []


class InvoiceFilter(FilterSet):
    account = _account()
    invoice_number = filters.CharFilter()
    issued_on_after = _after("issued_on")
    issued_on_before = _before("issued_on")
    paid = BooleanFilter(field_name="paid_on", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Invoice
        fields: list[str] = []


class TicketFilter(FilterSet):
    account = _account()
    ticket_id = filters.CharFilter()
    priority = filters.ChoiceFilter(choices=TicketPriority.choices)
    opened_at_after = _at_after("opened_at")
    opened_at_before = _at_before("opened_at")
    resolved = BooleanFilter(field_name="resolved_at", lookup_expr="isnull", exclude=True)
    tag = _tag()

    class Meta:
        model = Ticket
        fields: list[str] = []


class EmailFilter(FilterSet):
    account = _account()
    message_id = filters.CharFilter()
    sent_at_after = _at_after("sent_at")
    sent_at_before = _at_before("sent_at")

    class Meta:
        model = EmailMessage
        fields: list[str] = []


class NpsFilter(FilterSet):
    account = _account()
    respondent = filters.CharFilter(lookup_expr="iexact")
    responded_on_after = _after("responded_on")
    responded_on_before = _before("responded_on")
    tag = _tag()

    class Meta:
        model = SurveyResponse
        fields: list[str] = []


class SurveyAnswerFilter(NpsFilter):
    survey_type = filters.ChoiceFilter(choices=SurveyType.choices)


class ContactFilter(FilterSet):
    account = _account()
    email = filters.CharFilter(lookup_expr="iexact")
    is_primary = BooleanFilter()
    active = BooleanFilter()

    class Meta:
        model = Contact
        fields: list[str] = []


class SentimentFilter(FilterSet):
    account = _account()
    sentiment = filters.ChoiceFilter(choices=Sentiment.choices)
    recorded_on_after = _after("recorded_on")
    recorded_on_before = _before("recorded_on")

    class Meta:
        model = SentimentEntry
        fields: list[str] = []


class GoalFilter(FilterSet):
    account = _account()
    status = filters.ChoiceFilter(choices=GoalStatus.choices)
    due_on_after = _after("due_on")
    due_on_before = _before("due_on")

    class Meta:
        model = Goal
        fields: list[str] = []


class ReferralFilter(FilterSet):
    account = _account()
    outcome = filters.ChoiceFilter(choices=ReferralOutcome.choices)
    referred_on_after = _after("referred_on")
    referred_on_before = _before("referred_on")

    class Meta:
        model = Referral
        fields: list[str] = []


COLOURS = [(c.value, c.name.title()) for c in Colour]


class HealthFilter(FilterSet):
    account = _account()
    date = _on("date")
    date_after = _after("date")
    date_before = _before("date")
    colour = filters.ChoiceFilter(choices=COLOURS)
    owner = _owner()
    segment = filters.ChoiceFilter(field_name="account__segment", choices=Segment.choices)

    class Meta:
        model = HealthSnapshot
        fields: list[str] = []


class LatestHealthFilter(FilterSet):
    """The date is applied by the view (`as_of`); these narrow the accounts."""

    account = _account()
    colour = filters.ChoiceFilter(choices=COLOURS)
    owner = _owner()
    segment = filters.ChoiceFilter(field_name="account__segment", choices=Segment.choices)

    class Meta:
        model = HealthSnapshot
        fields: list[str] = []


class TaskFilter(FilterSet):
    account = _account()
    status = filters.ChoiceFilter(choices=TaskStatus.choices)
    reason = filters.ChoiceFilter(choices=TaskReason.choices)
    assignee = filters.CharFilter(field_name="assignee__username", label="assignee's username")
    due_on_after = _after("due_on")
    due_on_before = _before("due_on")

    class Meta:
        model = Task
        fields: list[str] = []
