"""The facts drawn from an account's plan: subscription lines, usage, invoices, tickets,
e-mails, NPS answers and the CSM's sentiment, each from the account's own random stream."""

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from demo.feedback import mood_after, plan_releases
from demo.plan import Group, Plan, add_months, at, between, colour_of
from demo.words import (
    EMAIL_SUBJECTS,
    MAIN_PRODUCT,
    NPS_COMMENTS,
    PAYMENT_TERMS,
    SENTIMENT_NOTES,
    TICKET_RATE,
    TICKET_SUBJECTS,
)
from signals.models import (
    TicketPriority,
)
from surveys.models import SurveyType

# ---------------------------------------------------------------- facts drawn from a plan


def subscription_rows(p: Plan, pk: int) -> list[dict[str, Any]]:
    main = f"SUB-{p.number:05d}-1"
    product = MAIN_PRODUCT[p.segment]
    end = p.main_end()
    rows: list[dict[str, Any]] = []
    if p.paid_from > p.start:
        rows.append(_line(pk, main, product, 0, p.start, p.paid_from, trial=True))
    # A new line at every renewal and at every change of MRR.
    cuts = sorted({p.paid_from, *p.anniversaries(end or p.today), *(d for d, _ in p.changes)})
    cuts = [d for d in cuts if end is None or d < end]
    for i, start in enumerate(cuts):
        line_end = cuts[i + 1] if i + 1 < len(cuts) else end
        rows.append(_line(pk, main, product, p.mrr_on(start), start, line_end))
    if p.addon:
        name, start, trial, converts, mrr = p.addon
        sub = f"SUB-{p.number:05d}-2"
        paid = start + timedelta(days=14) if trial else start
        if trial:
            rows.append(_line(pk, sub, name, 0, start, paid, trial=True))
        # A trial still running has no outcome yet; one ending after the account left has none.
        if converts and paid <= p.today and (end is None or paid < end):
            # Co-termed with the main subscription, so both renew on the same day.
            rows.append(_line(pk, sub, name, mrr, paid, end))
    return rows


def _line(pk, sub, product, mrr, start, end, *, trial=False) -> dict[str, Any]:
    return {
        "account_id": pk,
        "subscription_id": sub,
        "product": product,
        "mrr": Decimal(f"{mrr:.2f}"),
        "start_date": start,
        "end_date": end,
        "is_trial": trial,
    }


def usage_rows(p: Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    day = max(p.period_start, p.start)
    while day <= p.last_day:
        h = p.seen(day)
        seats = p.seats_on(day)
        weekday = 1.0 if day.weekday() < 5 else 0.2
        ramp = min(1.0, 0.3 + 0.7 * (day - p.start).days / 30)  # teams take a month to onboard
        # Healthy teams use most seats, and each user logs in and builds reports more often:
        # usage per seat differs about tenfold between the healthy and the at-risk.
        utilisation = max(0.0, 0.04 + 0.9 * h + rng.gauss(0, 0.03))
        active = round(seats * utilisation * weekday * ramp * rng.uniform(0.9, 1.1))
        # Only healthy teams outgrow their licence, which is when they buy more seats.
        active = min(active, round(seats * (1.08 if p.group is Group.HEALTHY else 1.0)))
        values = {
            "logins": round(active * (0.5 + 3 * h * h) * rng.uniform(0.8, 1.2)),
            "active_users": active,
            "reports_created": round(active * 0.6 * h * h * rng.uniform(0.5, 1.5)),
        }
        # Analytics tools send a row when something happened; a silent day has no row.
        rows.extend(
            {"account_id": pk, "date": day, "metric": metric, "value": float(value)}
            for metric, value in values.items()
            if value > 0
        )
        day += timedelta(days=1)
    return rows


def invoice_rows(
    p: Plan, pk: int, lines: list[dict[str, Any]], rng: random.Random
) -> list[dict[str, Any]]:
    """Monthly invoices in arrears: on each monthly anniversary, the MRR of the month just
    ended. Brand-new accounts have not been invoiced yet. Billing history starts a quarter
    before the usage history, so that invoices 30-90 days overdue exist even in a short book."""
    end = min(p.today, p.churn_on or p.today)
    first = p.period_start - timedelta(days=90)
    paid = [row for row in lines if not row["is_trial"]]
    invoices = []
    month = 1
    while (issued := add_months(p.paid_from, month)) <= end:
        month += 1
        if issued < first:
            continue
        billed = issued - timedelta(days=1)
        covering = [
            row["mrr"]
            for row in paid
            if row["start_date"] <= billed and (row["end_date"] is None or billed < row["end_date"])
        ]
        amount = sum(covering, Decimal(0))
        if amount:
            invoices.append((issued, issued + timedelta(days=PAYMENT_TERMS[p.segment]), amount))

    first_unpaid = None
    if p.overdue and invoices:
        low, high = p.overdue
        due = [i for i, (_, d, _) in enumerate(invoices) if low <= (p.last_day - d).days <= high]
        first_unpaid = rng.choice(due) if due else None
    rows: list[dict[str, Any]] = []
    for i, (issued, due_on, amount) in enumerate(invoices):
        paid_on = None
        if first_unpaid is None or i < first_unpaid:
            h = p.seen(issued)
            # Struggling customers pay late more often, and later.
            if rng.random() < 0.03 + 0.5 * (1 - h) ** 2:
                delay = rng.randint(1, 10 + round(40 * (1 - h)))
            else:
                delay = -rng.randint(0, min(14, (due_on - issued).days))
            paid_on = due_on + timedelta(days=delay)
            if paid_on > p.today:
                paid_on = None  # will be paid, but not as of today
        rows.append(
            {
                "account_id": pk,
                "invoice_number": f"INV-{p.number:05d}-{issued:%Y%m}",
                "issued_on": issued,
                "due_on": due_on,
                "paid_on": paid_on,
                "amount": amount,
            }
        )
    return rows


_PRIORITIES = tuple(TicketPriority)  # low, normal, high, critical
# Hours to first response and to resolution, (low, high), by priority.
_RESPONSE_HOURS = {"low": (2, 40), "normal": (1, 20), "high": (0.5, 6), "critical": (0.1, 1.5)}
_RESOLVE_HOURS = {"low": (24, 336), "normal": (12, 168), "high": (6, 96), "critical": (2, 48)}


def ticket_rows(p: Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cutoff = at(p.today, 24)  # nothing may have happened after today
    day = max(p.period_start, p.start)
    shipped = plan_releases(p)
    while day <= p.last_day:
        h = p.seen(day)
        # A release that went badly brings a wave of tickets (a mood of -0.12: half as many more).
        rate = TICKET_RATE[p.segment] * (0.5 + 3 * (1 - h)) * (1 - 4 * mood_after(shipped, day))
        if rng.random() < rate / 30:
            weights = (0.1 + 0.4 * h, 0.45, 0.1 + 0.3 * (1 - h), 0.02 + 0.2 * (1 - h) ** 2)
            priority = rng.choices(_PRIORITIES, weights)[0]
            opened = at(day, rng.uniform(7, 18))
            slow = 1 + (1 - h)  # struggling accounts also wait longer
            response = opened + timedelta(hours=rng.uniform(*_RESPONSE_HOURS[priority]) * slow)
            fixed = response + timedelta(hours=rng.uniform(*_RESOLVE_HOURS[priority]) * slow)
            # Unhappy accounts have severe tickets that stay stuck for weeks.
            stuck = (
                priority in ("high", "critical")
                and h < 0.5
                and (p.last_day - day).days <= 40
                and rng.random() < 0.5
            )
            resolved = None if stuck or fixed >= cutoff else fixed
            csat = None
            if resolved and rng.random() < 0.6:
                csat = min(5, max(1, round(1 + 4 * h + rng.gauss(0, 0.7))))
            rows.append(
                {
                    "account_id": pk,
                    "ticket_id": f"TCK-{p.number:05d}-{len(rows) + 1:03d}",
                    "subject": rng.choice(TICKET_SUBJECTS),
                    "priority": str(priority),
                    "opened_at": opened,
                    "first_response_at": response if response < cutoff else None,
                    "resolved_at": resolved,
                    "csat": csat,
                }
            )
        day += timedelta(days=1)
    return rows


def email_rows(p: Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """One e-mail a week; the open rate follows health (about 60 % healthy, 15 % at risk)."""
    rows: list[dict[str, Any]] = []
    cutoff = at(p.today, 24)
    day = max(p.period_start, p.start) + timedelta(days=p.number % 7)
    while day <= p.last_day:
        h = p.seen(day)
        sent = at(day, rng.uniform(8, 17))
        opened = clicked = None
        if rng.random() < 0.08 + 0.62 * h:
            opened = sent + timedelta(minutes=rng.uniform(5, 36 * 60))
            if rng.random() < 0.3:
                clicked = opened + timedelta(minutes=rng.uniform(1, 30))
        rows.append(
            {
                "account_id": pk,
                "message_id": f"MSG-{p.number:05d}-{len(rows) + 1:04d}",
                "subject": rng.choice(EMAIL_SUBJECTS),
                "sent_at": sent,
                "opened_at": opened if opened and opened < cutoff else None,
                "clicked_at": clicked if clicked and clicked < cutoff else None,
            }
        )
        day += timedelta(days=7)
    return rows


def nps_rows(p: Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """A survey every 90 days, on a day of the account's own (a rolling programme, so every
    month has answers); about half the contacts answer, from how things are going and how the
    latest release went down."""
    rows: list[dict[str, Any]] = []
    first = max(p.period_start, p.start + timedelta(days=30))
    shipped = plan_releases(p)
    wave = p.today - timedelta(days=rng.randint(6, 95))
    while wave >= first:
        for respondent in p.contacts:
            answered = wave + timedelta(days=rng.randint(0, 5))
            if rng.random() < 0.5 and answered <= p.last_day:
                score = _nps_score(p.seen(answered) + mood_after(shipped, answered), rng)
                kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                rows.append(
                    {
                        "account_id": pk,
                        "survey_type": SurveyType.NPS.value,
                        "respondent": respondent,
                        "responded_on": answered,
                        "score": score,
                        "comment": rng.choice(NPS_COMMENTS[kind]) if rng.random() < 0.6 else "",
                    }
                )
        wave -= timedelta(days=90)
    return rows


def _nps_score(h: float, rng: random.Random) -> int:
    # (promoter, passive) shares by health; the rest are detractors.
    promoter, passive = (
        (0.75, 0.22)
        if h >= 0.75
        else (0.40, 0.45)
        if h >= 0.55
        else (0.08, 0.40)
        if h >= 0.35
        else (0.02, 0.18)
    )
    roll = rng.random()
    if roll < promoter:
        return rng.choice((9, 10))
    if roll < promoter + passive:
        return rng.choice((7, 8))
    return rng.choice((2, 3, 4, 5, 5, 6, 6, 6))


def sentiment_rows(p: Plan, pk: int, rng: random.Random) -> list[dict[str, Any]]:
    """A few CSM reads per account; the worried accounts get more, and recent ones."""
    share = {Group.HEALTHY: 0.5, Group.STABLE: 0.5}.get(p.group, 0.8)
    if rng.random() >= share:
        return []
    first = max(p.period_start, p.start)
    days = {between(rng, first, p.last_day) for _ in range(rng.randint(1, 3))}
    if p.group in (Group.DECLINING, Group.AT_RISK):
        days.add(between(rng, max(first, p.last_day - timedelta(days=45)), p.last_day))
    rows: list[dict[str, Any]] = []
    for day in sorted(d for d in days if d):
        colour = colour_of(p.seen(day) + rng.gauss(0, 0.05))
        rows.append(
            {
                "account_id": pk,
                "recorded_on": day,
                "sentiment": colour,
                "note": rng.choice(SENTIMENT_NOTES[colour]),
                "author_id": p.owner_id,
            }
        )
    return rows
