"""Answering a survey through its personal link: find the send, record the answer once.

The answer claims the send with a conditional update (unanswered and unexpired), so two answers
racing with one link record one; the loser, like any later answer, is refused and changes
nothing. The answer lands as a `SurveyResponse` (upserted on its natural key, like the CSV
import), so the NPS and CSAT signals read it like any other answer.
"""

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from surveys.models import SendState, SurveyResponse, SurveySend
from surveys.sending import token_hash

# Longer than any token we issue; anything else is not worth a database query.
MAX_TOKEN_LENGTH = 100


class LinkClosed(Exception):
    """The link was answered or expired between showing the form and submitting it."""

    def __init__(self, state: SendState):
        super().__init__(state)
        self.state = state


def send_for_token(token: str) -> SurveySend | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return (
        SurveySend.objects.select_related("survey", "contact__account")
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def answer_record(
    *,
    send: SurveySend,
    score: int,
    comment: str = "",
    exit_reason: str = "",
    competitor: str = "",
    now: datetime | None = None,
    on_answered: Callable[[SurveyResponse], None] | None = None,
) -> SurveyResponse:
    """Record the answer of an open send and return the response it wrote.

    `on_answered` runs inside the transaction with the response (a higher app passes one that
    rescores the account once the answer is committed). Raises `LinkClosed` if the send was
    already answered or has expired; then nothing is written.
    """
    now = now or timezone.now()
    claimed = SurveySend.objects.filter(
        pk=send.pk, answered_at__isnull=True, expires_at__gt=now
    ).update(answered_at=now, exit_reason=exit_reason, competitor=competitor)
    if not claimed:
        send.refresh_from_db()
        raise LinkClosed(send.state(now))
    contact = send.contact
    response, _ = SurveyResponse.objects.update_or_create(
        account_id=contact.account_id,
        # Lower-cased, as the CSV import stores respondents: one person, one key.
        respondent=contact.email.lower(),
        responded_on=timezone.localdate(now),
        survey_type=send.survey.survey_type,
        defaults={"score": score, "comment": comment},
    )
    SurveySend.objects.filter(pk=send.pk).update(response=response)
    if on_answered is not None:
        on_answered(response)
    return response
