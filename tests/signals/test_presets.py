"""Each preset imports its example export (examples/presets/), through the command line's
`--mapping NAME`, with the values the export means: per-month amounts, statuses, dates."""

from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account
from signals.models import Invoice, SubscriptionLine, Ticket
from signals.presets import PRESETS
from tests.factories import AccountFactory

PRESET_FILES = Path(__file__).resolve().parents[2] / "examples" / "presets"


def run(kind, preset, *extra):
    out = StringIO()
    call_command(
        "import_csv",
        kind,
        str(PRESET_FILES / f"{preset}.csv"),
        "--mapping",
        preset,
        "--no-progress",
        *extra,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


@pytest.fixture
def stripe_customers(db):
    return [
        AccountFactory(external_id=f"cus_QaB1c2D3e4F5g{n}", name=name, owner=None)
        for n, name in [(6, "Acme Corp"), (7, "Globex"), (8, "Initech")]
    ]


@pytest.fixture
def book(db):
    return [
        AccountFactory(external_id=external_id, name=name, owner=None)
        for external_id, name in [
            ("ACME-001", "Acme Corp"),
            ("GLOBEX-002", "Globex"),
            ("INITECH-003", "Initech"),
        ]
    ]


def test_every_preset_has_an_example_file():
    assert sorted(p.stem for p in PRESET_FILES.glob("*.csv")) == sorted(PRESETS)


def test_stripe_subscriptions_become_monthly_lines(stripe_customers):
    summary = run("subscriptions", "stripe_subscriptions")
    assert "3 of 3 subscriptions row(s) imported (3 new" in summary
    lines = {s.subscription_id: s for s in SubscriptionLine.objects.select_related("account")}
    acme = lines["sub_1PqA2bCdEfGh0001"]
    assert acme.account.external_id == "cus_QaB1c2D3e4F5g6"
    assert (acme.product, acme.mrr, acme.start_date, acme.end_date, acme.is_trial) == (
        "Core",
        Decimal("420.00"),
        date(2025, 1, 1),
        None,
        False,  # 42.00 a month × 10 seats
    )
    trial = lines["sub_1PqA2bCdEfGh0002"]
    assert (trial.mrr, trial.is_trial) == (Decimal("99.00"), True)
    yearly = lines["sub_1PqA2bCdEfGh0003"]
    assert (yearly.mrr, yearly.end_date) == (Decimal("100.00"), date(2026, 10, 2))  # 1200 a year
    # Twice changes nothing.
    assert "(0 new, 0 updated, 3 unchanged)" in run("subscriptions", "stripe_subscriptions")


def test_stripe_invoices_due_on_issue_when_charged_automatically(stripe_customers):
    run("invoices", "stripe_invoices")
    paid = Invoice.objects.get(invoice_number="in_1PqB3cDeFgHi0001")
    assert (paid.issued_on, paid.due_on, paid.paid_on, paid.amount) == (
        date(2026, 11, 1),
        date(2026, 11, 1),
        date(2026, 11, 1),
        Decimal("420.00"),
    )
    open_ = Invoice.objects.get(invoice_number="in_1PqB3cDeFgHi0002")
    assert (open_.due_on, open_.paid_on) == (date(2026, 4, 14), None)


def test_hubspot_companies_become_accounts_with_segments(db):
    run("accounts", "hubspot_companies")
    accounts = {a.external_id: a for a in Account.objects.all()}
    assert {k: (a.name, a.segment, a.lifecycle_stage) for k, a in accounts.items()} == {
        "18342291001": ("Acme Corp", "enterprise", "adoption"),
        "18342291002": ("Globex", "mid_market", "mature"),
        "18342291003": ("Initech", "smb", "onboarding"),
    }


def test_salesforce_accounts_report(db):
    run("accounts", "salesforce_accounts")
    accounts = {
        a.external_id: (a.name, a.segment, a.lifecycle_stage) for a in Account.objects.all()
    }
    assert accounts == {
        "0015g00000AbCdE": ("Acme Corp", "enterprise", "adoption"),
        "0015g00000AbCdF": ("Globex", "mid_market", "adoption"),
        "0015g00000AbCdG": ("Initech", "smb", "onboarding"),
    }


def test_zendesk_tickets_with_first_reply_minutes_and_satisfaction(book):
    run("tickets", "zendesk_tickets")
    tickets = {t.ticket_id: t for t in Ticket.objects.all()}
    sso = tickets["4501"]
    assert (sso.priority, sso.subject, sso.csat) == ("critical", "SSO login fails", 5)
    assert sso.opened_at == datetime(2026, 11, 10, 9, 15, tzinfo=UTC)
    assert sso.first_response_at == datetime(2026, 11, 10, 9, 40, tzinfo=UTC)  # + 25 minutes
    assert sso.resolved_at == datetime(2026, 11, 10, 11, 40, tzinfo=UTC)
    assert (tickets["4502"].csat, tickets["4502"].resolved_at) == (None, None)  # "Offered"
    assert tickets["4503"].priority == "normal"  # no priority: the default
    assert tickets["4503"].first_response_at is None


def test_intercom_conversations_become_tickets(book):
    run("tickets", "intercom_conversations")
    tickets = {t.ticket_id: t for t in Ticket.objects.select_related("account")}
    first = tickets["215468912345678"]
    assert first.account.external_id == "ACME-001"
    assert first.first_response_at == datetime(2026, 11, 12, 8, 9, 10, tzinfo=UTC)
    assert (first.csat, tickets["215468912345680"].csat) == (5, 2)
    assert tickets["215468912345679"].resolved_at is None


def test_a_preset_of_another_kind_is_refused(db):
    with pytest.raises(CommandError, match="is for subscriptions, not invoices"):
        run("invoices", "stripe_subscriptions")


def test_an_unknown_mapping_lists_the_known_ones(db):
    with pytest.raises(CommandError, match="no mapping named 'nope'; there are: .*stripe_invoices"):
        call_command(
            "import_csv", "invoices", str(PRESET_FILES / "stripe_invoices.csv"), "--mapping", "nope"
        )


def test_a_file_without_a_mapped_column_says_which(stripe_customers, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,Customer ID,Status,Plan,Amount,Start Date (UTC),Ended At (UTC)\n")
    with pytest.raises(CommandError):
        call_command(
            "import_csv",
            "subscriptions",
            str(path),
            "--mapping",
            "stripe_subscriptions",
            stderr=(err := StringIO()),
        )
    assert (
        f"{path}:1: mrr: the mapping reads column 'Interval', which the file does not have"
        in err.getvalue()
    )
    assert not SubscriptionLine.objects.exists()
