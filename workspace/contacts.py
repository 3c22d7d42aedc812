"""The people at an account, as the account page lists and edits them."""

from datetime import date

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import Account
from audit.trail import audit_record, form_changes
from surveys.models import Contact, SurveyResponse
from workspace.account_sql import account_rows


def contacts_with_latest_answer(account: Account) -> QuerySet[Contact]:
    """The account's contacts, primary first, each with its latest survey answer (type, score,
    day), in one query. Answers are matched by e-mail, whatever its case."""
    latest = SurveyResponse.objects.filter(
        account=OuterRef("account"), respondent__iexact=OuterRef("email")
    ).order_by("-responded_on", "-pk")
    return (
        Contact.objects.filter(account=account)
        .annotate(
            answer_type=Subquery(latest.values("survey_type")[:1]),
            answer_score=Subquery(latest.values("score")[:1]),
            answer_on=Subquery(latest.values("responded_on")[:1]),
        )
        .order_by("-is_primary", "name", "pk")
    )


def contacts_listed(account: Account) -> list[Contact]:
    """`contacts_with_latest_answer`, from SQL compiled once (the account page's read)."""
    contacts = account_rows(contacts_with_latest_answer, account)
    for contact in contacts:
        if isinstance(contact.answer_on, str):  # SQLite's text, which a raw read leaves as is
            contact.answer_on = date.fromisoformat(contact.answer_on)
    return contacts


@transaction.atomic
def contact_save(*, account: Account, form, actor) -> Contact:
    """Save a valid contact form; a new primary contact takes over from the previous one (the
    database allows one per account)."""
    changes = form_changes(form)
    contact = form.save(commit=False)
    contact.account = account
    if contact.is_primary:
        account.contacts.filter(is_primary=True).exclude(pk=contact.pk).update(is_primary=False)
    created = contact.pk is None
    contact.save()
    audit_record(
        actor=actor,
        action="contact added" if created else "contact edited",
        obj=account,
        changes={"contact": [None, str(contact)], **changes},
    )
    return contact
