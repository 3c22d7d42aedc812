"""The book page ("My book" / "All accounts"): filters, sorting, pagination, the CSV download,
the summary strip, malformed query strings and a query count that does not grow with the book.

"Today" is frozen at 30 June 2026 noon UTC; the book shows accounts with a subscription line
covering today, with the figures of the latest snapshot.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Account, Role
from scoring.maths import Bands
from scoring.models import HealthSnapshot
from signals.models import SubscriptionLine
from tests.factories import (
    AccountFactory,
    SubscriptionLineFactory,
    UserFactory,
    stored_snapshot,
)
from workspace.current_health import current_health_refresh
from workspace.models import ColourOverride, Task, TaskReason

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


# --- helpers other test modules import ----------------------------------------------------------


def customer(owner, *, renews_in: int | None = None, mrr="1000", **fields) -> Account:
    """An account active today: one line since January, open or ending `renews_in` days on."""
    account = AccountFactory(owner=owner, **fields)
    SubscriptionLineFactory(
        account=account,
        mrr=Decimal(mrr),
        start_date=date(2026, 1, 1),
        end_date=TODAY + timedelta(days=renews_in) if renews_in is not None else None,
    )
    current_health_refresh(account_ids=[account.pk])
    return account


def snap(account, score, *, day=TODAY, colour=None, coverage=1.0, mrr="1000", **fields):
    """A stored snapshot (the book only reads them), and the account's current-health row
    refreshed as the recompute does."""
    snapshot = stored_snapshot(
        account, score, day=day, colour=colour, coverage=coverage, mrr=mrr, **fields
    )
    current_health_refresh(account_ids=[account.pk])
    return snapshot


def override(account, colour, *, expires_on=TODAY + timedelta(days=10), created_on=TODAY):
    made = ColourOverride.objects.create(
        account=account,
        colour=colour,
        reason="Exec sponsor left",
        expires_on=expires_on,
        created_on=created_on,
    )
    current_health_refresh(account_ids=[account.pk])
    return made


def open_task(account, reason=TaskReason.TURNED_RED, **fields):
    task = Task.objects.create(
        account=account,
        reason=reason,
        assignee=account.owner,
        opened_on=fields.pop("opened_on", TODAY),
        due_on=fields.pop("due_on", TODAY + timedelta(days=3)),
        **fields,
    )
    current_health_refresh(account_ids=[account.pk])
    return task


ROW = re.compile(
    r'<tr data-colour="(?P<colour>\w+)">\s*<td><a href="/accounts/(?P<pk>\d+)/">(?P<name>[^<]*)</a>'
)


def listed_names(response) -> list[str]:
    """Account names of the rows of the book table, in order (HTML-escaped as rendered)."""
    html = response.content.decode()
    table = html.split('id="book">', 1)[1].split("</table>", 1)[0]
    return [m["name"] for m in ROW.finditer(table)]


def listed_rows(response) -> dict[str, str]:
    """Name -> the whole <tr> of that account in the book table."""
    html = response.content.decode()
    table = html.split('id="book">', 1)[1].split("</table>", 1)[0]
    return {
        m["name"]: m.group(0)
        for m in re.finditer(
            r'<tr data-colour="\w+">\s*<td><a[^>]*>(?P<name>[^<]*)</a>.*?</tr>', table, re.S
        )
    }


def csv_rows(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def other_csm(db):
    return UserFactory(username="riley", role=Role.CSM)


@pytest.fixture
def four(default_scorecard, manager):
    """Four accounts whose every column orders them differently.

    | name    | score | colour        | 7d  | 30d | coverage | MRR  | renews in | owner | tasks |
    | Alpha   | 80    | red override  | +10 | -10 | 1.0      | 1000 | 80 days   | uma   | 2     |
    | Bravo   | 50    | yellow        | -5  | +20 | 0.6      | 3000 | (open)    | ted   | 0     |
    | Charlie | 20    | red           | +2  | -30 | 0.8      | 2000 | 20 days   | vic   | 1     |
    | Delta   | none  | grey          | –   | –   | –        | –    | 50 days   | –     | 3     |
    """
    uma, ted, vic = (UserFactory(username=u) for u in ("uma", "ted", "vic"))
    alpha = customer(uma, name="Alpha", external_id="CRM-A", renews_in=80)
    bravo = customer(ted, name="Bravo", external_id="CRM-B", segment="enterprise")
    charlie = customer(vic, name="Charlie", external_id="CRM-C", renews_in=20)
    delta = customer(None, name="Delta", external_id="CRM-D", renews_in=50)
    for account, now, week, month, coverage, mrr in (
        (alpha, 80, 70, 90, 1.0, "1000"),
        (bravo, 50, 55, 30, 0.6, "3000"),
        (charlie, 20, 18, 50, 0.8, "2000"),
    ):
        snap(account, now, coverage=coverage, mrr=mrr)
        snap(account, week, day=TODAY - timedelta(days=7))
        snap(account, month, day=TODAY - timedelta(days=30))
    override(alpha, "red")
    for reason in (TaskReason.TURNED_RED, TaskReason.DETRACTOR):
        open_task(alpha, reason)
    open_task(alpha, TaskReason.SCORE_DROP, status="done", closed_on=TODAY)  # not counted
    open_task(charlie)
    for reason in (TaskReason.TURNED_RED, TaskReason.DETRACTOR, TaskReason.CRITICAL_TICKET):
        open_task(delta, reason)
    return {"alpha": alpha, "bravo": bravo, "charlie": charlie, "delta": delta}


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


# --- what a row shows -------------------------------------------------------------------------


def test_row_shows_score_trends_coverage_mrr_renewal_owner_and_open_tasks(as_manager, four):
    row = listed_rows(as_manager.get("/accounts/"))["Charlie"]
    assert 'class="badge badge-red"' in row
    assert "At risk" in row  # a word, not colour alone
    assert ">20<" in row
    assert "↑ +2" in row  # 7 days: 18 -> 20
    assert "↓ -30" in row  # 30 days: 50 -> 20
    assert ">80%<" in row
    assert ">$2,000<" in row
    assert "20 Jul 2026" in row
    assert "vic" in row
    assert f'/accounts/{four["charlie"].pk}/#tasks">1<' in row


def test_row_of_an_overridden_account_says_so(as_manager, four):
    rows = listed_rows(as_manager.get("/accounts/"))
    assert "badge-red" in rows["Alpha"]
    assert "overridden" in rows["Alpha"]
    assert "overridden" not in rows["Charlie"]


def test_account_without_a_snapshot_is_grey_with_dashes(as_manager, four):
    row = listed_rows(as_manager.get("/accounts/"))["Delta"]
    assert "badge-grey" in row
    assert "No data" in row
    assert row.count(">–<") >= 3  # score, coverage, MRR


def test_accounts_not_active_today_are_not_in_the_book(as_manager, default_scorecard, manager):
    customer(manager, name="Current")
    ended = AccountFactory(name="Ended today", owner=manager)
    SubscriptionLineFactory(account=ended, start_date=date(2025, 1, 1), end_date=TODAY)
    future = AccountFactory(name="Starts tomorrow", owner=manager)
    SubscriptionLineFactory(account=future, start_date=TODAY + timedelta(days=1))
    churned = customer(manager, name="Churned by hand")
    Account.objects.filter(pk=churned.pk).update(churned_on=TODAY)
    AccountFactory(name="No lines at all", owner=manager)
    current_health_refresh()  # every account has a row, active or not
    assert listed_names(as_manager.get("/accounts/")) == ["Current"]


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        # Alpha is computed green but overridden red: it counts as red, not green.
        ("red", ["Charlie", "Alpha"]),
        ("yellow", ["Bravo"]),
        ("green", []),
        ("grey", ["Delta"]),
    ],
)
def test_filter_by_effective_colour(as_manager, four, colour, expected):
    assert listed_names(as_manager.get("/accounts/", {"colour": colour})) == expected


def test_filter_by_computed_colour_when_no_override(as_manager, four):
    ColourOverride.objects.all().delete()
    current_health_refresh()  # as the override's removal would
    assert listed_names(as_manager.get("/accounts/", {"colour": "green"})) == ["Alpha"]
    assert listed_names(as_manager.get("/accounts/", {"colour": "red"})) == ["Charlie"]


def test_manager_filters_by_owner(as_manager, four):
    owner = four["bravo"].owner
    response = as_manager.get("/accounts/", {"owner": owner.pk})
    assert listed_names(response) == ["Bravo"]


def test_csm_cannot_see_another_book_through_the_owner_filter(client, csm, other_csm, db):
    customer(csm, name="Mine")
    customer(other_csm, name="Theirs")
    client.force_login(csm)
    assert listed_names(client.get("/accounts/", {"owner": other_csm.pk})) == []
    assert listed_names(client.get("/accounts/")) == ["Mine"]


def test_filter_by_segment(as_manager, four):
    assert listed_names(as_manager.get("/accounts/", {"segment": "enterprise"})) == ["Bravo"]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("30", ["Charlie"]),  # renews in 20 days
        ("60", ["Charlie", "Delta"]),  # and in 50 days
        ("90", ["Alpha", "Charlie", "Delta"]),  # and in 80 days; Bravo's line is open
    ],
)
def test_filter_by_renewal_window(as_manager, four, days, expected):
    response = as_manager.get("/accounts/", {"renewal": days, "sort": "name"})
    assert listed_names(response) == expected


def test_renewal_window_counts_the_line_that_ends_first(as_manager, four):
    # An add-on ending in 10 days makes Bravo (whose core line is open) renew within 30 days.
    SubscriptionLineFactory(
        account=four["bravo"], start_date=date(2026, 3, 1), end_date=TODAY + timedelta(days=10)
    )
    current_health_refresh()  # as the import's rescoring would
    response = as_manager.get("/accounts/", {"renewal": "30", "sort": "name"})
    assert listed_names(response) == ["Bravo", "Charlie"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("arli", ["Charlie"], id="part-of-name"),
        pytest.param("ALPHA", ["Alpha"], id="name-any-case"),
        pytest.param("CRM-D", ["Delta"], id="external-id"),
        pytest.param("crm-b", ["Bravo"], id="external-id-any-case"),
        pytest.param("RM-C", ["Charlie"], id="part-of-external-id"),
        pytest.param("  Bravo ", ["Bravo"], id="surrounding-spaces"),
        pytest.param("Zulu", [], id="no-match"),
    ],
)
def test_search_by_name_or_external_id(as_manager, four, q, expected):
    assert listed_names(as_manager.get("/accounts/", {"q": q})) == expected


def test_repeated_spaces_in_a_search_mean_one(as_manager, four):
    four["alpha"].name = "Alpha Group"
    four["alpha"].save()
    current_health_refresh()  # as the admin's nightly refresh would
    assert listed_names(as_manager.get("/accounts/", {"q": "alpha    group"})) == ["Alpha Group"]


def test_filters_combine(as_manager, four):
    response = as_manager.get("/accounts/", {"colour": "red", "renewal": "30"})
    assert listed_names(response) == ["Charlie"]


# --- sorting ----------------------------------------------------------------------------------


A, B, C, D = "Alpha", "Bravo", "Charlie", "Delta"


@pytest.mark.parametrize(
    ("sort", "ascending", "descending"),
    [
        ("name", [A, B, C, D], [D, C, B, A]),
        ("score", [C, B, A, D], [A, B, C, D]),
        # Risk order: red, yellow, green; grey (no data) is last both ways. Alpha is red by
        # override, and ties go by name.
        ("colour", [C, A, B, D], [B, C, A, D]),  # ties: lowest score first
        ("trend7", [B, C, A, D], [A, C, B, D]),
        ("trend30", [C, A, B, D], [B, A, C, D]),
        ("coverage", [B, C, A, D], [A, C, B, D]),
        ("mrr", [A, C, B, D], [B, C, A, D]),
        ("renewal", [C, D, A, B], [A, D, C, B]),
        ("owner", [B, A, C, D], [C, A, B, D]),
        ("tasks", [B, C, A, D], [D, A, C, B]),
    ],
)
def test_sort_by_each_column_both_ways_with_blanks_last(
    as_manager, four, sort, ascending, descending
):
    assert listed_names(as_manager.get("/accounts/", {"sort": sort})) == ascending
    assert listed_names(as_manager.get("/accounts/", {"sort": "-" + sort})) == descending


def test_default_sort_is_by_risk_red_first_and_lowest_score_first_within_a_colour(as_manager, four):
    # Alpha scores 80 but is red by override: it still comes before yellow Bravo.
    assert listed_names(as_manager.get("/accounts/")) == ["Charlie", "Alpha", "Bravo", "Delta"]


def test_column_header_reverses_the_current_sort(as_manager, four):
    html = as_manager.get("/accounts/", {"sort": "mrr", "colour": "red"}).content.decode()
    assert 'href="?colour=red&amp;sort=-mrr"' in html
    assert 'href="?colour=red&amp;sort=name"' in html


# --- pagination -------------------------------------------------------------------------------


@pytest.fixture
def fifty_five(default_scorecard, manager):
    return [customer(manager, name=f"Account {n:02d}") for n in range(55)]


def test_book_is_paginated_by_50(as_manager, fifty_five):
    first = as_manager.get("/accounts/")
    assert listed_names(first) == [f"Account {n:02d}" for n in range(50)]
    assert "Page 1 of 2" in first.content.decode()
    second = as_manager.get("/accounts/", {"page": 2})
    assert listed_names(second) == [f"Account {n:02d}" for n in range(50, 55)]
    assert second.context["page"].paginator.count == 55


def test_next_page_link_keeps_the_filters(as_manager, fifty_five):
    html = as_manager.get("/accounts/", {"q": "Account", "sort": "-name"}).content.decode()
    assert 'href="?q=Account&amp;sort=-name&amp;page=2"' in html


def test_page_past_the_end_shows_the_last_page(as_manager, fifty_five):
    response = as_manager.get("/accounts/", {"page": 99})
    assert response.status_code == 200
    assert len(listed_names(response)) == 5


# --- malformed query strings ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=%C2%B2",
        "sort=evil",
        "sort=-",
        "sort=name;drop table accounts_account",
        "owner=x",
        "owner=%C2%B2",  # "²" passes str.isdigit() but not int()
        "owner=99999999999999999999999999",
        "renewal=7",
        "renewal=abc",
        "colour=purple",
        "segment=nope",
        "segment=%00",
        "q=%00",  # PostgreSQL refuses NUL in a string
        "q=" + "x" * 5000,
        "colour=red&colour=%00&sort=-tasks&sort=x",
    ],
)
@pytest.mark.parametrize("fmt", ["", "&format=csv"])
def test_malformed_query_never_fails(as_manager, four, query, fmt):
    response = as_manager.get("/accounts/?" + query + fmt)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query", ["owner=x", "renewal=7", "sort=evil", "colour=purple", "page=abc"]
)
def test_malformed_filter_is_ignored_not_applied(as_manager, four, query):
    response = as_manager.get("/accounts/?" + query)
    assert listed_names(response) == ["Charlie", "Alpha", "Bravo", "Delta"]


# --- CSV download -----------------------------------------------------------------------------


def test_csv_has_every_column_of_every_row(as_manager, four):
    response = as_manager.get("/accounts/", {"format": "csv", "sort": "name"})
    assert response["Content-Disposition"] == 'attachment; filename="book-2026-06-30.csv"'
    rows = csv_rows(response)
    assert [r["name"] for r in rows] == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert rows[0] == {
        "external_id": "CRM-A",
        "name": "Alpha",
        "owner": "uma",
        "segment": "smb",
        "colour": "red",
        "override": "yes",
        "score": "80.0",
        "trend_7d": "10.0",
        "trend_30d": "-10.0",
        "coverage": "1.0",
        "mrr": "1000.00",
        "renewal_on": "2026-09-18",
        "open_tasks": "2",
    }
    assert rows[3] == {
        "external_id": "CRM-D",
        "name": "Delta",
        "owner": "",
        "segment": "smb",
        "colour": "grey",
        "override": "",
        "score": "",
        "trend_7d": "",
        "trend_30d": "",
        "coverage": "",
        "mrr": "",
        "renewal_on": "2026-08-19",
        "open_tasks": "3",
    }


def test_csv_honours_filters_and_sort(as_manager, four):
    response = as_manager.get("/accounts/", {"format": "csv", "colour": "red", "sort": "-mrr"})
    assert [r["name"] for r in csv_rows(response)] == ["Charlie", "Alpha"]
    response = as_manager.get("/accounts/", {"format": "csv", "q": "crm-b"})
    assert [r["name"] for r in csv_rows(response)] == ["Bravo"]


def test_csv_is_not_paginated(as_manager, fifty_five):
    response = as_manager.get("/accounts/", {"format": "csv", "page": "1"})
    assert len(csv_rows(response)) == 55


def test_csv_of_a_csm_holds_only_their_accounts(client, csm, other_csm, default_scorecard):
    customer(csm, name="Mine")
    customer(other_csm, name="Theirs")
    client.force_login(csm)
    response = client.get("/accounts/", {"format": "csv", "owner": other_csm.pk})
    assert csv_rows(response) == []
    response = client.get("/accounts/", {"format": "csv"})
    assert [r["name"] for r in csv_rows(response)] == ["Mine"]


def test_csv_link_carries_the_current_filters(as_manager, four):
    html = as_manager.get("/accounts/", {"colour": "red", "q": "a"}).content.decode()
    assert 'href="?colour=red&amp;q=a&amp;sort=colour&amp;format=csv"' in html


# --- summary strip ----------------------------------------------------------------------------


def summary(response) -> dict[str, tuple[int, Decimal]]:
    return {s["colour"]: (s["n"], Decimal(s["mrr"])) for s in response.context["summary"]}


def test_summary_counts_accounts_and_mrr_per_effective_colour(as_manager, four):
    response = as_manager.get("/accounts/")
    assert summary(response) == {
        "red": (2, Decimal("3000")),  # Charlie 2000 + Alpha 1000 (overridden)
        "yellow": (1, Decimal("3000")),
        "green": (0, Decimal("0")),
        "grey": (1, Decimal("0")),  # Delta has no snapshot, so no MRR figure
    }
    html = response.content.decode()
    red = re.search(r'<a class="summary-item summary-red.*?</a>', html, re.S).group(0)
    assert "<b>2</b>" in red
    assert "MRR $3,000" in red


def test_summary_ignores_the_colour_filter_but_honours_the_others(as_manager, four):
    response = as_manager.get("/accounts/", {"colour": "yellow", "renewal": "90"})
    assert summary(response) == {
        "red": (2, Decimal("3000")),
        "yellow": (0, Decimal("0")),  # Bravo renews later than 90 days
        "green": (0, Decimal("0")),
        "grey": (1, Decimal("0")),
    }


def test_summary_of_a_csm_counts_only_their_book(client, csm, other_csm, default_scorecard):
    snap(customer(csm, name="Mine"), 85, mrr="700")
    snap(customer(other_csm, name="Theirs"), 85, mrr="900")
    client.force_login(csm)
    assert summary(client.get("/accounts/"))["green"] == (1, Decimal("700"))


# --- query count ------------------------------------------------------------------------------


def build_book(n: int, owners, card) -> None:
    """n active accounts with three snapshots each, some overrides and open tasks, in bulk."""
    accounts = Account.objects.bulk_create(
        Account(external_id=f"BULK-{i:04d}", name=f"Bulk {i:04d}", owner=owners[i % len(owners)])
        for i in range(n)
    )
    SubscriptionLine.objects.bulk_create(
        SubscriptionLine(
            account=a,
            subscription_id=f"bulk_{a.pk}",
            product="Core",
            mrr=Decimal(100 + i),
            start_date=date(2026, 1, 1),
            end_date=TODAY + timedelta(days=i % 120 + 1),
        )
        for i, a in enumerate(accounts)
    )
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(
            account=a,
            date=TODAY - timedelta(days=back),
            score=float((i * 7 + back) % 100),
            colour=Bands().colour(float((i * 7 + back) % 100)).value,
            coverage=1.0,
            mrr=Decimal(100 + i),
            scorecard=card,
            scorecard_version=card.version,
        )
        for i, a in enumerate(accounts)
        for back in (0, 7, 30)
    )
    ColourOverride.objects.bulk_create(
        ColourOverride(account=a, colour="red", reason="r", expires_on=TODAY, created_on=TODAY)
        for a in accounts[::5]
    )
    Task.objects.bulk_create(
        Task(
            account=a,
            reason=TaskReason.TURNED_RED,
            assignee=a.owner,
            opened_on=TODAY,
            due_on=TODAY,
        )
        for a in accounts[::3]
    )
    current_health_refresh()


@pytest.mark.parametrize("n", [10, 200])
@pytest.mark.parametrize(
    "query", [{}, {"colour": "red", "sort": "-score"}, {"renewal": "90", "sort": "tasks"}]
)
def test_book_query_count_does_not_grow_with_accounts(
    client, manager, default_scorecard, django_assert_num_queries, n, query
):
    build_book(n, [UserFactory(role=Role.CSM) for _ in range(3)], default_scorecard)
    client.force_login(manager)
    # (the session comes from the cache: SESSION_ENGINE cached_db)
    # 1: the logged-in user
    # 2: the latest snapshot day
    # 3: the summary strip (accounts and MRR per colour, grouped in the database), which
    #    also gives the paginator its count; 2 and 3 are kept in the cache (`book_figures`)
    # 4: the page of current-health rows, owners joined, read in the sort's index order
    # 5: the bands of the scorecards that coloured the page's rows (`with_bands`)
    # 6: how many accounts are not yet active (the card's count), kept in the cache too
    # 7: the CSMs for the owner filter (managers only)
    with django_assert_num_queries(7):
        response = client.get("/accounts/", query)
    assert response.status_code == 200
    # Again, the rows unchanged: 2 (the day), 3 (the strip) and 6 come from the cache.
    with django_assert_num_queries(4):
        client.get("/accounts/", query)
    assert len(listed_names(response)) == min(response.context["page"].paginator.count, 50)
    if not query:
        assert len(listed_names(response)) == min(n, 50)


@pytest.mark.parametrize("n", [10, 200])
def test_csm_book_and_csv_query_counts_do_not_grow_with_accounts(
    client, csm, default_scorecard, django_assert_num_queries, n
):
    build_book(n, [csm], default_scorecard)
    client.force_login(csm)
    # user, latest snapshot day, summary (and count), page, its bands, the not-yet count (no
    # owner list); the session from the cache
    with django_assert_num_queries(6):
        client.get("/accounts/")
    # the day and the summary from the cache, until the rows change
    with django_assert_num_queries(3):
        client.get("/accounts/")
    # user, latest snapshot day, every filtered row in one query
    with django_assert_num_queries(3):
        response = client.get("/accounts/", {"format": "csv"})
    assert len(csv_rows(response)) == n


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (None, "–"),
        (0.0, "→ 0"),
        (-0.0, "→ 0"),
        (0.04, "→ 0"),  # one decimal, as the scores and the texts: rounds to 0, no arrow
        (-0.04, "→ 0"),
        (0.4, "↑ +0.4"),
        (-0.4, "↓ -0.4"),
        (2.0, "↑ +2"),
        (-29.6, "↓ -29.6"),
    ],
)
def test_a_trend_that_rounds_to_zero_reads_flat(delta, shown):
    from workspace.templatetags.health import trend

    assert f">{shown}</span>" in trend(delta)
