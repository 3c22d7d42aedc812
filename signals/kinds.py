"""What can be imported: each kind's columns, natural key and cross-field rules (the same
for a CSV file and for API rows)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts.models import Account, LifecycleStage, Segment
from signals.cells import (
    boolean,
    choice,
    email,
    iso_date,
    iso_datetime,
    money,
    number,
    signed_number,
    tag_names,
    text,
    whole_number,
)
from signals.messages import Message
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
from surveys.models import SurveyResponse, SurveyType

# ---------------------------------------------------------------- kinds

REQUIRED = gettext_noop("is required")
MUST_FOLLOW = gettext_noop("must be after %(earlier)s")
MUST_NOT_PRECEDE = gettext_noop("must be on or after %(earlier)s")


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = False
    blank: Any = None  # value of an empty optional cell
    help: str = ""

    def reader(self) -> Callable[[str], Any]:
        """Raw cell -> value: strips, fills or refuses a blank cell, then parses."""
        parse, blank = self.parse, self.blank
        if self.required:

            def read(cell: str) -> Any:
                cell = cell.strip()
                if cell:
                    return parse(cell)
                raise ValueError(Message(REQUIRED))

        else:

            def read(cell: str) -> Any:
                cell = cell.strip()
                return parse(cell) if cell else blank

        return read


@dataclass(frozen=True)
class Rule:
    """A cross-field rule mirroring a database check: `later` must come after `earlier`.

    It is checked only when the file has both columns and both cells are filled."""

    later: str
    earlier: str
    strictly: bool = False

    @property
    def reason(self) -> Message:
        return Message(MUST_FOLLOW if self.strictly else MUST_NOT_PRECEDE, earlier=self.earlier)

    def holds(self, later: Any, earlier: Any) -> bool:
        if later is None or earlier is None:
            return True
        return later > earlier if self.strictly else later >= earlier


def after(later: str, earlier: str, *, strictly: bool = False) -> Rule:
    return Rule(later, earlier, strictly)


@dataclass(frozen=True)
class ImportKind:
    name: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key, as column names
    rules: tuple[Rule, ...] = ()  # checked on each row; they mirror the database's checks
    description: str = ""  # a lazy translation: shown on the import page
    fixed: tuple[tuple[str, Any], ...] = ()  # model fields every row of this kind gets

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


ACCOUNT = Column("account", text(64), required=True, help="external id of the account")
# Names from the managed tag list, separated by ; or | (signals.tagging writes the links).
TAGS = Column("tags", tag_names, blank=(), help="tag names separated by ; or |")

KINDS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (
        ImportKind(
            "accounts",
            Account,
            (
                Column("external_id", text(64), required=True, help="the CRM's unique key"),
                Column("name", text(200), required=True),
                Column("owner", text(150), help="username of the CSM"),
                Column("segment", choice(Segment), blank=Segment.SMB),
                Column("lifecycle_stage", choice(LifecycleStage), blank=LifecycleStage.ADOPTION),
                Column("licensed_seats", whole_number(0, 2_000_000_000)),
                Column("churned_on", iso_date, help="recorded churn date; overrides subscriptions"),
                Column("churn_reason", text(200), blank=""),
            ),
            key=("external_id",),
            description=_("Customer accounts, keyed by external id."),
        ),
        ImportKind(
            "subscriptions",
            SubscriptionLine,
            (
                ACCOUNT,
                Column("subscription_id", text(64), required=True),
                Column("product", text(100), required=True),
                Column("mrr", money, required=True),
                Column("start_date", iso_date, required=True),
                Column("end_date", iso_date, help="empty while the line is open"),
                Column("is_trial", boolean, blank=False),
            ),
            key=("subscription_id", "start_date"),
            rules=(after("end_date", "start_date", strictly=True),),
            description=_("Subscription lines; a line covers start_date <= day < end_date."),
        ),
        ImportKind(
            "usage",
            UsageRecord,
            (
                ACCOUNT,
                Column("date", iso_date, required=True),
                Column("metric", text(64), required=True, help="any name, e.g. logins"),
                Column("value", number, required=True),
            ),
            key=("account", "metric", "date"),
            description=_("Daily product-usage metrics."),
        ),
        ImportKind(
            "invoices",
            Invoice,
            (
                ACCOUNT,
                Column("invoice_number", text(64), required=True),
                Column("issued_on", iso_date, required=True),
                Column("due_on", iso_date, required=True),
                Column("paid_on", iso_date, help="empty while unpaid"),
                Column("amount", money, required=True),
            ),
            key=("invoice_number",),
            rules=(after("due_on", "issued_on"), after("paid_on", "issued_on")),
            description=_("Invoices, paid or not."),
        ),
        ImportKind(
            "tickets",
            Ticket,
            (
                ACCOUNT,
                Column("ticket_id", text(64), required=True),
                Column("subject", text(200), blank=""),
                Column("priority", choice(TicketPriority), blank=TicketPriority.NORMAL),
                Column("opened_at", iso_datetime, required=True),
                Column("first_response_at", iso_datetime),
                Column("resolved_at", iso_datetime),
                Column("csat", whole_number(1, 5)),
                TAGS,
            ),
            key=("ticket_id",),
            rules=(after("first_response_at", "opened_at"), after("resolved_at", "opened_at")),
            description=_("Support tickets."),
        ),
        ImportKind(
            "emails",
            EmailMessage,
            (
                ACCOUNT,
                Column("message_id", text(128), required=True),
                Column("subject", text(200), blank=""),
                Column("sent_at", iso_datetime, required=True),
                Column("opened_at", iso_datetime),
                Column("clicked_at", iso_datetime),
            ),
            key=("message_id",),
            rules=(after("opened_at", "sent_at"), after("clicked_at", "sent_at")),
            description=_("E-mails sent to the account, opened and clicked."),
        ),
        ImportKind(
            "nps",
            SurveyResponse,
            (
                ACCOUNT,
                Column("respondent", email, required=True, help="e-mail of the contact"),
                Column("responded_on", iso_date, required=True),
                Column("score", whole_number(0, 10), required=True),
                Column("comment", text(5000), blank=""),
                TAGS,
            ),
            key=("account", "respondent", "responded_on"),
            description=_("NPS answers, 0–10."),
            fixed=(("survey_type", SurveyType.NPS),),
        ),
        ImportKind(
            "sentiment",
            SentimentEntry,
            (
                ACCOUNT,
                Column("recorded_on", iso_date, required=True),
                Column("sentiment", choice(Sentiment), required=True),
                Column("note", text(5000), blank=""),
                Column("author", text(150), help="username of the CSM"),
            ),
            key=("account", "recorded_on"),
            description=_("The CSM's own read: green, yellow or red."),
        ),
        ImportKind(
            "goals",
            Goal,
            (
                ACCOUNT,
                Column("kpi", text(200), required=True, help="what is measured, e.g. seats live"),
                Column("target", signed_number, required=True),
                Column("reached", signed_number, help="the value reached so far"),
                Column("set_on", iso_date, help="the day the goal was agreed; empty: any day"),
                Column("due_on", iso_date, required=True),
                Column("status", choice(GoalStatus), blank=GoalStatus.ON_TRACK),
            ),
            key=("account", "kpi", "due_on"),
            rules=(after("due_on", "set_on"),),
            description=_("Success goals: a KPI, its target, the value reached, the due day."),
        ),
        ImportKind(
            "referrals",
            Referral,
            (
                ACCOUNT,
                Column("referred_on", iso_date, required=True),
                Column("referred_company", text(200), required=True),
                Column("outcome", choice(ReferralOutcome), blank=ReferralOutcome.LEAD),
            ),
            key=("account", "referred_company"),
            description=_("Companies the account referred: lead, won or lost."),
        ),
    )
}

# Columns that name another row: resolved to ids after parsing, in one query per file.
REFERENCES = {"account": "account_id", "owner": "owner_id", "author": "author_id"}
