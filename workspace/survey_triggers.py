"""When surveys go out (what an answer sets off is in `workspace.answers`).

The triggers look at signal data (tickets, subscription lines, churn), so they live in the
workspace, above both apps, and call the surveys app's `survey_send`. Each is one set-based
query for what is due and is idempotent by what it excludes: a contact that already has the
send in question is not asked again, and `survey_send` refuses anyone surveyed within the
quiet period. Events older than HEALTHSCORE_SURVEY_LOOKBACK_DAYS are never surveyed, so
loading years of history e-mails nobody.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone

from accounts.models import Account
from signals.models import SubscriptionLine, Ticket
from signals.revenue import churns_between
from surveys.models import Contact, SurveyKind, SurveySend
from surveys.sending import active_survey, survey_send


def _quiet() -> int:
    return settings.HEALTHSCORE_SURVEY_QUIET_DAYS


def _since(now: datetime) -> datetime:
    return now - timedelta(days=settings.HEALTHSCORE_SURVEY_LOOKBACK_DAYS)


def _sent(kind: SurveyKind, **filters) -> Exists:
    return Exists(SurveySend.objects.filter(contact=OuterRef("pk"), survey__kind=kind, **filters))


def periodic_nps(*, now: datetime, limit: int | None = None) -> int:
    """Every active contact of an account active today gets the periodic survey once per
    HEALTHSCORE_NPS_INTERVAL_DAYS (at most `limit` of them per run, oldest contacts first)."""
    survey = active_survey(SurveyKind.PERIODIC)
    if survey is None:
        return 0
    interval = timedelta(days=settings.HEALTHSCORE_NPS_INTERVAL_DAYS)
    limit = settings.HEALTHSCORE_SURVEY_MAX_PER_RUN if limit is None else limit
    contacts = (
        Contact.objects.reachable(now, quiet_days=_quiet())
        .filter(account__in=Account.objects.active_on(timezone.localdate(now)))
        .exclude(_sent(SurveyKind.PERIODIC, sent_at__gt=now - interval))
        .order_by("pk")[:limit]
    )
    return len(survey_send(survey=survey, contacts=list(contacts), now=now))


def _first_contacts(account_ids) -> dict[int, Contact]:
    """Each account's primary contact, or its first active one when none is marked primary."""
    first: dict[int, Contact] = {}
    for contact in (
        Contact.objects.filter(account_id__in=account_ids, active=True)
        .select_related("account")
        .order_by("account_id", "-is_primary", "pk")
    ):
        first.setdefault(contact.account_id, contact)
    return first


def csat_after_tickets(*, now: datetime) -> int:
    """A ticket resolved within the look-back window that has no survey yet sends the
    post-ticket survey to its account's primary contact."""
    survey = active_survey(SurveyKind.POST_TICKET)
    if survey is None:
        return 0
    tickets = list(
        Ticket.objects.filter(resolved_at__gt=_since(now), resolved_at__lte=now)
        .exclude(Exists(SurveySend.objects.filter(ticket_ref=OuterRef("ticket_id"))))
        .order_by("resolved_at", "pk")
        .values_list("account_id", "ticket_id")
    )
    recipients = _first_contacts({account_id for account_id, _ in tickets})
    sent = 0
    for account_id, ticket_id in tickets:
        contact = recipients.get(account_id)
        if contact is not None:
            sent += len(
                survey_send(survey=survey, contacts=[contact], now=now, ticket_ref=ticket_id)
            )
    return sent


def onboarding_after_first_subscription(*, now: datetime) -> int:
    """The contacts of an account whose first subscription line started within the look-back
    window get the onboarding survey, once each."""
    survey = active_survey(SurveyKind.ONBOARDING)
    if survey is None:
        return 0
    day = timezone.localdate(now)
    new_accounts = (
        SubscriptionLine.objects.values("account_id")
        .annotate(first=Min("start_date"))
        .filter(first__gt=day - timedelta(days=settings.HEALTHSCORE_SURVEY_LOOKBACK_DAYS))
        .filter(first__lte=day)
        .values("account_id")
    )
    contacts = (
        Contact.objects.reachable(now, quiet_days=_quiet())
        .filter(account_id__in=new_accounts)
        .exclude(_sent(SurveyKind.ONBOARDING))
        .order_by("pk")
    )
    return len(survey_send(survey=survey, contacts=list(contacts), now=now))


def exit_after_churn(*, now: datetime) -> int:
    """The contacts of an account that churned within the look-back window (its last line
    ended with none after it, or a person recorded the churn) get the exit survey, once per
    window."""
    survey = active_survey(SurveyKind.EXIT)
    if survey is None:
        return 0
    day = timezone.localdate(now)
    first = day - timedelta(days=settings.HEALTHSCORE_SURVEY_LOOKBACK_DAYS)
    churned = list(churns_between(first, day))
    contacts = (
        Contact.objects.reachable(now, quiet_days=_quiet())
        .filter(account_id__in=churned)
        .exclude(_sent(SurveyKind.EXIT, sent_at__gt=_since(now)))
        .order_by("pk")
    )
    return len(survey_send(survey=survey, contacts=list(contacts), now=now))


# The order is the priority when one contact is due several: the quiet period lets one through.
TRIGGERS = (
    ("exit", exit_after_churn),
    ("post_ticket", csat_after_tickets),
    ("onboarding", onboarding_after_first_subscription),
    ("periodic", periodic_nps),
)


def surveys_send_due(*, now: datetime | None = None) -> dict[str, int]:
    """Run every trigger; return how many surveys each sent. A second run sends nothing new."""
    now = now or timezone.now()
    return {name: trigger(now=now) for name, trigger in TRIGGERS}
