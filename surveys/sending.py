"""Sending surveys: a personal link per contact, the invitation e-mail, and the quiet period.

A link carries `secrets.token_urlsafe(32)` (256 random bits); only its SHA-256 is stored, so a
copy of the database holds no working link. Each contact is claimed by a conditional update of
`Contact.last_surveyed_at` (the healthchecks `sendalerts` pattern) in the same transaction that
records the send and hands the e-mail to the backend: two runs racing for one contact send
once, and a mail error rolls the claim back so the next run tries again. If the commit itself
failed after the mail left, the contact would hold a link that answers "not valid" — never a
second e-mail.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from surveys.models import Contact, Survey, SurveyKind, SurveySend

logger = logging.getLogger(__name__)


def token_new() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def answer_url(token: str) -> str:
    return settings.HEALTHSCORE_BASE_URL + reverse("survey_answer", args=[token])


def active_survey(kind: SurveyKind | str) -> Survey | None:
    """The survey sent for `kind`, or None when an admin has switched that kind off."""
    return Survey.objects.filter(kind=kind, active=True).first()


def invitation_email(*, send: SurveySend, token: str, connection=None) -> mail.EmailMessage:
    """The invitation in the contact's language (theirs, else their account's)."""
    company = settings.HEALTHSCORE_COMPANY_NAME
    with translation.override(send.contact.effective_language):
        context = {
            "company": company,
            "name": send.contact.name,
            "question": send.survey.question_for(company),
            "url": answer_url(token),
            "expires_at": send.expires_at,
        }
        return mail.EmailMessage(
            subject=gettext("%(company)s: a quick question for you") % {"company": company},
            body=render_to_string("surveys/email/invitation.txt", context),
            to=[send.contact.email],
            connection=connection,
        )


def _claim(contact: Contact, now: datetime, quiet_days: int) -> bool:
    """Take the contact for this send unless they were surveyed within the quiet period."""
    return bool(
        Contact.objects.filter(pk=contact.pk, active=True)
        .filter(
            Q(last_surveyed_at__isnull=True)
            | Q(last_surveyed_at__lte=now - timedelta(days=quiet_days))
        )
        .update(last_surveyed_at=now)
    )


@dataclass(frozen=True)
class Sent:
    send: SurveySend
    token: str  # only ever in the e-mail (and here, for the caller that sent it)


def survey_send(
    *,
    survey: Survey,
    contacts: Iterable[Contact],
    now: datetime,
    ticket_ref: str = "",
    quiet_days: int | None = None,
    link_days: int | None = None,
) -> list[Sent]:
    """E-mail `survey` to each contact not surveyed within the quiet period; return the sends.

    One transaction per contact (claim, record, e-mail), so a failure part-way keeps what was
    sent and the next run carries on. A mail error is raised after the rows for that contact
    are rolled back.
    """
    quiet = settings.HEALTHSCORE_SURVEY_QUIET_DAYS if quiet_days is None else quiet_days
    valid = settings.HEALTHSCORE_SURVEY_LINK_DAYS if link_days is None else link_days
    sent: list[Sent] = []
    with mail.get_connection() as connection:
        for contact in contacts:
            with transaction.atomic():
                if not _claim(contact, now, quiet):
                    continue
                token = token_new()
                send = SurveySend.objects.create(
                    survey=survey,
                    contact=contact,
                    token_hash=token_hash(token),
                    sent_at=now,
                    expires_at=now + timedelta(days=valid),
                    ticket_ref=ticket_ref,
                )
                invitation_email(send=send, token=token, connection=connection).send()
            sent.append(Sent(send, token))
    if sent:
        logger.info("Sent %s to %d contact(s)", survey, len(sent))
    return sent
