"""Demo data: a believable book of customer accounts, deterministic from a seed.

`make run` loads it once so a new install shows every colour, and tests use small books. Each
account gets a hidden health group and a daily health h(day) between 0 and 1 that drifts over
the period. Churn is drawn from the hidden health — the lower it sinks, the likelier the account
leaves — and a few accounts leave whatever their health (acquired, budget cut). The facts —
usage, expansions, payments, tickets, NPS, e-mail opens, the CSM's sentiment and check-ins,
success goals and referrals, tags on feedback (`demo.feedback`) — are drawn from
what the account shows, h(day) plus an offset of its own (some teams look busier or quieter
than they feel), so the signals reflect the health only noisily and never spell the churn out.
A fair scorecard should find most healthy accounts green and most declining and at-risk ones
yellow or red, and many (not all) churned accounts turning red before they leave.

Same seed and same `today` give identical rows: each account draws from its own random streams
(one per kind of fact), never from the global `random`. A second run upserts on the natural keys
and changes nothing. Everything is built in memory and written with `bulk_upsert` (check-ins,
which have no natural key, by account, day and note).
"""

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Role, User
from demo.facts import (
    email_rows,
    invoice_rows,
    nps_rows,
    sentiment_rows,
    subscription_rows,
    ticket_rows,
    usage_rows,
)
from demo.feedback import (
    answer_tags,
    check_in_rows,
    check_in_tags,
    goal_rows,
    referral_rows,
    releases,
    tag_rows,
    ticket_tags,
)
from demo.plan import (
    DEMO_PASSWORD,
    DEMO_USERS,
    DemoSummary,
    Group,
    Plan,
    company_names,
    group_sizes,
    plan,
)
from demo.words import NAME_FIRST, NAME_SECOND, NAME_SUFFIX
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
from signals.tagging import TagLinks, tag_ids_by_name
from signals.upsert import UpsertCounts, bulk_upsert
from surveys.models import SurveyResponse, Tag
from workspace.models import CheckIn

ANSWER_KEY = ["account_id", "respondent", "responded_on", "survey_type"]
# Check-ins have no natural key: a demo check-in is its account, day and note.
CHECK_IN_KEY = ["account_id", "date", "note"]

# ---------------------------------------------------------------- the service


def demo_users_ensure() -> dict[str, User]:
    """Create the demo users if missing. An existing user keeps its password: someone may have
    changed it on purpose."""
    users = {}
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "role": demo.role,
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@healthscore.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[demo.username] = user
    return users


def check_ins_add(rows: list[dict[str, Any]]) -> UpsertCounts:
    """Add the demo check-ins that are not there yet (by CHECK_IN_KEY); people's own stay."""
    accounts = {row["account_id"] for row in rows}
    have = set(CheckIn.objects.filter(account_id__in=accounts).values_list(*CHECK_IN_KEY))
    new = [CheckIn(**row) for row in rows if tuple(row[k] for k in CHECK_IN_KEY) not in have]
    CheckIn.objects.bulk_create(new, batch_size=2000)
    return UpsertCounts(created=len(new))


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role label, full name) of the demo users that exist, in DEMO_USERS order."""
    usernames = [d.username for d in DEMO_USERS]
    found = {u.username: u for u in User.objects.filter(username__in=usernames)}
    return [
        (u.username, u.get_role_display(), u.get_full_name())
        for u in (found.get(d.username) for d in DEMO_USERS)
        if u is not None
    ]


def demo_seed(
    *,
    seed: int = 7,
    accounts: int = 320,
    days: int = 200,
    today: date | None = None,
    out: TextIO | None = None,
) -> DemoSummary:
    """Build (or rebuild, idempotently) a demo book of `accounts` accounts with `days` days of
    history ending on `today` (default: today in the site's time zone)."""
    most = len(NAME_FIRST) * len(NAME_SECOND) * len(NAME_SUFFIX)
    if not 1 <= accounts <= most:
        raise ValueError(f"accounts must be between 1 and {most} (unique company names)")
    if days < 30:
        raise ValueError("days must be at least 30: the score looks back 30 to 180 days")
    today = today or timezone.localdate()
    started = time.monotonic()

    def say(message: str) -> None:
        if out is not None:
            out.write(f"[{time.monotonic() - started:5.1f}s] {message}\n")

    rows: dict[str, int] = {}
    new_rows: dict[str, int] = {}
    updated_rows: dict[str, int] = {}

    def count(name: str, what: str, data: list, counts: UpsertCounts) -> None:
        rows[name], new_rows[name], updated_rows[name] = len(data), counts.created, counts.updated
        say(f"{what}: {len(data)} rows ({counts.created} new, {counts.updated} changed)")

    def write(model, data: list[dict[str, Any]], *, key: list[str], update: list[str]) -> None:
        columns = list(data[0]) if data else []
        values = [tuple(row[c] for c in columns) for row in data]
        counts = bulk_upsert(model, columns, values, key=key, update=update)
        count(model.__name__, model._meta.verbose_name_plural, data, counts)

    def tag(model, data: list[dict[str, Any]], key: list[str], tags_of) -> None:
        # Each row linked to exactly the tags it is about (its links rewritten only where they
        # differ), counted as the rows whose tags changed.
        ids = tag_ids_by_name()
        links = TagLinks(model, key, {})
        keys = [tuple(row[k] for k in key) for row in data]
        names = [tags_of(row) for row in data]
        links.write(keys, [frozenset(ids[n.lower()] for n in ns) for ns in names], set(keys))
        tagged = [ns for ns in names if ns]
        what = f"{model._meta.verbose_name_plural} tagged"
        count(f"{model.__name__}.tags", what, tagged, UpsertCounts(updated=links.changed_existing))

    with transaction.atomic():
        users = demo_users_ensure()
        say(f"users: {', '.join(users)}")
        csms = [users[d.username].pk for d in DEMO_USERS if d.role == Role.CSM]

        master = random.Random(seed)
        groups = group_sizes(accounts)
        master.shuffle(groups)
        names = company_names(master, accounts)
        plans = [
            plan(
                n,
                group,
                name,
                domain,
                csms[(n - 1) % len(csms)],
                seed=seed,
                days=days,
                today=today,
            )
            for n, (group, (name, domain)) in enumerate(zip(groups, names, strict=True), start=1)
        ]
        write(
            Account,
            [
                {
                    "external_id": p.external_id,
                    "name": p.name,
                    "owner_id": p.owner_id,
                    "segment": str(p.segment),
                    "lifecycle_stage": str(p.lifecycle_stage()),
                    "licensed_seats": p.seats_on(p.last_day),
                    "churned_on": p.churn_on if p.churn_recorded else None,
                    "churn_reason": p.churn_reason,
                }
                for p in plans
            ],
            key=["external_id"],
            update=[
                "name",
                "owner_id",
                "segment",
                "lifecycle_stage",
                "licensed_seats",
                "churned_on",
                "churn_reason",
            ],
        )
        pks = dict(
            Account.objects.filter(external_id__in=[p.external_id for p in plans]).values_list(
                "external_id", "pk"
            )
        )

        def facts(kind: str, build: Callable[[Plan, int, random.Random], list]) -> list:
            # One random stream per account and kind: a change to how tickets are drawn never
            # reshuffles the usage of the same seed.
            return [
                row
                for p in plans
                if p.group is not Group.NEW or kind in ("usage", "goals")
                for row in build(p, pks[p.external_id], random.Random(f"{seed}:{p.number}:{kind}"))
            ]

        lines = {p.number: subscription_rows(p, pks[p.external_id]) for p in plans}
        write(
            SubscriptionLine,
            [row for p in plans for row in lines[p.number]],
            key=["subscription_id", "start_date"],
            update=["account_id", "product", "mrr", "end_date", "is_trial"],
        )
        write(
            UsageRecord,
            facts("usage", usage_rows),
            key=["account_id", "metric", "date"],
            update=["value"],
        )
        write(
            Invoice,
            facts("invoices", lambda p, pk, rng: invoice_rows(p, pk, lines[p.number], rng)),
            key=["invoice_number"],
            update=["account_id", "issued_on", "due_on", "paid_on", "amount"],
        )
        tickets = facts("tickets", ticket_rows)
        write(
            Ticket,
            tickets,
            key=["ticket_id"],
            update=[
                "account_id",
                "subject",
                "priority",
                "opened_at",
                "first_response_at",
                "resolved_at",
                "csat",
            ],
        )
        write(
            EmailMessage,
            facts("emails", email_rows),
            key=["message_id"],
            update=["account_id", "subject", "sent_at", "opened_at", "clicked_at"],
        )
        answers = facts("nps", nps_rows)
        write(
            SurveyResponse,
            answers,
            key=ANSWER_KEY,
            update=["score", "comment"],
        )
        write(
            SentimentEntry,
            facts("sentiment", sentiment_rows),
            key=["account_id", "recorded_on"],
            update=["sentiment", "note", "author_id"],
        )
        write(
            Goal,
            facts("goals", goal_rows),
            key=["account_id", "kpi", "due_on"],
            update=["target", "reached", "set_on", "status"],
        )
        write(
            Referral,
            facts("referrals", referral_rows),
            key=["account_id", "referred_company"],
            update=["referred_on", "outcome"],
        )
        check_ins = facts("check_ins", check_in_rows)
        count("CheckIn", "check-ins", check_ins, check_ins_add(check_ins))

        # Tags last: the rows they go on exist by now. A tag an admin made already in another
        # case ("Billing") is the demo's tag too: names are unique in any case.
        shipped = releases(today, days)
        same = {name.lower(): name for name in Tag.objects.values_list("name", flat=True)}
        write(
            Tag,
            [{**t, "name": same.get(t["name"].lower(), t["name"])} for t in tag_rows(shipped)],
            key=["name"],
            update=["kind", "released_on"],
        )
        tag(Ticket, tickets, ["ticket_id"], lambda row: ticket_tags(row, shipped))
        tag(SurveyResponse, answers, ANSWER_KEY, lambda row: answer_tags(row, shipped))
        tag(CheckIn, check_ins, CHECK_IN_KEY, check_in_tags)

    counts = Counter(str(p.group) for p in plans)
    say("hidden health groups: " + ", ".join(f"{g} {counts[g]}" for g in Group if counts[g]))
    return DemoSummary(
        seed=seed,
        today=today,
        days=days,
        accounts=len(plans),
        users=tuple(users),
        rows=rows,
        new_rows=new_rows,
        updated_rows=updated_rows,
        groups=dict(counts),
        group_of={p.external_id: str(p.group) for p in plans},
        seconds=round(time.monotonic() - started, 2),
    )
