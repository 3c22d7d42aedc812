"""The demo book: every kind of data, believable by health group, deterministic, idempotent."""

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import F

from accounts.models import Account, Role, User
from demo.generator import DEMO_PASSWORD, DEMO_USERS, demo_seed
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
from surveys.models import SurveyResponse, Tag
from tests.factories import AccountFactory
from tests.reports.test_reports import by, table
from workspace.models import CheckIn

TODAY = date(2026, 6, 30)
SMALL = {"seed": 7, "accounts": 40, "days": 60, "today": TODAY}
FACT_MODELS = (
    SubscriptionLine,
    UsageRecord,
    Invoice,
    Ticket,
    EmailMessage,
    SurveyResponse,
    SentimentEntry,
    Goal,
    Referral,
    CheckIn,
)
# The tagged models, with the fields that tell their rows apart (beside the account).
TAGGED = {
    Ticket: ("ticket_id",),
    SurveyResponse: ("respondent", "responded_on"),
    CheckIn: ("date", "note"),
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The demo users' passwords are hashed on every fresh seed; PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fingerprint() -> dict[str, list[tuple]]:
    """Every demo row by value, with accounts and users by their natural keys, not their ids."""
    rows = {
        "accounts": sorted(
            Account.objects.values_list(
                "external_id",
                "name",
                "owner__username",
                "segment",
                "lifecycle_stage",
                "licensed_seats",
                "churned_on",
                "churn_reason",
            )
        )
    }
    for model in FACT_MODELS:
        skip = {"id", "account", "created_at", "updated_at"}  # the clock's, not the seed's
        names = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
        names = [n.replace("author_id", "author__username") for n in names]
        rows[model.__name__] = sorted(
            model.objects.values_list("account__external_id", *names), key=repr
        )
    rows["tags"] = sorted(Tag.objects.values_list("name", "kind", "released_on"), key=repr)
    for model, natural in TAGGED.items():
        owner = model._meta.model_name
        fields = [f"{owner}__{name}" for name in ("account__external_id", *natural)]
        links = model.tags.through.objects.values_list(*fields, "tag__name")
        rows[f"{model.__name__}.tags"] = sorted(links, key=repr)
    return rows


def test_small_book_has_the_demo_users_with_their_roles():
    demo_seed(**SMALL)

    users = {u.username: u for u in User.objects.all()}
    assert {d.username: d.role for d in DEMO_USERS} == {
        "csm1": Role.CSM,
        "csm2": Role.CSM,
        "csm3": Role.CSM,
        "manager": Role.MANAGER,
        "admin": Role.ADMIN,
    }
    for demo in DEMO_USERS:
        assert users[demo.username].role == demo.role
        assert users[demo.username].check_password(DEMO_PASSWORD)
    assert users["admin"].is_staff
    assert not users["csm1"].is_staff


def test_small_book_spreads_named_accounts_over_segments_and_the_three_csms():
    demo_seed(**SMALL)

    accounts = list(Account.objects.select_related("owner"))
    assert len(accounts) == 40
    assert sorted(a.external_id for a in accounts)[:2] == ["CRM-00001", "CRM-00002"]
    assert len({a.name for a in accounts}) == 40
    assert {a.segment for a in accounts} == {"smb", "mid_market", "enterprise"}
    assert len({a.lifecycle_stage for a in accounts}) >= 3
    per_owner = Counter(a.owner.username for a in accounts)
    assert set(per_owner) == {"csm1", "csm2", "csm3"}
    assert min(per_owner.values()) >= 13
    seats = {
        s: [a.licensed_seats for a in accounts if a.segment == s] for s in ("smb", "enterprise")
    }
    assert max(seats["smb"]) < min(seats["enterprise"])


def test_small_book_has_every_kind_of_signal_data_within_the_period():
    demo_seed(**SMALL)

    for model in FACT_MODELS:
        assert model.objects.exists(), model.__name__
    first = TODAY - timedelta(days=59)
    usage = UsageRecord.objects.all()
    assert set(usage.values_list("metric", flat=True)) == {
        "logins",
        "active_users",
        "reports_created",
    }
    assert min(usage.values_list("date", flat=True)) >= first
    assert max(usage.values_list("date", flat=True)) == TODAY
    assert max(Invoice.objects.values_list("issued_on", flat=True)) <= TODAY
    assert set(Ticket.objects.values_list("priority", flat=True)) == {
        "low",
        "normal",
        "high",
        "critical",
    }
    assert Ticket.objects.filter(resolved_at__isnull=True).exists()
    assert Ticket.objects.filter(csat__isnull=False).exists()
    assert EmailMessage.objects.filter(opened_at__isnull=True).exists()
    assert EmailMessage.objects.filter(opened_at__isnull=False).exists()
    assert SurveyResponse.objects.filter(score__gte=9).exists()  # promoters
    assert SurveyResponse.objects.filter(score__lte=6).exists()  # detractors
    assert set(SentimentEntry.objects.values_list("sentiment", flat=True)) == {
        "green",
        "yellow",
        "red",
    }


def test_active_users_stay_within_licensed_seats_almost_always():
    demo_seed(**SMALL)

    seats = dict(Account.objects.values_list("pk", "licensed_seats"))
    active = UsageRecord.objects.filter(metric="active_users").values_list("account_id", "value")
    within = [value <= seats[account_id] for account_id, value in active]
    assert sum(within) / len(within) > 0.95


def test_subscriptions_have_renewals_expansions_contractions_cross_sells_trials_and_churn():
    demo_seed(**SMALL)

    lines = defaultdict(list)
    for line in SubscriptionLine.objects.order_by("start_date"):
        lines[line.subscription_id].append(line)
    paid_pairs = [
        (a, b)
        for subscription in lines.values()
        for a, b in zip(subscription, subscription[1:], strict=False)
        if not a.is_trial
    ]
    # Every change is a new line that starts the day the previous one ends.
    assert all(a.end_date == b.start_date for a, b in paid_pairs)
    assert any(b.mrr == a.mrr for a, b in paid_pairs)  # plain renewal
    assert any(b.mrr > a.mrr for a, b in paid_pairs)  # upsell or uplift
    assert any(b.mrr < a.mrr for a, b in paid_pairs)  # downsell

    paid = SubscriptionLine.objects.filter(is_trial=False)
    products = Counter(account for account, _ in set(paid.values_list("account_id", "product")))
    assert any(n >= 2 for n in products.values())  # cross-sell: a second product

    trials = [s for s in lines.values() if s[0].is_trial]
    assert trials and all(s[0].mrr == 0 for s in trials)
    assert any(len(s) > 1 for s in trials)  # converted
    assert any(len(s) == 1 and s[0].end_date <= TODAY for s in trials)  # lapsed

    active = set(Account.objects.active_on(TODAY).values_list("pk", flat=True))
    churned = Account.objects.exclude(pk__in=active)
    assert 2 <= churned.count() <= 6  # about 10 % of 40
    assert churned.filter(churned_on__isnull=False).exclude(churn_reason="").exists()
    for account in churned:
        last = account.subscription_lines.order_by("-start_date").first()
        assert last.end_date <= TODAY  # ended, and nothing follows


def test_only_struggling_accounts_have_invoices_over_30_days_overdue():
    summary = demo_seed(**SMALL)

    overdue = Invoice.objects.filter(paid_on__isnull=True, due_on__lte=TODAY - timedelta(days=30))
    groups = Counter(
        summary.group_of[ext] for ext in overdue.values_list("account__external_id", flat=True)
    )
    assert groups
    assert set(groups) <= {"at_risk", "declining", "churned"}
    assert Invoice.objects.filter(paid_on__gt=F("due_on")).exists()  # some were paid late


def test_health_groups_differ_in_usage_nps_and_email_engagement():
    summary = demo_seed(**{**SMALL, "accounts": 80})
    group_of = {
        pk: summary.group_of[ext] for ext, pk in Account.objects.values_list("external_id", "pk")
    }
    seats = dict(Account.objects.values_list("pk", "licensed_seats"))

    def mean_by_group(pairs):
        values = defaultdict(list)
        for account_id, value in pairs:
            values[group_of[account_id]].append(value)
        return {g: sum(v) / len(v) for g, v in values.items()}

    last_30 = UsageRecord.objects.filter(metric="active_users", date__gt=TODAY - timedelta(days=30))
    utilisation = mean_by_group(
        (a, v / seats[a]) for a, v in last_30.values_list("account_id", "value")
    )
    assert utilisation["healthy"] > 0.6 > utilisation["declining"] > utilisation["at_risk"]

    nps = mean_by_group(SurveyResponse.objects.values_list("account_id", "score"))
    assert nps["healthy"] >= 8.5 and nps["at_risk"] <= 6

    opened = mean_by_group(
        (a, opened is not None)
        for a, opened in EmailMessage.objects.values_list("account_id", "opened_at")
    )
    assert opened["healthy"] > 0.5 and opened["at_risk"] < 0.3


def test_brand_new_accounts_have_only_a_subscription_and_a_few_days_of_usage():
    summary = demo_seed(**SMALL)

    new = [ext for ext, group in summary.group_of.items() if group == "new"]
    assert len(new) >= 2
    for account in Account.objects.filter(external_id__in=new):
        assert account.subscription_lines.exists()
        assert 1 <= account.usage_records.values("date").distinct().count() <= 7
        assert not account.invoices.exists()
        assert not account.survey_responses.exists()
        assert not account.email_messages.exists()
        assert not account.sentiment_entries.exists()
        assert not account.tickets.exists()
        assert not account.referrals.exists() and not account.check_ins.exists()
        # Their one goal is the onboarding, on track.
        assert list(account.goals.values_list("kpi", "status")) == [("Teams onboarded", "on_track")]


def test_demo_book_scores_in_every_colour_and_new_accounts_are_not_grey():
    from scoring.models import HealthSnapshot
    from scoring.recompute import health_recompute

    summary = demo_seed(**SMALL)
    result = health_recompute(as_of=TODAY)

    assert {"green", "yellow", "red"} <= set(result.colours)
    new = [ext for ext, group in summary.group_of.items() if group == "new"]
    new_colours = set(
        HealthSnapshot.objects.filter(date=TODAY, account__external_id__in=new).values_list(
            "colour", flat=True
        )
    )
    assert new_colours and "grey" not in new_colours


def test_healthy_accounts_meet_their_goals_and_refer_others_struggling_ones_miss_them():
    summary = demo_seed(**{**SMALL, "accounts": 80})

    def groups(rows):
        return Counter(summary.group_of[ext] for ext in rows)

    good = Goal.objects.filter(status__in=["on_track", "met"]).values_list(
        "account__external_id", flat=True
    )
    bad = Goal.objects.filter(status__in=["at_risk", "missed"]).values_list(
        "account__external_id", flat=True
    )
    good, bad = groups(good), groups(bad)
    assert good["healthy"] > 4 * bad["healthy"]
    assert bad["at_risk"] > 2 * good["at_risk"]
    assert bad["declining"] + bad["at_risk"] > 0.6 * (good["declining"] + good["at_risk"])
    referrers = groups(Referral.objects.values_list("account__external_id", flat=True))
    assert referrers["healthy"] > 0.7 * referrers.total()
    assert referrers["at_risk"] == 0
    assert set(Referral.objects.values_list("outcome", flat=True)) == {"lead", "won", "lost"}


def test_feedback_is_tagged_by_product_area_and_release():
    demo_seed(**SMALL)

    tags = dict(Tag.objects.values_list("name", "kind"))
    areas = {"onboarding", "billing", "performance", "reporting", "integrations"}
    assert areas <= {name for name, kind in tags.items() if kind == "product_area"}
    releases = Tag.objects.filter(kind="release").order_by("released_on")
    assert [(t.name, t.released_on) for t in releases] == [
        ("release 4.1", TODAY - timedelta(days=36)),  # moved in: the book has 60 days
        ("release 4.2", TODAY - timedelta(days=14)),
    ]
    for model in TAGGED:
        tagged = model.objects.filter(tags__isnull=False).distinct().count()
        assert 0 < tagged <= model.objects.count(), model.__name__
    # A release tags only feedback about what it changed, given in the 30 days after it.
    after = Ticket.objects.filter(tags__name="release 4.2")
    assert after.exists()
    assert all(t.opened_at.date() >= releases[1].released_on for t in after)
    assert not after.exclude(tags__name__in=["performance", "reporting"]).exists()


def test_the_feedback_report_and_the_goals_section_have_content(client, settings):
    settings.LANGUAGE_CODE = "en"
    demo_seed(**SMALL)
    client.force_login(User.objects.get(username="manager"))

    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False):
        response = client.get("/reports/feedback/")
        volume = table(response, "volume")
        detractors = by(table(response, "detractors"), "tag")
        releases = by(table(response, "releases"), "tag")
        healthy = Account.objects.filter(referrals__isnull=False, goals__status="on_track")
        page = client.get(f"/accounts/{healthy.first().pk}/").content.decode()

    assert {"billing", "reporting", "performance"} <= {row["tag"] for row in volume}
    assert sum(row["total"] for row in volume) > 100
    # Detractors concentrate on some tags, not evenly on all.
    shares = [r["detractor_share"] for t, r in detractors.items() if t in ("billing", "reporting")]
    assert None not in shares and max(shares) - min(shares) >= 10
    assert set(releases) == {"release 4.1", "release 4.2"}
    assert all(r["tickets_before"] and r["tickets_after"] for r in releases.values())
    assert releases["release 4.2"]["tagged_after"] > 0
    assert 'id="goal-table"' in page
    assert "No goals agreed yet." not in page and "No referrals recorded." not in page


def test_same_seed_and_day_give_identical_rows_and_a_rerun_adds_nothing():
    first = demo_seed(**SMALL)
    before = fingerprint()

    again = demo_seed(**SMALL)

    assert fingerprint() == before
    assert set(again.new_rows.values()) == {0}
    assert set(again.updated_rows.values()) == {0}
    assert again.rows == first.rows


def test_same_seed_rebuilds_the_same_book_in_an_empty_database():
    demo_seed(**SMALL)
    before = fingerprint()
    Account.objects.all().delete()  # cascades to every fact
    User.objects.all().delete()

    demo_seed(**SMALL)

    assert fingerprint() == before


def test_another_seed_gives_another_book():
    demo_seed(**SMALL)
    before = fingerprint()
    Account.objects.all().delete()

    demo_seed(**{**SMALL, "seed": 8})

    assert fingerprint()["accounts"] != before["accounts"]
    assert fingerprint()["UsageRecord"] != before["UsageRecord"]


def test_command_seeds_and_prints_every_login_with_the_password():
    out = StringIO()
    call_command(
        "seed_demo", "--accounts", "40", "--days", "60", "--today", "2026-06-30", stdout=out
    )

    text = out.getvalue()
    assert Account.objects.count() == 40
    assert "usage records" in text  # progress, a line per stage
    assert DEMO_PASSWORD in text
    for username, role in [
        ("csm1", "CSM"),
        ("csm3", "CSM"),
        ("manager", "Manager"),
        ("admin", "Admin"),
    ]:
        assert any(username in line and role in line for line in text.splitlines()), username


def test_if_empty_leaves_an_existing_book_alone_but_still_prints_the_logins():
    demo_seed(**SMALL)
    before = fingerprint()
    out = StringIO()

    call_command("seed_demo", "--if-empty", "--seed", "99", "--today", "2026-07-30", stdout=out)

    assert fingerprint() == before
    assert "already exist" in out.getvalue()
    assert "csm1" in out.getvalue() and DEMO_PASSWORD in out.getvalue()


def test_if_empty_adds_nothing_to_accounts_imported_from_elsewhere():
    AccountFactory()
    out = StringIO()

    call_command("seed_demo", "--if-empty", stdout=out)

    assert Account.objects.count() == 1
    assert not UsageRecord.objects.exists()
    assert "No demo users" in out.getvalue()


def test_if_empty_seeds_an_empty_database():
    call_command("seed_demo", "--if-empty", "--accounts", "20", "--days", "40", stdout=StringIO())

    assert Account.objects.count() == 20


def test_command_rejects_a_bad_today():
    with pytest.raises(CommandError, match="--today 'yesterday' is not a date"):
        call_command("seed_demo", "--today", "yesterday", stdout=StringIO())


def test_service_rejects_a_history_too_short_to_score():
    with pytest.raises(ValueError, match="days must be at least 30"):
        demo_seed(accounts=5, days=10, today=TODAY)
