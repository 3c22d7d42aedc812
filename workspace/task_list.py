"""The task list: which tasks a user sees, its filters and sorts, read in one query per page.

Each row carries its account's current-health row (colour, score, MRR, renewal) through one
join, so a page costs the same few queries whatever its length. A snoozed task leaves the open
list until the day it was snoozed to; from that day it is open again, even before the nightly
run wakes it.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from workspace.models import Task, TaskReason, TaskStatus

STATUSES = {"open": _("Open"), "snoozed": _("Snoozed"), "done": _("Done")}
DUES = {"overdue": _("Overdue"), "week": _("Within 7 days"), "later": _("Later")}
# Columns a user may sort by: URL name -> ORDER BY column (nulls sort last).
SORTS = {
    "due": "due_on",
    "score": "account__current_health__score",
    "mrr": "account__current_health__mrr",
    "renewal": "account__current_health__renewal_on",
}


def visible_tasks(user) -> QuerySet[Task]:
    """Every task on the accounts a user may see, with what a row of the list shows."""
    return Task.objects.filter(account__in=Account.objects.visible_to(user)).select_related(
        "account__current_health", "assignee"
    )


def actionable_tasks(user) -> QuerySet[Task]:
    """The tasks a user may complete or snooze: open or snoozed, on accounts they see."""
    return visible_tasks(user).exclude(status=TaskStatus.DONE)


def _whole(value: str) -> int | None:
    # isdigit() alone accepts "²", which int() refuses; 18 digits fit a bigint.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


@dataclass
class TaskFilters:
    reason: str = ""
    status: str = "open"
    due: str = ""
    owner: int | None = None
    sort: str = "due"
    descending: bool = False

    @classmethod
    def from_query(cls, params, *, sees_all: bool) -> "TaskFilters":
        """Read filters from a query string, ignoring anything malformed (never a 500). Only
        a user who sees every account may pick an owner; a CSM's list is their own book."""
        reason, status, due = (params.get(k, "") for k in ("reason", "status", "due"))
        sort = params.get("sort", "due")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        return cls(
            reason=reason if reason in TaskReason.values else "",
            status=status if status in STATUSES else "open",
            due=due if due in DUES else "",
            owner=_whole(params.get("owner", "")) if sees_all else None,
            sort=sort if sort in SORTS else "due",
            descending=descending,
        )

    def apply(self, tasks: QuerySet[Task], *, today: date) -> QuerySet[Task]:
        awake = Q(status=TaskStatus.OPEN) | Q(status=TaskStatus.SNOOZED, snoozed_until__lte=today)
        tasks = tasks.filter(
            {
                "open": awake,
                "snoozed": Q(status=TaskStatus.SNOOZED, snoozed_until__gt=today),
                "done": Q(status=TaskStatus.DONE),
            }[self.status]
        )
        if self.reason:
            tasks = tasks.filter(reason=self.reason)
        if self.due == "overdue":
            tasks = tasks.filter(due_on__lt=today)
        elif self.due == "week":
            tasks = tasks.filter(due_on__gte=today, due_on__lt=today + timedelta(days=7))
        elif self.due == "later":
            tasks = tasks.filter(due_on__gte=today + timedelta(days=7))
        if self.owner:
            tasks = tasks.filter(assignee_id=self.owner)
        expression = F(SORTS[self.sort])
        order = (
            expression.desc(nulls_last=True) if self.descending else expression.asc(nulls_last=True)
        )
        return tasks.order_by(order, "due_on", "pk")

    def params(self, **changes) -> dict[str, str]:
        """These filters as query parameters, with `changes` (for links that alter one)."""
        values = {
            "reason": self.reason,
            "status": "" if self.status == "open" else self.status,
            "due": self.due,
            "owner": str(self.owner or ""),
            "sort": "" if self.sort == "due" and not self.descending else self.sort_key,
            **changes,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def sort_key(self) -> str:
        return ("-" if self.descending else "") + self.sort
