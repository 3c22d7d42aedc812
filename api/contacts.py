"""Contacts through the API: the people at an account whom surveys go to.

Contacts are not a CSV import kind, but their rows are described and checked with the same
columns, parsers and row checks (`signals.importing`), keyed on account + e-mail. Their write is
not the generic upsert: the database keys contacts on the *lower-cased* e-mail (an expression
index, which INSERT ... ON CONFLICT cannot name) and allows one primary contact per account, so
the rows are matched in Python and written with bulk_create / bulk_update.
"""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from api.ingest import BadRow, RowsRefused
from signals.cells import boolean, email, text
from signals.kinds import ACCOUNT, Column, ImportKind
from signals.upsert import UpsertCounts
from surveys.models import Contact

CONTACTS = ImportKind(
    "contacts",
    Contact,
    (
        ACCOUNT,
        Column("email", email, required=True, help="the contact's e-mail; with account, the key"),
        Column("name", text(200), required=True),
        Column("role", text(100), blank="", help="their job, e.g. CFO"),
        Column("is_primary", boolean, blank=False, help="gets the post-ticket survey"),
        Column("active", boolean, blank=True, help="inactive contacts get no surveys"),
    ),
    key=("account", "email"),
    description=_("People at the account whom surveys go to."),
)

TWO_PRIMARIES = _("another row of this request makes a different contact of this account primary")


def contacts_write(
    header: Sequence[str], columns: Sequence[Sequence[Any]], lines: Sequence[int]
) -> UpsertCounts:
    """Upsert validated contact rows (account resolved to its id; e-mails lower-cased by the
    parser). Fields not in `header` are left alone on existing contacts. Refuses the rows
    (before writing) when two of them make two contacts of one account primary."""
    fields = ["account_id" if name == "account" else name for name in header]
    rows = [dict(zip(fields, values, strict=True)) for values in zip(*columns, strict=True)]
    primary_row: dict[int, dict] = {}  # account id -> the row making a contact primary
    for line, row in zip(lines, rows, strict=True):
        if row.get("is_primary"):
            if row["account_id"] in primary_row:
                raise RowsRefused([BadRow(line, "is_primary", TWO_PRIMARIES)])
            primary_row[row["account_id"]] = row
    existing = {
        (contact.account_id, contact.email.lower()): contact
        for contact in Contact.objects.filter(account_id__in={row["account_id"] for row in rows})
    }
    # One primary per account: the old one steps down first, unless it is the one named again.
    staying = {
        existing[key].pk
        for key in ((account_id, row["email"]) for account_id, row in primary_row.items())
        if key in existing
    }
    Contact.objects.filter(account_id__in=primary_row, is_primary=True).exclude(
        pk__in=staying
    ).update(is_primary=False)
    for contact in existing.values():
        if contact.account_id in primary_row and contact.pk not in staying:
            contact.is_primary = False
    new, changed = [], []
    given = [name for name in fields if name not in ("account_id", "email")]
    for row in rows:
        contact = existing.get((row["account_id"], row["email"]))
        if contact is None:
            new.append(Contact(**row))
        elif any(getattr(contact, name) != row[name] for name in given):
            for name in given:
                setattr(contact, name, row[name])
            changed.append(contact)
    if changed:
        Contact.objects.bulk_update(changed, given)
    Contact.objects.bulk_create(new)
    return UpsertCounts(created=len(new), updated=len(changed))
