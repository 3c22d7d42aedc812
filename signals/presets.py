"""Ready mappings for the CSV exports of the tools CS teams already use.

Column names are those the tools write in their exports, as found in their documentation and
in public scripts that read those files (each preset says where). Exports change with the
tool's version and the columns a user picks: the import page shows what a preset maps, and
any preset can be adjusted on the page and saved under a name of its own.
Each has an example file in examples/presets/ and a test (tests/signals/test_presets.py).
"""

from django.utils.translation import gettext_lazy as _

from signals.mapping import Mapping

ISO = {"delimiter": "", "date_format": "iso", "decimal_comma": None}  # delimiter sniffed

PRESETS_SPEC: dict[str, tuple[str, dict]] = {
    # Stripe Dashboard > Subscriptions > Export. Columns as Stripe writes them: "id",
    # "Customer ID", "Status", "Plan", "Quantity", "Interval", "Amount", "Start Date (UTC)",
    # "Ended At (UTC)", "Current Period Start (UTC)" ... (seen in public scripts that read the
    # export, e.g. pandas code selecting 'Customer ID', 'Current Period Start (UTC)', and a
    # guide listing id, Customer ID, Status, Amount, Interval, Start Date (UTC)). Amounts are in
    # the currency's units (29.00) per interval; times are "YYYY-MM-DD HH:MM" in UTC.
    "stripe_subscriptions": (
        _("Stripe — subscriptions export"),
        {
            "kind": "subscriptions",
            "fields": {
                "account": {"column": "Customer ID"},
                "subscription_id": {"column": "id"},
                "product": {"column": "Plan", "default": "subscription"},
                "mrr": {
                    "column": "Amount",
                    "transform": "per_month",
                    "args": ["Interval", "Quantity"],
                },
                "start_date": {"column": "Start Date (UTC)", "transform": "date"},
                "end_date": {"column": "Ended At (UTC)", "transform": "date"},
                "is_trial": {"column": "Status", "values": {"trialing": "true", "*": "false"}},
            },
            "format": ISO,
        },
    ),
    # Stripe Dashboard > Invoices > Export: "id", "Number", "Customer", "Status", "Total",
    # "Amount Due", "Amount Paid", "Date (UTC)", "Due Date (UTC)", "Paid At (UTC)" (the column
    # list of public scripts that rename Stripe's invoice export, e.g. 'Due Date (UTC)':
    # 'due_date', 'Paid At (UTC)': 'paid_at'). An invoice charged automatically has no due
    # date: it is due on the day it is issued.
    "stripe_invoices": (
        _("Stripe — invoices export"),
        {
            "kind": "invoices",
            "fields": {
                "account": {"column": "Customer"},
                "invoice_number": {"column": "id"},
                "issued_on": {"column": "Date (UTC)", "transform": "date"},
                "due_on": {
                    "column": "Due Date (UTC)",
                    "transform": "date",
                    "fallback": "Date (UTC)",
                },
                "paid_on": {"column": "Paid At (UTC)", "transform": "date"},
                "amount": {"column": "Total"},
            },
            "format": ISO,
        },
    ),
    # HubSpot CRM > Companies > Export: "Record ID", "Company name", "Company owner",
    # "Number of Employees", "Lifecycle Stage" (HubSpot's default company properties, their
    # labels being the export's column names). The owner is a person's name, not a
    # Healthscore username, so it is not mapped; lifecycle stages are HubSpot's marketing
    # funnel, of which only customers and evangelists are in a CS book.
    "hubspot_companies": (
        _("HubSpot — companies export"),
        {
            "kind": "accounts",
            "fields": {
                "external_id": {"column": "Record ID"},
                "name": {"column": "Company name"},
                "segment": {"column": "Number of Employees", "transform": "segment_by_size"},
                "lifecycle_stage": {
                    "column": "Lifecycle Stage",
                    "values": {"customer": "adoption", "evangelist": "mature", "*": "onboarding"},
                },
            },
            "format": ISO,
        },
    ),
    # Zendesk Admin Center > Account > Tools > Reports > Export (CSV): "Id", "Requester",
    # "Organization", "Subject", "Status", "Priority", "Created at", "Solved at",
    # "Satisfaction Score", "First reply time in minutes" (the export's columns, as listed by
    # public tools that read it). The account is the ticket's organisation: name accounts by it
    # (or map another column). Satisfaction is good or bad: 5 or 1 on the CSAT scale.
    "zendesk_tickets": (
        _("Zendesk — tickets export"),
        {
            "kind": "tickets",
            "fields": {
                "account": {"column": "Organization"},
                "ticket_id": {"column": "Id"},
                "subject": {"column": "Subject"},
                "priority": {
                    "column": "Priority",
                    "values": {
                        "urgent": "critical",
                        "high": "high",
                        "normal": "normal",
                        "low": "low",
                    },
                },
                "opened_at": {"column": "Created at", "transform": "timestamp"},
                "first_response_at": {
                    "column": "First reply time in minutes",
                    "transform": "minutes_after",
                    "args": ["Created at"],
                },
                "resolved_at": {"column": "Solved at", "transform": "timestamp"},
                "csat": {
                    "column": "Satisfaction Score",
                    "values": {"good": "5", "bad": "1", "*": ""},
                },
            },
            "format": ISO,
        },
    ),
    # Intercom Reports > Conversations > Export CSV: the conversation attributes of Intercom's
    # reporting datasets ("Conversation ID", "Conversation started at", "Conversation first
    # replied at", "Conversation last closed at", "Conversation rating", 1–5), see
    # intercom.com/help/en/articles/7022438-reporting-metrics-attributes. The company column is
    # "Company ID" when the export includes the company's attributes. Times are UTC.
    "intercom_conversations": (
        _("Intercom — conversations export"),
        {
            "kind": "tickets",
            "fields": {
                "account": {"column": "Company ID"},
                "ticket_id": {"column": "Conversation ID"},
                "opened_at": {"column": "Conversation started at", "transform": "timestamp"},
                "first_response_at": {
                    "column": "Conversation first replied at",
                    "transform": "timestamp",
                },
                "resolved_at": {"column": "Conversation last closed at", "transform": "timestamp"},
                "csat": {"column": "Conversation rating"},
            },
            "format": ISO,
        },
    ),
    # Salesforce Reports > Accounts report > Export > Details Only, CSV: "Account ID",
    # "Account Name", "Account Owner", "Type", "Employees", "Billing Country" (the standard
    # Account fields' labels). Type is the standard picklist (Customer, Customer - Direct,
    # Customer - Channel, Prospect, Partner, ...). The owner is a full name: not mapped.
    "salesforce_accounts": (
        _("Salesforce — accounts report"),
        {
            "kind": "accounts",
            "fields": {
                "external_id": {"column": "Account ID"},
                "name": {"column": "Account Name"},
                "segment": {"column": "Employees", "transform": "segment_by_size"},
                "lifecycle_stage": {
                    "column": "Type",
                    "values": {"prospect": "onboarding", "*": "adoption"},
                },
            },
            "format": ISO,
        },
    ),
}

PRESETS: dict[str, Mapping] = {
    name: Mapping.from_dict(spec) for name, (_label, spec) in PRESETS_SPEC.items()
}
PRESET_LABELS = {name: label for name, (label, _spec) in PRESETS_SPEC.items()}
