"""The REST API, /api/v1/: every kind of data the CSV import takes (read, and bulk upsert),
survey answers, health snapshots (history and latest) and check-in tasks.

Reads are scoped by `Account.objects.visible_to` (the one permission helper); who may write
what is in `permissions.py`; the writes are `ingest.rows_ingest`, the CSV import's validation
and upsert.
"""

from datetime import date

from django import forms
from django.core.exceptions import RequestDataTooBig
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, filters, mixins, pagination, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler

from accounts.models import Account, visible_q
from api import filters as api_filters
from api import serializers as api
from api.authentication import is_ingest
from api.contacts import CONTACTS, contacts_write
from api.ingest import (
    MAX_ROWS,
    BadRow,
    RowsRefused,
    WriteConflict,
    Writer,
    rows_ingest,
)
from api.parsers import JSONParser
from api.permissions import (
    NOBODY,
    OWNERS_STAFF_AND_INGEST,
    STAFF_AND_INGEST,
    ApiAccess,
)
from api.rates import describe
from api.schema import bulk_body
from api.throttling import ApiRateThrottle
from scoring.models import CurrentHealth, HealthSnapshot
from signals.kinds import KINDS, ImportKind
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
from signals.uploads import body_limit_text
from surveys.models import Contact, SurveyResponse, SurveyType
from workspace.models import Task

BIGINT_MAX = 2**63 - 1
# Retries used up against other requests writing the same rows (api/ingest.py).
CONFLICT_DETAIL = gettext_lazy(
    "Other requests were writing the same rows at the same moment; nothing was written. "
    "Send the request again."
)
CONFLICT_RETRY = "1"  # seconds


class Pagination(pagination.PageNumberPagination):
    """DRF's page numbers, but a page or page size that is not a whole number from 1 is a 400
    naming the parameter (DRF quietly uses the default instead)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        number = _whole_number(raw, name=self.page_size_query_param)
        return min(number, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        # A number past the last page stays a 404, as DRF answers it.
        return _whole_number(raw, name=self.page_query_param)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


def _whole_number(raw: str, *, name: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
        raise exceptions.ValidationError({name: _("Enter a whole number from 1.")})
    return int(raw) if len(raw) <= 18 else BIGINT_MAX  # int() refuses 4,300+ digits


class StableOrdering(filters.OrderingFilter):
    """?ordering=field,-other; the primary key breaks ties, so pages never overlap."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view) or ()
        return queryset.order_by(*ordering, "pk")


def api_exception_handler(exc, context):
    """DRF's answers, with validation errors in the one error shape: detail + errors."""
    if isinstance(exc, RequestDataTooBig):  # Django's own answer is an HTML 400
        return Response({"detail": too_big_detail()}, status=413)
    response = exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.ValidationError)
        and isinstance(exc.detail, dict)
    ):
        response.data = {
            "detail": _("Invalid request; see errors."),
            "errors": [
                {"index": None, "field": name, "reason": str(message)}
                for name, messages in exc.detail.items()
                for message in (messages if isinstance(messages, list) else [messages])
            ],
        }
    return response


def too_big_detail() -> str:
    return _(
        "The body is larger than %(limit)s, the most a request may carry; send the rows in "
        "several requests."
    ) % {"limit": body_limit_text()}


# Whole sentences per period and bucket, so that each language words them its own way.
RATE_EXCEEDED = {
    ("second", True): gettext_lazy("Rate limit exceeded: %(count)s requests per second per token."),
    ("minute", True): gettext_lazy("Rate limit exceeded: %(count)s requests per minute per token."),
    ("hour", True): gettext_lazy("Rate limit exceeded: %(count)s requests per hour per token."),
    ("day", True): gettext_lazy("Rate limit exceeded: %(count)s requests per day per token."),
    ("second", False): gettext_lazy("Rate limit exceeded: %(count)s requests per second per user."),
    ("minute", False): gettext_lazy("Rate limit exceeded: %(count)s requests per minute per user."),
    ("hour", False): gettext_lazy("Rate limit exceeded: %(count)s requests per hour per user."),
    ("day", False): gettext_lazy("Rate limit exceeded: %(count)s requests per day per user."),
}


def _rate_exceeded(rate: str, request) -> str:
    """'Rate limit exceeded: 600 requests per minute per token.' (DRF adds when to retry)."""
    count, period = describe(rate)
    return RATE_EXCEEDED[period, request.auth is not None] % {"count": count}


class ApiViewSet(viewsets.GenericViewSet):
    """Common to every endpoint: authentication (settings), permissions, per-token throttling,
    pagination, filtering and ordering."""

    permission_classes = [ApiAccess]
    throttle_classes = [ApiRateThrottle]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend, StableOrdering]
    write_access = NOBODY
    # Any id reaches get_object (a JSON 404 for "abc" or "0.5", not the site's HTML one).
    lookup_value_regex = "[^/]+"
    request: Request

    def get_exception_handler(self):
        return api_exception_handler

    def check_throttles(self, request):
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                raise exceptions.Throttled(
                    throttle.wait(), detail=_rate_exceeded(throttle.rate, request)
                )

    def visible_accounts(self) -> QuerySet[Account]:
        return Account.objects.visible_to(self.request.user)

    def get_object(self):
        # A primary key that is not a number, or too big for the column, is simply not there
        # (the database would refuse to compare it: a 500).
        value = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if not (value.isascii() and value.isdigit() and int(value) <= BIGINT_MAX):
            raise Http404
        return super().get_object()


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    pass


class KindViewSet(ReadViewSet):
    """A kind of the CSV import: list and read it, and upsert rows of it in bulk (POST)."""

    kind: str
    model: type
    write_access = STAFF_AND_INGEST
    parser_classes = [JSONParser]
    writer: Writer | None = None  # None: the generic upsert on the natural key

    @property
    def import_kind(self) -> ImportKind:
        return KINDS[self.kind]

    def get_queryset(self):
        rows = self.model.objects.filter(account__in=self.visible_accounts()).select_related(
            "account"
        )
        return rows.prefetch_related("tags") if self.has_tags else rows

    @property
    def has_tags(self) -> bool:
        return any(c.name == "tags" for c in self.import_kind.columns)

    def write_scope(self) -> QuerySet[Account] | None:
        """Accounts the rows may name; None: any (managers, admins, ingest tokens)."""
        user = self.request.user
        if self.write_access == OWNERS_STAFF_AND_INGEST and not is_ingest(user):
            return self.visible_accounts()
        return None

    def create(self, request, *args, **kwargs):
        data = request.data
        rows = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
        if rows is None:
            raise exceptions.ParseError(
                _("Send one row (a JSON object) or a list of up to %(most)s rows.")
                % {"most": number_format(MAX_ROWS, force_grouping=True)}
            )
        try:
            rows = self.prepare_rows(rows)
            result = rows_ingest(
                kind=self.import_kind, rows=rows, scope=self.write_scope(), write=self.writer
            )
        except WriteConflict:
            return Response(
                {"detail": CONFLICT_DETAIL}, status=503, headers={"Retry-After": CONFLICT_RETRY}
            )
        except RowsRefused as refused:
            return Response(
                {
                    "detail": _("%(count)s error(s); nothing was written.")
                    % {"count": len(refused.errors)},
                    "errors": [
                        {"index": e.index, "field": str(e.field), "reason": str(e.reason)}
                        for e in refused.errors
                    ],
                },
                status=400,
            )
        return Response(api.IngestResultSerializer(result).data)

    def prepare_rows(self, rows: list) -> list:
        """The rows as they are to be written; may raise RowsRefused."""
        return rows


def bulk_write_schema(kind: str | ImportKind, *, who: str):
    spec = KINDS[kind] if isinstance(kind, str) else kind
    return extend_schema(
        summary=f"Upsert {spec.name} rows",
        description=(
            f"Insert or update one row or a list of up to {MAX_ROWS:,} rows on the natural key "
            f"({', '.join(spec.key)}), with the CSV import's validation and error text. "
            "A field left out of every row is not changed on existing rows. A request with any "
            "bad row writes nothing and lists each bad row's index, field and reason. "
            f"Allowed: {who}."
        ),
        request=bulk_body(spec),
        responses={200: api.IngestResultSerializer},
    )


STAFF = "managers, admins and ingest tokens"


@extend_schema_view(create=bulk_write_schema("accounts", who=STAFF))
class AccountViewSet(KindViewSet):
    """Customer accounts, keyed by external id."""

    kind = "accounts"
    model = Account
    serializer_class = api.AccountSerializer
    filterset_class = api_filters.AccountFilter
    ordering_fields = ["name", "external_id", "segment", "lifecycle_stage", "updated_at"]
    ordering = ["name"]

    def get_queryset(self):
        return self.visible_accounts().select_related("owner")


@extend_schema_view(create=bulk_write_schema("subscriptions", who=STAFF))
class SubscriptionViewSet(KindViewSet):
    """Subscription lines; a line covers start_date <= day < end_date."""

    kind = "subscriptions"
    model = SubscriptionLine
    serializer_class = api.SubscriptionSerializer
    filterset_class = api_filters.SubscriptionFilter
    ordering_fields = ["start_date", "end_date", "mrr", "subscription_id"]
    ordering = ["start_date"]


@extend_schema_view(create=bulk_write_schema("usage", who=STAFF))
class UsageViewSet(KindViewSet):
    """Daily product-usage metrics (any metric name)."""

    kind = "usage"
    model = UsageRecord
    serializer_class = api.UsageSerializer
    filterset_class = api_filters.UsageFilter
    ordering_fields = ["date", "metric", "value"]
    ordering = ["date"]


@extend_schema_view(create=bulk_write_schema("invoices", who=STAFF))
class InvoiceViewSet(KindViewSet):
    """Invoices, paid or not."""

    kind = "invoices"
    model = Invoice
    serializer_class = api.InvoiceSerializer
    filterset_class = api_filters.InvoiceFilter
    ordering_fields = ["issued_on", "due_on", "paid_on", "amount", "invoice_number"]
    ordering = ["issued_on"]


@extend_schema_view(create=bulk_write_schema("tickets", who=STAFF))
class TicketViewSet(KindViewSet):
    """Support tickets."""

    kind = "tickets"
    model = Ticket
    serializer_class = api.TicketSerializer
    filterset_class = api_filters.TicketFilter
    ordering_fields = ["opened_at", "resolved_at", "priority", "ticket_id"]
    ordering = ["opened_at"]


@extend_schema_view(create=bulk_write_schema("emails", who=STAFF))
class EmailViewSet(KindViewSet):
    """E-mails sent to the account, opened and clicked."""

    kind = "emails"
    model = EmailMessage
    serializer_class = api.EmailSerializer
    filterset_class = api_filters.EmailFilter
    ordering_fields = ["sent_at", "opened_at", "clicked_at", "message_id"]
    ordering = ["sent_at"]


@extend_schema_view(create=bulk_write_schema("nps", who=STAFF))
class NpsViewSet(KindViewSet):
    """NPS answers, 0–10."""

    kind = "nps"
    model = SurveyResponse
    serializer_class = api.NpsSerializer
    filterset_class = api_filters.NpsFilter
    ordering_fields = ["responded_on", "score", "respondent"]
    ordering = ["responded_on"]

    def get_queryset(self):
        return super().get_queryset().filter(survey_type=SurveyType.NPS)


@extend_schema_view(create=bulk_write_schema("goals", who=STAFF))
class GoalViewSet(KindViewSet):
    """Success goals: a KPI, its target, the value reached and the due day."""

    kind = "goals"
    model = Goal
    serializer_class = api.GoalSerializer
    filterset_class = api_filters.GoalFilter
    ordering_fields = ["due_on", "set_on", "status", "kpi"]
    ordering = ["due_on"]


@extend_schema_view(create=bulk_write_schema("referrals", who=STAFF))
class ReferralViewSet(KindViewSet):
    """Companies the account referred: lead, won or lost."""

    kind = "referrals"
    model = Referral
    serializer_class = api.ReferralSerializer
    filterset_class = api_filters.ReferralFilter
    ordering_fields = ["referred_on", "referred_company", "outcome"]
    ordering = ["referred_on"]


@extend_schema_view(
    create=bulk_write_schema(
        "sentiment",
        who=f"{STAFF}; CSMs for their own accounts and in their own name (as on the account page)",
    )
)
class SentimentViewSet(KindViewSet):
    """The CSM's own read of an account: green, yellow or red."""

    kind = "sentiment"
    model = SentimentEntry
    serializer_class = api.SentimentSerializer
    filterset_class = api_filters.SentimentFilter
    write_access = OWNERS_STAFF_AND_INGEST
    ordering_fields = ["recorded_on", "sentiment"]
    ordering = ["recorded_on"]

    def get_queryset(self):
        return super().get_queryset().select_related("author")

    def prepare_rows(self, rows: list) -> list:
        """A CSM's rows are authored by that CSM: an author left out or blank is filled in,
        another person's name refuses the row. Managers, admins and ingest tokens (a CRM sync
        carrying each note's writer) name any user, or none."""
        user = self.request.user
        if is_ingest(user) or user.sees_all_accounts:
            return rows
        name = user.username
        refused = [
            BadRow(index, "author", NOT_YOUR_NAME)
            for index, row in enumerate(rows)
            if isinstance(row, dict) and not _is_blank_or(row.get("author"), name)
        ]
        if refused:
            raise RowsRefused(refused)
        return [{**row, "author": name} if isinstance(row, dict) else row for row in rows]


NOT_YOUR_NAME = gettext_lazy(
    "a CSM records sentiment in their own name: leave author out or give your username"
)


def _is_blank_or(value, name: str) -> bool:
    return value is None or isinstance(value, str) and value.strip() in ("", name)


@extend_schema_view(create=bulk_write_schema(CONTACTS, who=STAFF))
class ContactViewSet(KindViewSet):
    """People at the account whom surveys go to (keyed by account and e-mail)."""

    kind = "contacts"
    model = Contact
    serializer_class = api.ContactSerializer
    filterset_class = api_filters.ContactFilter
    ordering_fields = ["name", "email", "created_at"]
    ordering = ["name"]
    import_kind = CONTACTS  # type: ignore[assignment]
    writer = staticmethod(contacts_write)


class SurveyAnswerViewSet(ReadViewSet):
    """Every survey answer, NPS and CSAT (read only; NPS answers are written at /nps/)."""

    serializer_class = api.SurveyAnswerSerializer
    filterset_class = api_filters.SurveyAnswerFilter
    ordering_fields = ["responded_on", "score", "survey_type"]
    ordering = ["responded_on"]

    def get_queryset(self):
        return (
            SurveyResponse.objects.filter(account__in=self.visible_accounts())
            .select_related("account")
            .prefetch_related("tags")
        )


HEALTH_ORDERING = ["date", "score", "colour", "coverage", "mrr", "account__name"]


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "pk",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The account's id and the day: `42:2026-11-30`.",
            )
        ]
    )
)
class HealthViewSet(ReadViewSet):
    """Health snapshots, one per account and day: the score history (read only). One snapshot
    is `health/{account}:{date}/`, e.g. `health/42:2026-11-30/`: the account and its day are
    the snapshot's key."""

    serializer_class = api.HealthSnapshotSerializer
    filterset_class = api_filters.HealthFilter
    ordering_fields = HEALTH_ORDERING
    ordering = ["-date", "account__name"]

    def get_queryset(self):
        return HealthSnapshot.objects.filter(account__in=self.visible_accounts()).select_related(
            "account__owner", "scorecard"
        )

    def get_object(self) -> HealthSnapshot:
        account, _, day = self.kwargs[self.lookup_field].partition(":")
        try:
            key = {"account_id": int(account), "date": date.fromisoformat(day)}
        except ValueError:
            raise Http404 from None  # not "account:day", or a day such as 2026-02-30
        if not 0 < key["account_id"] < 2**63:
            raise Http404  # beyond any id the database can hold
        snapshot = self.get_queryset().filter(**key).first()
        if snapshot is None:
            raise Http404
        self.check_object_permissions(self.request, snapshot)
        return snapshot


def parse_day(raw: str | None, *, name: str) -> date | None:
    if raw is None:
        return None  # an empty value is refused below, like any other that is not a date
    try:
        return forms.DateField().clean(raw)
    except forms.ValidationError as exc:
        raise exceptions.ValidationError({name: exc.messages}) from None


@extend_schema(
    parameters=[
        OpenApiParameter(
            "as_of",
            OpenApiTypes.DATE,
            description="Each account's latest snapshot on or before this day (default today).",
        )
    ]
)
class LatestHealthView(mixins.ListModelMixin, ApiViewSet):
    """Each visible account's latest health snapshot (on or before `as_of`)."""

    serializer_class = api.HealthSnapshotSerializer
    filterset_class = api_filters.LatestHealthFilter
    ordering_fields = HEALTH_ORDERING
    ordering = ["account__name"]

    def get_queryset(self):
        as_of = parse_day(self.request.query_params.get("as_of"), name="as_of")
        today = timezone.localdate()
        if as_of is None or as_of >= today:
            # Today's latest is what each account's current-health row points at: one scan of
            # that table, not one probe of the history per account.
            visible = visible_q(self.request.user, via="account__")
            rows = CurrentHealth.objects.filter(
                Q(pk__in=[]) if visible is None else visible, scored_on__isnull=False
            )
            return HealthSnapshot.objects.filter(
                pk__in=rows.values_list("account_id", "scored_on")
            ).select_related("account__owner", "scorecard")
        # A day in the past: driven by the accounts, one index probe of (account, date) each,
        # not a scan of the whole history.
        latest = (
            HealthSnapshot.objects.filter(account=OuterRef("pk"), date__lte=as_of)
            .order_by("-date")
            .values("date")[:1]
        )
        keys = self.visible_accounts().annotate(latest=Subquery(latest)).values_list("pk", "latest")
        return HealthSnapshot.objects.filter(pk__in=keys).select_related(
            "account__owner", "scorecard"
        )


class TaskViewSet(ReadViewSet):
    """Check-in tasks on the accounts you see (read only; work them on the task page)."""

    serializer_class = api.TaskSerializer
    filterset_class = api_filters.TaskFilter
    ordering_fields = ["due_on", "opened_on", "status", "reason"]
    ordering = ["due_on"]

    def get_queryset(self):
        return Task.objects.filter(account__in=self.visible_accounts()).select_related(
            "account", "assignee"
        )
