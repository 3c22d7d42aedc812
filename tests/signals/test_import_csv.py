"""CSV import (`signals.importing.csv_import` and `manage.py import_csv`) against a real database.

Every bad-input test asserts the exact `FILE:LINE: column: reason` lines AND that no table
changed: a file with a bad row writes nothing unless --skip-invalid is given.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account
from signals.importing import csv_import
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
from surveys.models import SurveyResponse
from tests.factories import AccountFactory, UsageRecordFactory
from workspace.management.commands.import_csv import Command as ImportCommand

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KINDS = [
    "accounts",
    "subscriptions",
    "usage",
    "invoices",
    "tickets",
    "emails",
    "nps",
    "sentiment",
    "goals",
    "referrals",
]
ALL_MODELS = [
    Account,
    SubscriptionLine,
    UsageRecord,
    Invoice,
    Ticket,
    EmailMessage,
    SurveyResponse,
    SentimentEntry,
    Goal,
    Referral,
]


@pytest.fixture
def example_accounts(db):
    """The accounts the example files refer to, with no owner (as examples/accounts.csv has)."""
    return {
        external_id: AccountFactory(external_id=external_id, name=name, owner=None)
        for external_id, name in [
            ("ACME-001", "Acme Corp"),
            ("GLOBEX-002", "Globex"),
            ("INITECH-003", "Initech"),
        ]
    }


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every importable table, all columns (updated_at included), in pk order."""
    return {
        model.__name__: list(model.objects.order_by("pk").values_list()) for model in ALL_MODELS
    }


def import_text(kind, text, *, source="bad.csv", skip_invalid=False, encoding="utf-8"):
    return csv_import(
        kind=kind, raw=text.encode(encoding), source=source, skip_invalid=skip_invalid
    )


def import_example(kind):
    path = EXAMPLES / f"{kind}.csv"
    return csv_import(kind=kind, raw=path.read_bytes(), source=path.name)


def assert_rejected(kind, text, expected, **options):
    """The file is refused with exactly `expected` error lines and no table changes."""
    before = snapshot()
    result = import_text(kind, text, **options)
    assert result.error_lines() == expected
    assert result.written == 0
    assert snapshot() == before
    return result


# ---------------------------------------------------------------- happy paths, one per kind


def test_accounts_example_file_creates_each_account_with_its_fields(db):
    result = import_example("accounts")

    assert result.ok, result.error_lines()
    assert (result.rows, result.written, result.created) == (3, 3, 3)
    acme = Account.objects.get(external_id="ACME-001")
    assert acme.name == "Acme Corp"
    assert (acme.segment, acme.lifecycle_stage) == ("enterprise", "mature")
    assert acme.licensed_seats == 250
    assert (acme.owner, acme.churned_on, acme.churn_reason) == (None, None, "")
    assert sorted(Account.objects.values_list("external_id", "segment")) == [
        ("ACME-001", "enterprise"),
        ("GLOBEX-002", "mid_market"),
        ("INITECH-003", "smb"),
    ]


def test_subscriptions_example_file_creates_lines_with_money_dates_and_trial_flag(example_accounts):
    result = import_example("subscriptions")

    assert result.ok, result.error_lines()
    assert result.created == 4
    trial = SubscriptionLine.objects.get(subscription_id="sub_globex_trial")
    assert trial.account == example_accounts["GLOBEX-002"]
    assert (trial.product, trial.mrr, trial.is_trial) == ("Core", Decimal("0.00"), True)
    assert (trial.start_date, trial.end_date) == (date(2025, 3, 1), date(2025, 3, 15))
    acme = SubscriptionLine.objects.get(subscription_id="sub_acme_core")
    assert (acme.mrr, acme.end_date, acme.is_trial) == (Decimal("4200.00"), None, False)


def test_usage_example_file_creates_one_record_per_account_metric_and_day(example_accounts):
    result = import_example("usage")

    assert result.ok, result.error_lines()
    assert result.created == 4
    assert sorted(
        UsageRecord.objects.values_list("account__external_id", "date", "metric", "value")
    ) == [
        ("ACME-001", date(2026, 11, 1), "active_users", 97.0),
        ("ACME-001", date(2026, 11, 1), "logins", 182.0),
        ("GLOBEX-002", date(2026, 11, 1), "logins", 12.0),
        ("INITECH-003", date(2026, 11, 1), "logins", 4.0),
    ]


def test_invoices_example_file_creates_paid_and_unpaid_invoices(example_accounts):
    result = import_example("invoices")

    assert result.ok, result.error_lines()
    assert result.created == 2
    paid = Invoice.objects.get(invoice_number="INV-1001")
    assert paid.account == example_accounts["ACME-001"]
    assert (paid.issued_on, paid.due_on, paid.paid_on) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        date(2026, 10, 20),
    )
    assert paid.amount == Decimal("4200.00")
    unpaid = Invoice.objects.get(invoice_number="INV-1002")
    assert (unpaid.paid_on, unpaid.amount) == (None, Decimal("150.00"))


def test_tickets_example_file_creates_tickets_with_utc_times_and_csat(example_accounts):
    result = import_example("tickets")

    assert result.ok, result.error_lines()
    assert result.created == 2
    open_ticket = Ticket.objects.get(ticket_id="T-501")
    assert (open_ticket.subject, open_ticket.priority) == ("SSO login fails", "critical")
    assert open_ticket.opened_at == datetime(2026, 11, 10, 9, 15, tzinfo=UTC)
    assert open_ticket.first_response_at == datetime(2026, 11, 10, 9, 40, tzinfo=UTC)
    assert (open_ticket.resolved_at, open_ticket.csat) == (None, None)
    solved = Ticket.objects.get(ticket_id="T-502")
    assert solved.account == example_accounts["GLOBEX-002"]
    assert (solved.resolved_at, solved.csat) == (datetime(2026, 11, 3, 10, 0, tzinfo=UTC), 4)


def test_emails_example_file_creates_messages_opened_or_not(example_accounts):
    result = import_example("emails")

    assert result.ok, result.error_lines()
    assert result.created == 2
    opened = EmailMessage.objects.get(message_id="msg-9001")
    assert opened.subject == "Quarterly review"
    assert opened.sent_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert opened.opened_at == datetime(2026, 11, 3, 11, 12, tzinfo=UTC)
    assert opened.clicked_at == datetime(2026, 11, 3, 11, 13, tzinfo=UTC)
    unopened = EmailMessage.objects.get(message_id="msg-9002")
    assert (unopened.opened_at, unopened.clicked_at) == (None, None)


def test_nps_example_file_creates_nps_responses_with_quoted_comments(example_accounts):
    result = import_example("nps")

    assert result.ok, result.error_lines()
    assert result.created == 2
    assert sorted(
        SurveyResponse.objects.values_list(
            "account__external_id", "survey_type", "respondent", "responded_on", "score", "comment"
        )
    ) == [
        ("ACME-001", "nps", "cto@acme.example", date(2026, 10, 15), 9, "Great product"),
        (
            "INITECH-003",
            "nps",
            "ops@initech.example",
            date(2026, 10, 20),
            4,
            "Too many bugs, slow support",
        ),
    ]


def test_sentiment_example_file_creates_entries_without_author(example_accounts):
    result = import_example("sentiment")

    assert result.ok, result.error_lines()
    assert result.created == 2
    assert sorted(
        SentimentEntry.objects.values_list(
            "account__external_id", "recorded_on", "sentiment", "note", "author"
        )
    ) == [
        ("ACME-001", date(2026, 11, 15), "green", "Expansion talks going well", None),
        ("INITECH-003", date(2026, 11, 15), "red", "Champion left", None),
    ]


def test_owner_and_author_columns_are_resolved_by_username(csm):
    import_text("accounts", "external_id,name,owner\nACME-001,Acme,casey\n")
    result = import_text(
        "sentiment", "account,recorded_on,sentiment,author\nACME-001,2026-11-15,red,casey\n"
    )

    assert result.ok, result.error_lines()
    assert Account.objects.get().owner == csm
    assert SentimentEntry.objects.get().author == csm


def test_header_names_are_matched_ignoring_case_and_spaces(example_accounts):
    result = import_text("usage", " Account ,DATE,Metric,value\nACME-001,2026-11-01,logins,5\n")

    assert result.ok, result.error_lines()
    assert UsageRecord.objects.get().value == 5.0


# ---------------------------------------------------------------- re-import and updates


@pytest.mark.parametrize("kind", KINDS)
def test_importing_the_same_file_twice_changes_nothing(db, kind):
    if kind != "accounts":
        import_example("accounts")
    first = import_example(kind)
    assert first.ok and first.created > 0, first.error_lines()
    before = snapshot()

    again = import_example(kind)

    assert again.ok, again.error_lines()
    assert (again.written, again.created, again.updated) == (first.written, 0, 0)
    assert snapshot() == before  # not even updated_at moved


def test_second_file_updates_changed_values_and_adds_new_rows(example_accounts):
    import_example("usage")
    untouched_before = UsageRecord.objects.get(account__external_id="GLOBEX-002")

    result = import_text(
        "usage",
        "account,date,metric,value\n"
        "ACME-001,2026-11-01,logins,200\n"  # changed
        "GLOBEX-002,2026-11-01,logins,12\n"  # same as before
        "ACME-001,2026-11-02,logins,150\n",  # new day
    )

    assert result.ok, result.error_lines()
    assert (result.written, result.created, result.updated) == (3, 1, 1)
    acme = UsageRecord.objects.filter(account__external_id="ACME-001", metric="logins")
    assert sorted(acme.values_list("date", "value")) == [
        (date(2026, 11, 1), 200.0),
        (date(2026, 11, 2), 150.0),
    ]
    assert UsageRecord.objects.get(account__external_id="GLOBEX-002") == untouched_before
    assert UsageRecord.objects.count() == 5


def test_second_file_marks_an_invoice_paid_and_bumps_the_account_updated_at(example_accounts):
    import_example("invoices")
    import_example("accounts")
    acme_before = Account.objects.get(external_id="ACME-001")

    invoices = import_text(
        "invoices",
        "account,invoice_number,issued_on,due_on,paid_on,amount\n"
        "INITECH-003,INV-1002,2026-09-01,2026-10-01,2026-10-05,150.00\n",
    )
    accounts = import_text("accounts", "external_id,name\nACME-001,Acme Corporation\n")

    assert invoices.ok and accounts.ok
    assert Invoice.objects.get(invoice_number="INV-1002").paid_on == date(2026, 10, 5)
    acme = Account.objects.get(external_id="ACME-001")
    assert acme.name == "Acme Corporation"
    assert acme.updated_at > acme_before.updated_at
    assert acme.created_at == acme_before.created_at


def test_columns_absent_from_the_header_keep_their_values_on_existing_rows(example_accounts):
    import_example("accounts")
    import_example("subscriptions")

    import_text("accounts", "external_id,name\nACME-001,Acme Corporation\nNEW-004,Newco\n")
    import_text(
        "subscriptions",
        "account,subscription_id,product,mrr,start_date\n"
        "GLOBEX-002,sub_globex_trial,Core Plus,10.00,2025-03-01\n",
    )

    acme = Account.objects.get(external_id="ACME-001")
    assert (acme.name, acme.segment, acme.lifecycle_stage, acme.licensed_seats) == (
        "Acme Corporation",
        "enterprise",
        "mature",
        250,
    )
    new = Account.objects.get(external_id="NEW-004")  # new rows get the model defaults
    assert (new.segment, new.lifecycle_stage, new.licensed_seats) == ("smb", "adoption", None)
    trial = SubscriptionLine.objects.get(subscription_id="sub_globex_trial")
    assert (trial.product, trial.mrr) == ("Core Plus", Decimal("10.00"))
    assert (trial.end_date, trial.is_trial) == (date(2025, 3, 15), True)


def test_a_present_but_blank_optional_cell_clears_the_value(example_accounts):
    import_example("invoices")

    import_text(
        "invoices",
        "account,invoice_number,issued_on,due_on,paid_on,amount\n"
        "ACME-001,INV-1001,2026-10-01,2026-10-31,,4200.00\n",
    )

    assert Invoice.objects.get(invoice_number="INV-1001").paid_on is None


# ---------------------------------------------------------------- bad cells


def test_unknown_account_id_rejects_the_whole_file(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric,value\nACME-001,2026-11-01,logins,1\nNOPE-999,2026-11-01,logins,1\n",
        ["bad.csv:3: account: unknown account 'NOPE-999'"],
    )


def test_unknown_owner_username_is_reported(db):
    assert_rejected(
        "accounts",
        "external_id,name,owner\nACME-001,Acme,nobody\n",
        ["bad.csv:2: owner: unknown user 'nobody'"],
    )


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2026-13-01", "'2026-13-01' is not a date; use YYYY-MM-DD"),
        ("01/11/2026", "'01/11/2026' is not a date; use YYYY-MM-DD"),
        ("yesterday", "'yesterday' is not a date; use YYYY-MM-DD"),
    ],
)
def test_bad_date_is_reported_with_the_expected_format(example_accounts, cell, reason):
    assert_rejected(
        "usage",
        f"account,date,metric,value\nACME-001,2026-11-01,logins,1\nACME-001,{cell},logins,1\n",
        [f"bad.csv:3: date: {reason}"],
    )


def test_bad_date_time_is_reported(example_accounts):
    assert_rejected(
        "emails",
        "account,message_id,sent_at\nACME-001,m1,3rd of May\n",
        ["bad.csv:2: sent_at: '3rd of May' is not a date-time; use YYYY-MM-DDTHH:MM:SS+00:00"],
    )


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("lots", "'lots' is not a number"),
        ("1,5", "'1,5' is not a number"),
        ("nan", "'nan' is not a finite number"),
        ("inf", "'inf' is not a finite number"),
    ],
)
def test_bad_number_is_reported(example_accounts, cell, reason):
    assert_rejected(
        "usage",
        f'account,date,metric,value\nACME-001,2026-11-01,logins,"{cell}"\n',
        [f"bad.csv:2: value: {reason}"],
    )


def test_bad_whole_number_and_flag_and_choice_are_reported(example_accounts):
    assert_rejected(
        "accounts",
        "external_id,name,segment,licensed_seats\nACME-001,Acme,huge,2.5\n",
        [
            "bad.csv:2: segment: 'huge' is not one of: smb, mid_market, enterprise",
            "bad.csv:2: licensed_seats: '2.5' is not a whole number",
        ],
    )
    assert_rejected(
        "subscriptions",
        "account,subscription_id,product,mrr,start_date,is_trial\n"
        "ACME-001,s1,Core,10,2026-01-01,maybe\n",
        ["bad.csv:2: is_trial: 'maybe' is not true or false"],
    )


def test_negative_amounts_are_refused(example_accounts):
    assert_rejected(
        "invoices",
        "account,invoice_number,issued_on,due_on,amount\nACME-001,INV-1,2026-10-01,2026-10-31,-5\n",
        ["bad.csv:2: amount: -5 is negative; it must be 0 or more"],
    )
    assert_rejected(
        "subscriptions",
        "account,subscription_id,product,mrr,start_date\nACME-001,s1,Core,-0.01,2026-01-01\n",
        ["bad.csv:2: mrr: -0.01 is negative; it must be 0 or more"],
    )
    assert_rejected(
        "usage",
        "account,date,metric,value\nACME-001,2026-11-01,logins,-1\n",
        ["bad.csv:2: value: -1 is negative; it must be 0 or more"],
    )


def test_money_with_more_than_two_decimals_is_refused_but_trailing_zeros_are_fine(
    example_accounts,
):
    assert_rejected(
        "invoices",
        "account,invoice_number,issued_on,due_on,amount\n"
        "ACME-001,INV-1,2026-10-01,2026-10-31,10.005\n",
        ["bad.csv:2: amount: 10.005 needs at most 10 digits before and 2 after the point"],
    )
    result = import_text(
        "invoices",
        "account,invoice_number,issued_on,due_on,amount\n"
        "ACME-001,INV-1,2026-10-01,2026-10-31,10.500\n",
    )
    assert result.ok, result.error_lines()
    assert Invoice.objects.get().amount == Decimal("10.50")


@pytest.mark.parametrize(("score", "shown"), [("11", "11"), ("-1", "-1")])
def test_nps_score_outside_0_to_10_is_refused(example_accounts, score, shown):
    assert_rejected(
        "nps",
        "account,respondent,responded_on,score\n"
        "ACME-001,a@acme.example,2026-10-15,10\n"
        f"ACME-001,b@acme.example,2026-10-15,{score}\n",
        [f"bad.csv:3: score: {shown} is outside 0–10"],
    )


def test_csat_outside_1_to_5_and_bad_email_are_refused(example_accounts):
    assert_rejected(
        "tickets",
        "account,ticket_id,opened_at,csat\nACME-001,T-1,2026-11-10T09:00:00Z,0\n",
        ["bad.csv:2: csat: 0 is outside 1–5"],
    )
    assert_rejected(
        "nps",
        "account,respondent,responded_on,score\nACME-001,not-an-email,2026-10-15,9\n",
        ["bad.csv:2: respondent: 'not-an-email' is not an e-mail address"],
    )


def test_too_long_text_is_refused(example_accounts):
    assert_rejected(
        "usage",
        f"account,date,metric,value\nACME-001,2026-11-01,{'m' * 65},1\n",
        ["bad.csv:2: metric: is longer than 64 characters"],
    )


def test_missing_required_cell_is_reported_for_each_blank_cell(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric,value\nACME-001,2026-11-01,,1\n,2026-11-01,logins,  \n",
        [
            "bad.csv:2: metric: is required",
            "bad.csv:3: account: is required",
            "bad.csv:3: value: is required",
        ],
    )


def test_every_error_of_every_row_is_listed_in_line_order(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric,value\n"
        "NOPE-1,2026-11-01,logins,1\n"  # found only after parsing: still sorted in place
        "ACME-001,someday,logins,x\n",
        [
            "bad.csv:2: account: unknown account 'NOPE-1'",
            "bad.csv:3: date: 'someday' is not a date; use YYYY-MM-DD",
            "bad.csv:3: value: 'x' is not a number",
        ],
    )


# ---------------------------------------------------------------- cross-field rules and keys


def test_subscription_end_date_must_be_after_start_date(example_accounts):
    assert_rejected(
        "subscriptions",
        "account,subscription_id,product,mrr,start_date,end_date\n"
        "ACME-001,s1,Core,10,2026-01-01,2026-01-01\n"
        "ACME-001,s2,Core,10,2026-01-01,2025-12-31\n",
        [
            "bad.csv:2: end_date: must be after start_date",
            "bad.csv:3: end_date: must be after start_date",
        ],
    )


def test_invoice_due_and_paid_dates_cannot_precede_issue_date(example_accounts):
    assert_rejected(
        "invoices",
        "account,invoice_number,issued_on,due_on,paid_on,amount\n"
        "ACME-001,INV-1,2026-10-01,2026-09-30,2026-09-01,10\n",
        [
            "bad.csv:2: due_on: must be on or after issued_on",
            "bad.csv:2: paid_on: must be on or after issued_on",
        ],
    )


def test_ticket_and_email_times_cannot_precede_their_start(example_accounts):
    assert_rejected(
        "tickets",
        "account,ticket_id,opened_at,first_response_at,resolved_at\n"
        "ACME-001,T-1,2026-11-10T09:00:00Z,2026-11-10T08:00:00Z,2026-11-09T09:00:00+00:00\n",
        [
            "bad.csv:2: first_response_at: must be on or after opened_at",
            "bad.csv:2: resolved_at: must be on or after opened_at",
        ],
    )
    assert_rejected(
        "emails",
        "account,message_id,sent_at,opened_at,clicked_at\n"
        "ACME-001,m1,2026-11-03T10:00:00Z,2026-11-03T09:00:00Z,2026-11-03T11:00:00+02:00\n",
        [
            "bad.csv:2: opened_at: must be on or after sent_at",
            "bad.csv:2: clicked_at: must be on or after sent_at",  # 09:00 UTC
        ],
    )


def test_key_repeated_inside_one_file_is_refused(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric,value\n"
        "ACME-001,2026-11-01,logins,1\n"
        "ACME-001,2026-11-02,logins,1\n"
        "ACME-001,2026-11-01,logins,2\n",
        ["bad.csv:4: account, metric, date: repeats the key of line 2"],
    )


def test_nps_respondents_differing_only_in_case_are_the_same_key(example_accounts):
    assert_rejected(
        "nps",
        "account,respondent,responded_on,score\n"
        "ACME-001,CTO@acme.example,2026-10-15,9\n"
        "ACME-001,cto@ACME.example,2026-10-15,9\n",
        ["bad.csv:3: account, respondent, responded_on: repeats the key of line 2"],
    )


# ---------------------------------------------------------------- header


def test_missing_required_column_is_reported_on_line_1(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric\nACME-001,2026-11-01,logins\n",
        ["bad.csv:1: value: required column is missing"],
    )


def test_unknown_column_is_reported_with_the_columns_the_kind_takes(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric,value,colour\nACME-001,2026-11-01,logins,1,red\n",
        ["bad.csv:1: colour: unknown column; usage files take: account, date, metric, value"],
    )


def test_column_named_twice_is_refused(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric,value,value\nACME-001,2026-11-01,logins,1,2\n",
        ["bad.csv:1: value: column appears twice in the header"],
    )


def test_file_of_another_kind_is_refused_with_a_hint(example_accounts):
    result = assert_rejected(
        "usage",
        (EXAMPLES / "invoices.csv").read_text(),
        [
            "bad.csv:1: invoice_number, issued_on, due_on, paid_on, amount: unknown column; "
            "usage files take: account, date, metric, value",
            "bad.csv:1: date, metric, value: required column is missing",
        ],
    )
    assert result.summary() == "bad.csv: 2 error(s) in 0 row(s); nothing was imported."


def test_text_that_is_not_csv_is_refused_with_a_hint(example_accounts):
    assert_rejected(
        "usage",
        '{"account": "ACME-001", "value": 3}\n',
        [
            'bad.csv:1: {"account": "acme-001", "value": 3}: unknown column; '
            "usage files take: account, date, metric, value",
            "bad.csv:1: account, date, metric, value: required column is missing "
            "(is this a CSV file of the right kind?)",
        ],
    )


# ---------------------------------------------------------------- file encoding and shape


def test_utf8_bom_and_windows_line_ends_are_accepted(example_accounts):
    raw = "\ufeffaccount,date,metric,value\r\nACME-001,2026-11-01,logins,7\r\n".encode()

    result = csv_import(kind="usage", raw=raw, source="excel.csv")

    assert result.ok, result.error_lines()
    assert UsageRecord.objects.get().value == 7.0


def test_quoted_cell_may_span_lines_and_later_lines_keep_their_numbers(example_accounts):
    assert_rejected(
        "sentiment",
        "account,recorded_on,sentiment,note\r\n"
        'ACME-001,2026-11-15,green,"line one\r\nline two"\r\n'
        "ACME-001,someday,red,\r\n",
        ["bad.csv:4: recorded_on: 'someday' is not a date; use YYYY-MM-DD"],
    )
    result = import_text(
        "sentiment",
        'account,recorded_on,sentiment,note\nACME-001,2026-11-15,green,"line one\nline two"\n',
    )
    assert result.ok
    assert SentimentEntry.objects.get().note == "line one\nline two"


def test_error_in_a_multi_line_row_names_the_line_the_row_starts_on(example_accounts):
    assert_rejected(
        "sentiment",
        'account,recorded_on,sentiment,note\nACME-001,someday,green,"line one\nline two"\n',
        ["bad.csv:2: recorded_on: 'someday' is not a date; use YYYY-MM-DD"],
    )


def test_blank_lines_are_skipped(example_accounts):
    result = import_text(
        "usage", "account,date,metric,value\n\nACME-001,2026-11-01,logins,1\n,,,\n\n"
    )

    assert result.ok, result.error_lines()
    assert result.rows == 1


@pytest.mark.parametrize("raw", [b"", b"  \n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_file_is_refused(example_accounts, raw):
    result = csv_import(kind="usage", raw=raw, source="empty.csv")

    assert result.error_lines() == [
        "empty.csv: the file is empty; expected a header row naming the columns"
    ]
    assert UsageRecord.objects.count() == 0


def test_header_without_rows_imports_nothing_and_says_so(example_accounts):
    result = import_text("usage", "account,date,metric,value\n", source="header.csv")

    assert result.ok
    assert result.summary() == "header.csv: the file has a header but no rows; nothing to import."


def test_binary_file_is_refused(example_accounts):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256))

    result = csv_import(kind="usage", raw=png, source="logo.png")

    assert result.error_lines() == [
        "logo.png: this is not a CSV text file (it contains binary data; "
        "a spreadsheet must be saved as CSV UTF-8)"
    ]
    assert UsageRecord.objects.count() == 0


def test_binary_data_after_the_first_kilobytes_is_refused_too(example_accounts):
    good_rows = "ACME-001,2026-11-01,logins,1\n" + "".join(
        f"ACME-001,2026-11-01,m{n},1\n" for n in range(5000)
    )
    raw = ("account,date,metric,value\n" + good_rows).encode() + b"ACME-001,2026-11-02,x\x00,1\n"

    result = csv_import(kind="usage", raw=raw, source="late.csv")

    assert result.error_lines() == [
        "late.csv: this is not a CSV text file (it contains binary data; "
        "a spreadsheet must be saved as CSV UTF-8)"
    ]
    assert UsageRecord.objects.count() == 0


def test_non_utf8_file_is_refused_naming_the_byte(example_accounts):
    result = import_text(
        "accounts",
        "external_id,name\nCAFE-1,Café Müller\n",
        source="latin1.csv",
        encoding="latin-1",
    )

    assert result.error_lines() == [
        "latin1.csv: the file is not UTF-8 text (line 2, byte 28); save it as UTF-8 CSV"
    ]
    assert not Account.objects.filter(external_id="CAFE-1").exists()


def test_row_with_the_wrong_number_of_cells_is_refused(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric,value\n"
        "ACME-001,2026-11-01,logins\n"
        "ACME-001,2026-11-01,logins,1,extra\n",
        [
            "bad.csv:2: (row): has 3 cells; the header has 4",
            "bad.csv:3: (row): has 5 cells; the header has 4",
        ],
    )


def test_unterminated_quote_names_the_line_it_opens_on(example_accounts):
    assert_rejected(
        "sentiment",
        "account,recorded_on,sentiment,note\n"
        "ACME-001,2026-11-15,green,fine\n"
        'ACME-001,2026-11-16,red,"never closed\n'
        "ACME-001,2026-11-17,red,more\n",
        ["bad.csv:3: (row): a quoted cell starts here and is never closed"],
    )


def test_quote_left_open_in_a_big_file_names_its_line_too(example_accounts):
    # Past 131,072 characters the csv module gives up with another message than at the end.
    rest = "".join(f"ACME-001,2026-11-{n % 28 + 1:02d},red,note {n}\n" for n in range(6000))
    assert_rejected(
        "sentiment",
        "account,recorded_on,sentiment,note\n"
        "ACME-001,2026-11-15,green,fine\n"
        'ACME-001,2026-11-16,red,"never closed\n' + rest,
        ["bad.csv:3: (row): a cell here is longer than 131,072 characters; is a quote left open?"],
    )


def test_bad_rows_before_a_broken_quote_are_listed_with_it(example_accounts):
    assert_rejected(
        "usage",
        'account,date,metric,value\nACME-001,2026-11-01,logins,x\nACME-001,2026-11-02,"logins,1\n',
        [
            "bad.csv:2: value: 'x' is not a number",
            "bad.csv:3: (row): a quoted cell starts here and is never closed",
        ],
    )


def test_stray_quote_inside_a_cell_is_refused(example_accounts):
    assert_rejected(
        "sentiment",
        'account,recorded_on,sentiment,note\nACME-001,2026-11-15,green,"a"b\n',
        ["bad.csv:2: (row): is not valid CSV: ',' expected after '\"'"],
    )


# ---------------------------------------------------------------- --skip-invalid


def test_skip_invalid_lands_the_good_rows_and_lists_the_bad(example_accounts):
    result = import_text(
        "usage",
        "account,date,metric,value\n"
        "ACME-001,2026-11-01,logins,1\n"
        "NOPE-9,2026-11-01,logins,1\n"
        "GLOBEX-002,2026-11-01,logins,-3\n"
        "GLOBEX-002,2026-11-01,logins,2\n"
        "ACME-001,2026-11-01,logins,5\n",
        skip_invalid=True,
    )

    assert result.error_lines() == [
        "bad.csv:3: account: unknown account 'NOPE-9'",
        "bad.csv:4: value: -3 is negative; it must be 0 or more",
        "bad.csv:6: account, metric, date: repeats the key of line 2",
    ]
    assert (result.rows, result.written, result.created) == (5, 2, 2)
    assert sorted(UsageRecord.objects.values_list("account__external_id", "value")) == [
        ("ACME-001", 1.0),  # the first of the repeated key wins
        ("GLOBEX-002", 2.0),
    ]
    assert result.summary() == (
        "bad.csv: 2 of 5 usage row(s) imported (2 new, 0 updated, 0 unchanged); "
        "3 error(s), bad rows skipped."
    )


def test_skip_invalid_does_not_skip_a_broken_header(example_accounts):
    assert_rejected(
        "usage",
        "account,date,metric\nACME-001,2026-11-01,logins\n",
        ["bad.csv:1: value: required column is missing"],
        skip_invalid=True,
    )


# ---------------------------------------------------------------- the command


@pytest.fixture
def write_csv(tmp_path):
    def write(name, text):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command("import_csv", *map(str, args), "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_a_good_file_and_prints_the_summary(example_accounts):
    out, err = run_command("usage", EXAMPLES / "usage.csv")

    assert out == (
        f"{EXAMPLES / 'usage.csv'}: 4 of 4 usage row(s) imported (4 new, 0 updated, 0 unchanged).\n"
    )
    assert err == ""
    assert UsageRecord.objects.count() == 4


def test_command_rejects_a_bad_file_with_error_lines_on_stderr(example_accounts, write_csv):
    path = write_csv(
        "usage.csv",
        "account,date,metric,value\n"
        "ACME-001,2026-11-01,logins,1\n"
        "NOPE-1,2026-11-01,logins,1\n"
        "ACME-001,2026-11-02,logins,x\n",
    )
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("import_csv", "usage", str(path), stdout=out, stderr=err)

    assert failure.value.returncode == 1
    assert str(failure.value) == f"{path}: 2 error(s) in 3 row(s); nothing was imported."
    assert err.getvalue() == (
        f"{path}:3: account: unknown account 'NOPE-1'\n{path}:4: value: 'x' is not a number\n"
    )
    assert out.getvalue() == ""
    assert UsageRecord.objects.count() == 0


def test_command_with_skip_invalid_lands_good_rows_and_still_exits_non_zero(
    example_accounts, write_csv
):
    path = write_csv(
        "usage.csv",
        "account,date,metric,value\nACME-001,2026-11-01,logins,1\nNOPE-1,2026-11-01,logins,1\n",
    )
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("import_csv", "usage", str(path), "--skip-invalid", stdout=out, stderr=err)

    assert failure.value.returncode == 1
    assert str(failure.value) == "1 bad row(s) were skipped."
    assert err.getvalue() == f"{path}:3: account: unknown account 'NOPE-1'\n"
    assert out.getvalue() == (
        f"{path}: 1 of 2 usage row(s) imported (1 new, 0 updated, 0 unchanged); "
        "1 error(s), bad rows skipped.\n"
    )
    assert UsageRecord.objects.count() == 1


def test_command_reports_a_missing_file_without_a_traceback(db, tmp_path):
    with pytest.raises(CommandError) as failure:
        call_command("import_csv", "usage", str(tmp_path / "nope.csv"))

    assert str(failure.value) == (
        f"{tmp_path / 'nope.csv'}: cannot read the file: No such file or directory"
    )


def test_command_refuses_an_unknown_kind(db):
    with pytest.raises(CommandError, match="invalid choice: 'widgets'"):
        call_command("import_csv", "widgets", "x.csv")


@pytest.mark.django_db(transaction=True)  # run_from_argv closes the connection when done
def test_command_line_exits_with_status_1_and_prints_errors_to_stderr(write_csv):
    AccountFactory(external_id="ACME-001", owner=None)
    path = write_csv("usage.csv", "account,date,metric,value\nACME-001,not-a-day,logins,1\n")
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit) as exit_:
        ImportCommand(stdout=out, stderr=err).run_from_argv(
            ["manage.py", "import_csv", "usage", str(path), "--no-progress"]
        )

    assert exit_.value.code == 1
    assert err.getvalue() == (
        f"{path}:2: date: 'not-a-day' is not a date; use YYYY-MM-DD\n"
        f"CommandError: {path}: 1 error(s) in 1 row(s); nothing was imported.\n"
    )
    assert out.getvalue() == ""
    assert UsageRecord.objects.count() == 0


def test_command_shows_a_progress_bar_on_stderr_for_large_files(
    example_accounts, write_csv, capsys
):
    rows = "".join(f"ACME-001,2026-11-01,m{n},{n}\n" for n in range(12_000))
    path = write_csv("big.csv", "account,date,metric,value\n" + rows)

    call_command("import_csv", "usage", str(path), stdout=StringIO(), stderr=StringIO())

    assert "import usage: 100%" in capsys.readouterr().err
    assert UsageRecord.objects.count() == 12_000


def test_existing_rows_of_other_accounts_are_untouched_by_an_import(example_accounts):
    other = UsageRecordFactory(metric="logins", value=3.0)

    import_example("usage")

    assert UsageRecord.objects.get(pk=other.pk).value == 3.0
    assert UsageRecord.objects.count() == 5


# ---------------------------------------------------------------- hardening (issue 15)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (
            "usage",
            "account,date,metric,value\nACME-001,9999-12-31,logins,1\n",
            "bad.csv:2: date: '9999-12-31' is outside 1900-01-01 – 2199-12-31",
        ),
        (
            "usage",
            "account,date,metric,value\nACME-001,1899-12-31,logins,1\n",
            "bad.csv:2: date: '1899-12-31' is outside 1900-01-01 – 2199-12-31",
        ),
        (
            "tickets",
            "account,ticket_id,opened_at,resolved_at\n"
            "ACME-001,T1,2026-01-01T00:00:00Z,9999-12-31T23:30:00-15:00\n",
            "bad.csv:2: resolved_at: '9999-12-31T23:30:00-15:00' "
            "is outside 1900-01-01 – 2199-12-31 (in UTC)",
        ),
        (
            "emails",
            "account,message_id,sent_at\nACME-001,m1,2199-12-31T23:30:00-01:00\n",
            "bad.csv:2: sent_at: '2199-12-31T23:30:00-01:00' "
            "is outside 1900-01-01 – 2199-12-31 (in UTC)",
        ),
        (
            "accounts",
            "external_id,name,churned_on\nACME-009,Acme,0001-01-01\n",
            "bad.csv:2: churned_on: '0001-01-01' is outside 1900-01-01 – 2199-12-31",
        ),
    ],
)
def test_dates_outside_1900_to_2199_are_refused(example_accounts, kind, text, expected):
    assert_rejected(kind, text, [expected])


def test_dates_at_the_edges_of_the_window_are_accepted(example_accounts):
    result = import_text(
        "emails",
        "account,message_id,sent_at,opened_at\n"
        "ACME-001,m1,1900-01-01T00:00:00Z,2199-12-31T23:59:59+00:00\n"
        "ACME-001,m2,1900-01-01T01:00:00+01:00,2199-12-31T10:00:00-13:00\n",
    )
    assert result.ok, result.error_lines()
    assert EmailMessage.objects.count() == 2


def test_a_header_of_a_million_unknown_columns_gives_a_short_error(example_accounts):
    header = "account,date,metric,value," + ",".join(f"c{n}" for n in range(1_000_000))
    result = import_text("usage", header + "\n")
    (line,) = result.error_lines()
    assert line.startswith("bad.csv:1: c0, c1, c2, ")
    assert ", c19 … and 999,980 more: unknown column; usage files take: " in line
    assert len(line) < 400


def test_a_column_repeated_a_million_times_is_one_short_error(example_accounts):
    result = import_text("usage", "account,date,metric,value" + ",value" * 1_000_000 + "\n")
    assert result.error_lines() == ["bad.csv:1: value: column appears twice in the header"]


def test_a_huge_bad_cell_is_quoted_only_in_part(example_accounts):
    cell = "x" * 100_000
    result = import_text("usage", f"account,date,metric,value\nACME-001,2026-11-01,logins,{cell}\n")
    (line,) = result.error_lines()
    assert line == f"bad.csv:2: value: '{'x' * 60}… (100,000 characters)' is not a number"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])  # "utf-16" writes a LE BOM
def test_utf16_with_a_byte_order_mark_is_read(example_accounts, encoding):
    raw = "\ufeffaccount,date,metric,value\nACME-001,2026-11-01,logins,3\n".encode(encoding)
    if encoding == "utf-16":
        raw = raw[2:]  # the codec adds its own mark; keep one
    result = csv_import(kind="usage", raw=raw, source="unicode.csv")
    assert result.ok, result.error_lines()
    assert UsageRecord.objects.get().value == 3


def test_utf16_without_a_byte_order_mark_is_named_as_such(example_accounts):
    raw = "account,date,metric,value\nACME-001,2026-11-01,logins,3\n".encode("utf-16-le")
    result = csv_import(kind="usage", raw=raw, source="unicode.csv")
    assert result.error_lines() == ["unicode.csv: the file is UTF-16 text; save it as CSV UTF-8"]
    assert UsageRecord.objects.count() == 0
