"""Goals, referrals, check-ins and the tags on feedback, drawn from an account's plan like the
other facts (see `demo.generator`). Healthy accounts have goals on track or met and refer other
companies; struggling ones have goals at risk or missed. Tickets, NPS comments and check-ins
carry the product areas they are about, and the release they followed when it touched that
area; the redesign of release 4.2 soured the mood for a month, so detractors cluster after it."""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from demo.plan import Group, Plan, between, colour_of
from demo.words import (
    CHECK_IN_NOTES,
    COMMENT_TAGS,
    FUTURE_PLANS,
    GOAL_KPIS,
    NAME_FIRST,
    ONBOARDING_GOAL,
    PRODUCT_AREAS,
    REFERRED_SECOND,
    RELEASES,
    TICKET_TAGS,
)
from signals.models import GoalStatus, ReferralOutcome
from surveys.models import TagKind
from workspace.models import Channel

# The feedback report compares the 30 days before a release with the 30 after it.
AFTER_RELEASE_DAYS = 30
# Share of the accounts that agreed success goals with their CSM, by health group.
GOAL_SHARE = {Group.HEALTHY: 0.85, Group.STABLE: 0.7, Group.DECLINING: 0.7, Group.AT_RISK: 0.6}
# (share that referred anyone, most referrals) by health group; at-risk accounts refer nobody.
REFERRALS = {Group.HEALTHY: (0.45, 3), Group.STABLE: (0.15, 1), Group.DECLINING: (0.08, 1)}
# How many check-ins the CSM logged: worried accounts get more.
CHECK_INS = {Group.HEALTHY: (1, 2), Group.STABLE: (1, 2), Group.DECLINING: (2, 4)}
_NOTE_TAGS = {note: tags for notes in CHECK_IN_NOTES.values() for note, tags in notes}


@dataclass(frozen=True)
class Release:
    name: str
    day: date
    areas: tuple[str, ...]
    mood: float  # added to how customers feel in the days after it

    def follows(self, day: date) -> bool:
        return self.day <= day < self.day + timedelta(days=AFTER_RELEASE_DAYS)


def releases(today: date, days: int) -> list[Release]:
    """The releases of a book of `days` days to `today`; a shorter book than the default 200
    days has them moved in proportionally, so that they stay inside its history."""
    return [
        Release(name, today - timedelta(days=round(back * min(1.0, days / 200))), areas, mood)
        for name, back, areas, mood in RELEASES
    ]


def plan_releases(p: Plan) -> list[Release]:
    return releases(p.today, (p.today - p.period_start).days + 1)


def mood_after(shipped: list[Release], day: date) -> float:
    """What the releases shipped shortly before `day` add to how customers feel."""
    return sum(r.mood for r in shipped if r.follows(day))


def tag_rows(shipped: list[Release]) -> list[dict[str, Any]]:
    return [
        *({"name": name, "kind": TagKind.PRODUCT_AREA.value, "released_on": None}
          for name in PRODUCT_AREAS),
        {"name": FUTURE_PLANS, "kind": TagKind.FUTURE_PLANS.value, "released_on": None},
        *({"name": r.name, "kind": TagKind.RELEASE.value, "released_on": r.day} for r in shipped),
    ]  # fmt: skip


def _with_release(areas: tuple[str, ...], day: date, shipped: list[Release]) -> tuple[str, ...]:
    return areas + tuple(r.name for r in shipped if r.follows(day) and set(areas) & set(r.areas))


def ticket_tags(row: dict[str, Any], shipped: list[Release]) -> tuple[str, ...]:
    opened: datetime = row["opened_at"]
    return _with_release(TICKET_TAGS.get(row["subject"], ()), opened.date(), shipped)


def answer_tags(row: dict[str, Any], shipped: list[Release]) -> tuple[str, ...]:
    return _with_release(COMMENT_TAGS.get(row["comment"], ()), row["responded_on"], shipped)


def check_in_tags(row: dict[str, Any]) -> tuple[str, ...]:
    return _NOTE_TAGS[row["note"]]


# ---------------------------------------------------------------- facts drawn from a plan


def goal_rows(p: Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """A brand-new account has its onboarding goal; about two in three of the others agreed up
    to three goals, which the healthy meet and the struggling miss."""
    if p.group is Group.NEW:
        due = p.start + timedelta(days=60)
        return [_goal(pk, ONBOARDING_GOAL, 3, 1, p.start, due, GoalStatus.ON_TRACK)]
    if rng.random() >= GOAL_SHARE[p.group]:
        return []
    first = max(p.period_start, p.start)
    rows = []
    for kpi, target in rng.sample(GOAL_KPIS, rng.randint(1, 3)):
        target = target or round(p.seats_on(p.last_day) * 0.8)
        set_on = between(rng, first, p.last_day - timedelta(days=14)) or first
        due_on = set_on + timedelta(days=rng.choice((60, 90, 120, 180)))
        h = p.seen(min(due_on, p.last_day)) + rng.gauss(0, 0.08)
        if due_on <= p.last_day:  # due: the CSM recorded how it ended
            met = h >= 0.6
            share = rng.uniform(1.0, 1.2) if met else rng.uniform(0.4, 0.85)
            status = GoalStatus.MET if met else GoalStatus.MISSED
        else:
            elapsed = (p.last_day - set_on).days / (due_on - set_on).days
            share = elapsed * (0.4 + h) * rng.uniform(0.9, 1.1)
            status = GoalStatus.ON_TRACK if h >= 0.55 else GoalStatus.AT_RISK
        rows.append(_goal(pk, kpi, target, round(target * share), set_on, due_on, status))
    return rows


def _goal(pk, kpi, target, reached, set_on, due_on, status) -> dict[str, Any]:
    return {
        "account_id": pk,
        "kpi": kpi,
        "target": float(target),
        "reached": float(reached),
        "set_on": set_on,
        "due_on": due_on,
        "status": status.value,
    }


def referral_rows(p: Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """Happy customers refer others; a declining one did while it was still happy."""
    chance, most = REFERRALS.get(p.group, (0.0, 0))
    if rng.random() >= chance:
        return []
    first = max(p.period_start, p.start + timedelta(days=60))
    last = p.last_day
    if p.group is Group.DECLINING:
        last = first + (last - first) // 2
    companies: list[str] = []
    for _ in range(rng.randint(1, most)):
        company = f"{rng.choice(NAME_FIRST)} {rng.choice(REFERRED_SECOND)}"
        if company not in companies:  # (account, company) is the natural key
            companies.append(company)
    rows = []
    for company in companies:
        day = between(rng, first, last)
        if day is None:
            continue
        if (p.today - day).days < 45:
            outcome = ReferralOutcome.LEAD
        else:
            outcome = rng.choices(tuple(ReferralOutcome), (0.2, 0.45, 0.35))[0]
        rows.append(
            {
                "account_id": pk,
                "referred_on": day,
                "referred_company": company,
                "outcome": str(outcome),
            }
        )
    return rows


def check_in_rows(p: Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """The CSM's logged conversations, noted from how the account looked that day."""
    low, high = CHECK_INS.get(p.group, (2, 4))
    first = max(p.period_start, p.start)
    days = {between(rng, first, p.last_day) for _ in range(rng.randint(low, high))}
    rows = []
    for day in sorted(d for d in days if d):
        note, _tags = rng.choice(CHECK_IN_NOTES[colour_of(p.seen(day) + rng.gauss(0, 0.05))])
        rows.append(
            {
                "account_id": pk,
                "author_id": p.owner_id,
                "date": day,
                "channel": str(rng.choice(tuple(Channel))),
                "note": note,
            }
        )
    return rows
