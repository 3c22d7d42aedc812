"""What the API answers: read serializers of every kind, the result of a bulk write, errors.

Accounts are named by their external id and users by their username, as in the CSV files, so
what is read back can be written again unchanged.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account
from scoring.explanations import Explanation, explain, metric_names_all, version_configs
from scoring.models import HealthSnapshot
from signals.models import (
    EmailMessage,
    Goal,
    Invoice,
    Referral,
    SentimentEntry,
    SubscriptionLine,
    Ticket,
    UsageRecord,
)
from surveys.models import Contact, SurveyResponse
from workspace.models import Task


def _account():
    return serializers.SlugRelatedField(slug_field="external_id", read_only=True)


def _tags():
    return serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)


def _user():
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)


class ReadOnly(serializers.ModelSerializer):
    class Meta:
        fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class AccountSerializer(ReadOnly):
    owner = _user()

    class Meta:
        model = Account
        fields = (
            "id",
            "external_id",
            "name",
            "owner",
            "segment",
            "lifecycle_stage",
            "licensed_seats",
            "churned_on",
            "churn_reason",
            "created_at",
            "updated_at",
        )


class SubscriptionSerializer(ReadOnly):
    account = _account()

    class Meta:
        model = SubscriptionLine
        fields = (
            "id",
            "account",
            "subscription_id",
            "product",
            "mrr",
            "start_date",
            "end_date",
            "is_trial",
        )


class UsageSerializer(ReadOnly):
    account = _account()

    class Meta:
        model = UsageRecord
        fields = ("id", "account", "date", "metric", "value")


class InvoiceSerializer(ReadOnly):
    account = _account()

    class Meta:
        model = Invoice
        fields = ("id", "account", "invoice_number", "issued_on", "due_on", "paid_on", "amount")


class TicketSerializer(ReadOnly):
    account = _account()
    tags = _tags()

    class Meta:
        model = Ticket
        fields = (
            "id",
            "account",
            "ticket_id",
            "subject",
            "priority",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "csat",
            "tags",
        )


class EmailSerializer(ReadOnly):
    account = _account()

    class Meta:
        model = EmailMessage
        fields = ("id", "account", "message_id", "subject", "sent_at", "opened_at", "clicked_at")


class NpsSerializer(ReadOnly):
    account = _account()
    tags = _tags()

    class Meta:
        model = SurveyResponse
        fields = ("id", "account", "respondent", "responded_on", "score", "comment", "tags")


class ContactSerializer(ReadOnly):
    account = _account()

    class Meta:
        model = Contact
        fields = (
            "id",
            "account",
            "email",
            "name",
            "role",
            "is_primary",
            "active",
            "last_surveyed_at",
            "created_at",
        )


class SurveyAnswerSerializer(ReadOnly):
    account = _account()
    tags = _tags()

    class Meta:
        model = SurveyResponse
        fields = (
            "id",
            "account",
            "survey_type",
            "respondent",
            "responded_on",
            "score",
            "comment",
            "tags",
        )


class SentimentSerializer(ReadOnly):
    account = _account()
    author = _user()

    class Meta:
        model = SentimentEntry
        fields = ("id", "account", "recorded_on", "sentiment", "note", "author")


class GoalSerializer(ReadOnly):
    account = _account()

    class Meta:
        model = Goal
        fields = ("id", "account", "kpi", "target", "reached", "set_on", "due_on", "status")


class ReferralSerializer(ReadOnly):
    account = _account()

    class Meta:
        model = Referral
        fields = ("id", "account", "referred_on", "referred_company", "outcome")


class HealthSnapshotSerializer(ReadOnly):
    account = _account()
    account_name = serializers.CharField(source="account.name", read_only=True)
    owner = serializers.CharField(source="account.owner.username", read_only=True, allow_null=True)
    segment = serializers.CharField(source="account.segment", read_only=True)
    scorecard = serializers.CharField(source="scorecard.name", read_only=True)
    components = serializers.SerializerMethodField()
    drivers = serializers.SerializerMethodField()

    def _explanation(self, snapshot: HealthSnapshot) -> Explanation:
        """Rendered from the snapshot's numbers and its version, once per snapshot; versions
        and metric names are read once per request."""
        cache = self.context.setdefault("explanations", {"configs": {}, "names": None, "done": {}})
        if snapshot.pk not in cache["done"]:
            version = (snapshot.scorecard_id, snapshot.scorecard_version)
            if version not in cache["configs"]:
                cache["configs"].update(version_configs([version]))
            if cache["names"] is None:
                cache["names"] = metric_names_all()
            cache["done"][snapshot.pk] = explain(
                snapshot, configs=cache["configs"], names=cache["names"], with_changes=False
            )
        return cache["done"][snapshot.pk]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_components(self, snapshot: HealthSnapshot) -> list[dict]:
        return self._explanation(snapshot).components

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_drivers(self, snapshot: HealthSnapshot) -> list[str]:
        return self._explanation(snapshot).drivers

    class Meta:
        model = HealthSnapshot
        # No "id": a snapshot is the account's on its date, and (account, date) is its key.
        fields = (
            "account",
            "account_name",
            "owner",
            "segment",
            "date",
            "score",
            "colour",
            "coverage",
            "components",
            "drivers",
            "critical_override",
            "mrr",
            "scorecard",
            "scorecard_version",
        )


class TaskSerializer(ReadOnly):
    account = _account()
    assignee = _user()

    class Meta:
        model = Task
        fields = (
            "id",
            "account",
            "reason",
            "detail",
            "assignee",
            "opened_on",
            "due_on",
            "status",
            "snoozed_until",
            "closed_on",
            "outcome",
        )


# ---------------------------------------------------------------- writes and errors


class IngestResultSerializer(serializers.Serializer):
    """What a bulk write did. This is all an ingest token can read."""

    kind = serializers.CharField()
    rows = serializers.IntegerField(help_text="Rows received.")
    created = serializers.IntegerField(help_text="Rows that did not exist.")
    updated = serializers.IntegerField(help_text="Rows that existed with other values.")
    unchanged = serializers.IntegerField(help_text="Rows that existed with the same values.")


class BadRowSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        allow_null=True, help_text="Position of the row in the request, from 0; null: all rows."
    )
    field = serializers.CharField()
    reason = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every error answer: a sentence, and for refused rows each bad row."""

    detail = serializers.CharField()
    errors = BadRowSerializer(many=True, required=False)
