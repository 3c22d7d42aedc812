"""Who may do what through the API — the same rules as the pages.

Reads: every signed-in user, scoped by `Account.objects.visible_to` in the views (a CSM sees
their book, managers and admins everything); ingest tokens read nothing. Writes, per endpoint
(`write_access` on the view):

- the data kinds (accounts, subscriptions, usage, invoices, tickets, e-mails, NPS answers) are
  written by managers, admins and ingest tokens — as on the CSV import page, which CSMs cannot
  use;
- sentiment is also written by CSMs, for the accounts they own only (as on the account page);
  a row naming another CSM's account is refused like a row naming an unknown account. A CSM's
  rows are authored by that CSM (an author left out is filled in, another name is refused);
  managers, admins and ingest tokens (a CRM sync) may name any user as the author, or none.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.authentication import is_ingest

# Values of a view's `write_access`.
STAFF_AND_INGEST = "staff_and_ingest"
OWNERS_STAFF_AND_INGEST = "owners_staff_and_ingest"
NOBODY = "nobody"

INGEST_READS = _("Ingest tokens write data and read nothing but the result of their own writes.")
CSM_WRITES = _("Only managers, admins and ingest tokens write this kind of data.")


class ApiAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # 401, via the authentication's WWW-Authenticate header
        if request.method in SAFE_METHODS:
            if is_ingest(user):
                self.message = INGEST_READS
                return False
            return True
        access = getattr(view, "write_access", NOBODY)
        if access == NOBODY or not hasattr(view, request.method.lower()):
            return True  # the endpoint has no such method: 405 for everyone signed in
        if is_ingest(user) or user.sees_all_accounts:
            return True
        if access == OWNERS_STAFF_AND_INGEST:
            return True  # rows are limited to the CSM's own accounts by the view
        self.message = CSM_WRITES
        return False
