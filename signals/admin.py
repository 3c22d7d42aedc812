from django.contrib import admin

from accounts.dates import DateWindowAdmin
from signals.models import (
    ColumnMapping,
    EmailMessage,
    Goal,
    Invoice,
    Referral,
    SentimentEntry,
    SubscriptionLine,
    Ticket,
    UsageRecord,
)


class AccountDataAdmin(DateWindowAdmin, admin.ModelAdmin):
    list_select_related = ("account",)
    search_fields = ("account__name", "account__external_id")
    raw_id_fields = ("account",)


@admin.register(SubscriptionLine)
class SubscriptionLineAdmin(AccountDataAdmin):
    list_display = (
        "subscription_id",
        "account",
        "product",
        "mrr",
        "start_date",
        "end_date",
        "is_trial",
    )
    list_filter = ("is_trial", "product")


@admin.register(UsageRecord)
class UsageRecordAdmin(AccountDataAdmin):
    list_display = ("account", "date", "metric", "value")
    list_filter = ("metric",)
    date_hierarchy = "date"


@admin.register(Invoice)
class InvoiceAdmin(AccountDataAdmin):
    list_display = ("invoice_number", "account", "issued_on", "due_on", "paid_on", "amount")


@admin.register(Ticket)
class TicketAdmin(AccountDataAdmin):
    list_display = ("ticket_id", "account", "priority", "opened_at", "resolved_at", "csat")
    list_filter = ("priority", "tags")
    filter_horizontal = ("tags",)


@admin.register(EmailMessage)
class EmailMessageAdmin(AccountDataAdmin):
    list_display = ("message_id", "account", "sent_at", "opened_at", "clicked_at")


@admin.register(SentimentEntry)
class SentimentEntryAdmin(AccountDataAdmin):
    list_display = ("account", "recorded_on", "sentiment", "author")
    list_filter = ("sentiment",)


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "created_by", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Goal)
class GoalAdmin(AccountDataAdmin):
    list_display = ("kpi", "account", "target", "reached", "due_on", "status")
    list_filter = ("status",)
    date_hierarchy = "due_on"


@admin.register(Referral)
class ReferralAdmin(AccountDataAdmin):
    list_display = ("referred_company", "account", "referred_on", "outcome")
    list_filter = ("outcome",)
