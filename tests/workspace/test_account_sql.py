"""The account page's reads compiled once (workspace/account_sql.py) give what the querysets
give, for each account and day they are run for, on PostgreSQL and SQLite alike."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.factories import (
    AccountFactory,
    ContactFactory,
    SentimentEntryFactory,
    SurveyResponseFactory,
    UsageRecordFactory,
    UserFactory,
    stored_snapshot,
)
from workspace import account_page, goals
from workspace.account_sql import DAYS, account_rows
from workspace.contacts import contacts_with_latest_answer
from workspace.models import CheckIn, ColourOverride, Task, TaskReason

DAY = date(2026, 6, 30)


def same(rows, expected) -> bool:
    """Equal rows: instances field by field, with their select_related users and annotations."""

    def plain(row):
        if not hasattr(row, "_meta"):
            return row
        related = {
            name: getattr(row, name).pk if getattr(row, name) else None
            for name in ("author", "assignee", "created_by")
            if name in row._state.fields_cache
        }
        return {**{k: v for k, v in vars(row).items() if k != "_state"}, **related}

    return [plain(r) for r in rows] == [plain(r) for r in expected]


@pytest.fixture
def two(db, default_scorecard):
    """Two accounts with rows of every read, the second with more and other values."""
    accounts = []
    for n in (1, 2):
        account = AccountFactory()
        author = UserFactory()
        for k in range(n * 2):
            SentimentEntryFactory(
                account=account, author=author, recorded_on=DAY - timedelta(days=k)
            )
            CheckIn.objects.create(
                account=account, author=author if k else None, date=DAY, note=f"n{n}{k}"
            )
            Task.objects.create(
                account=account,
                reason=list(TaskReason)[k],
                detail=f"d{k}",
                facts={"k": k},
                assignee=author,
                opened_on=DAY,
                due_on=DAY + timedelta(days=k),
            )
            UsageRecordFactory(account=account, metric=f"m{k % 2}", date=DAY - timedelta(days=k))
        contact = ContactFactory(account=account, email=f"Ann{n}@x.example")
        SurveyResponseFactory(
            account=account, respondent=contact.email.lower(), responded_on=DAY - timedelta(n)
        )
        ColourOverride.objects.create(
            account=account,
            colour="red",
            reason="r",
            expires_on=DAY + timedelta(days=n),
            created_by=author,
            created_on=DAY,
        )
        for k in range(n + 1):
            stored_snapshot(account, 50.0 + k, day=DAY - timedelta(days=k))
        accounts.append(account)
    return accounts


READS = [
    (account_page._sentiments, ()),
    (account_page._check_ins, ()),
    (account_page._tasks, ()),
    (account_page._invoices, ()),
    (account_page._lines, ()),
    (account_page._override, (DAY,)),
    (account_page._override, (DAY + timedelta(days=2),)),
    (account_page._usage, (DAY - timedelta(days=30), DAY)),
    (account_page._usage, (DAY - timedelta(days=1), DAY)),
    (account_page._history, (DAY - timedelta(days=180), DAY)),
    (account_page._latest, (DAY,)),
    (account_page._latest, (DAY - timedelta(days=1),)),
    (goals._goals, ()),
    (contacts_with_latest_answer, ()),
]


@pytest.mark.parametrize(("build", "days"), READS)
def test_a_read_compiled_once_gives_what_its_queryset_gives(two, build, days):
    for account in two * 2:  # each account twice: the second run reuses the SQL
        rows = account_rows(build, account, *days)
        assert same(rows, list(build(account, *days)))
        assert all(r.account is account for r in rows if hasattr(r, "account_id"))


def test_the_rows_are_those_of_the_account_read_for(two):
    first, second = two
    assert len(account_rows(account_page._tasks, first)) == 2
    assert len(account_rows(account_page._tasks, second)) == 4
    contacts = account_rows(contacts_with_latest_answer, second)
    assert [c.answer_on for c in contacts] == [DAY - timedelta(days=2)]  # a date on SQLite too


def _day_before(account, day):
    return account.tasks.filter(due_on__gt=day - timedelta(days=1))


def test_a_day_worked_out_from_a_stand_in_is_refused(two):
    # Its SQL would keep the stand-in's day before, not the real one's.
    assert DAYS
    with pytest.raises(AssertionError, match="as they are given"):
        account_rows(_day_before, two[0], DAY)


def _opened_before(account, day):
    return account.tickets.filter(opened_at__lt=datetime.combine(day, time.min, tzinfo=UTC))


def test_a_time_made_of_a_stand_in_day_is_refused(two):
    # A stand-in day turned into a time is no day the compiled SQL could swap, on PostgreSQL
    # (a datetime parameter) as on SQLite (a "YYYY-MM-DD HH:MM:SS" string).
    with pytest.raises(AssertionError, match="as they are given"):
        account_rows(_opened_before, two[0], DAY)
