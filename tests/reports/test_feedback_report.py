"""The product-feedback report on a hand-made tagged book: detractors cluster after release
v2.4. Every figure below was worked out by hand. "Today" is 30 June 2026."""

from datetime import UTC, date, datetime

import pytest
from django.test.utils import CaptureQueriesContext

from reports.feedback import release_windows
from surveys.models import Tag, TagKind
from tests.factories import AccountFactory, SurveyResponseFactory, TicketFactory
from tests.reports.test_reports import (
    by,
    csv_rows,
    table,
    today,  # noqa: F401 - autouse fixture
)
from workspace.models import CheckIn

PERIOD = {"from": "2026-04", "to": "2026-06"}


def at(month, day):
    return datetime(2026, month, day, 9, tzinfo=UTC)


@pytest.fixture
def as_manager(client, manager, default_scorecard):
    client.force_login(manager)
    return client


@pytest.fixture
def tagged_book(db):
    billing = Tag.objects.create(name="Billing")
    release = Tag.objects.create(name="v2.4", kind=TagKind.RELEASE, released_on=date(2026, 5, 15))
    plans = Tag.objects.create(name="Future plans", kind=TagKind.FUTURE_PLANS)
    a = AccountFactory(name="Acme", segment="smb")

    def answer(month, day, score, *tags, comment=""):
        r = SurveyResponseFactory(
            account=a, responded_on=date(2026, month, day), score=score, comment=comment
        )
        r.tags.add(*tags)

    def ticket(ref, month, day, *tags):
        t = TicketFactory(
            account=a, ticket_id=ref, subject=f"about {ref}", opened_at=at(month, day)
        )
        t.tags.add(*tags)

    # The 30 days before v2.4 (15 Apr – 14 May): 3 promoters, 1 passive: NPS 75.
    answer(4, 20, 9)
    answer(4, 25, 10)
    answer(5, 1, 9)
    answer(5, 10, 7)
    # The 30 days from it (15 May – 13 Jun): 1 promoter, 1 passive, 3 detractors: NPS −40.
    answer(5, 16, 2, release, comment="Export broke after the update")
    answer(5, 18, 4, release)
    answer(5, 20, 6, release, billing)
    answer(5, 25, 9)
    answer(6, 1, 8)
    answer(6, 20, 10, billing)  # after the window
    answer(3, 10, 0, release)  # before the period
    SurveyResponseFactory(account=a, responded_on=date(2026, 5, 17), score=1, survey_type="csat")

    ticket("T-1", 4, 20)
    ticket("T-2", 5, 10, billing)
    ticket("T-3", 5, 16, release)
    ticket("T-4", 5, 20, release, billing)
    ticket("T-5", 6, 1)
    ticket("T-6", 6, 5, release)
    ticket("T-0", 3, 5, billing)  # before the period
    for day, tag, note in [(date(2026, 4, 5), billing, "Invoices confuse them"),
                           (date(2026, 6, 2), plans, "Plan SSO for next year")]:  # fmt: skip
        CheckIn.objects.create(account=a, date=day, note=note).tags.add(tag)
    return a


def test_tag_volume_by_month_across_tickets_answers_and_check_ins(as_manager, tagged_book):
    response = as_manager.get("/reports/feedback/", PERIOD)

    rows = {(r["tag"], r["month"]): r for r in table(response, "volume")}
    counts = {
        key: (r["tickets"], r["answers"], r["check_ins"], r["total"]) for key, r in rows.items()
    }
    assert counts == {
        ("v2.4", "May 2026"): (2, 3, 0, 5),
        ("v2.4", "Jun 2026 (to date)"): (1, 0, 0, 1),
        ("v2.4", "Whole period (to date)"): (3, 3, 0, 6),
        ("Billing", "Apr 2026"): (0, 0, 1, 1),
        ("Billing", "May 2026"): (2, 1, 0, 3),
        ("Billing", "Jun 2026 (to date)"): (0, 1, 0, 1),
        ("Billing", "Whole period (to date)"): (2, 2, 1, 5),
        ("Future plans", "Jun 2026 (to date)"): (0, 0, 1, 1),
        ("Future plans", "Whole period (to date)"): (0, 0, 1, 1),
    }
    assert response.context["report"].tags == ["v2.4", "Billing", "Future plans"]  # by volume


def test_detractor_share_by_tag_against_all_answers(as_manager, tagged_book):
    rows = by(table(as_manager.get("/reports/feedback/", PERIOD), "detractors"), "tag")

    # v2.4: 2, 4 and 6 — all three detractors. Billing: 6 and 10 — one of two.
    assert (rows["v2.4"]["answers"], rows["v2.4"]["detractors"]) == (3, 3)
    assert (rows["v2.4"]["detractor_share"], rows["v2.4"]["nps"]) == (100.0, -100.0)
    assert (rows["Billing"]["detractor_share"], rows["Billing"]["nps"]) == (50.0, 0.0)
    # Every NPS answer of April to June: 5 promoters, 2 passives, 3 detractors of 10.
    everyone = rows["All NPS answers"]
    assert (everyone["promoters"], everyone["passives"], everyone["detractors"]) == (5, 2, 3)
    assert (everyone["detractor_share"], everyone["nps"]) == (30.0, 20.0)
    assert [
        r["tag"] for r in table(as_manager.get("/reports/feedback/", PERIOD), "detractors")
    ] == [
        "v2.4",
        "Billing",
        "All NPS answers",
    ]


def test_nps_and_tickets_30_days_before_and_after_a_release(as_manager, tagged_book):
    (row,) = table(as_manager.get("/reports/feedback/", PERIOD), "releases")

    assert row == {
        "tag": "v2.4",
        "released_on": date(2026, 5, 15),
        "nps_before": 75.0,  # (3 − 0) / 4
        "answers_before": 4,
        "nps_after": -40.0,  # (1 − 3) / 5
        "answers_after": 5,
        "nps_change": -115.0,
        "tickets_before": 2,  # T-1, T-2
        "tickets_after": 4,  # T-3, T-4, T-5, T-6
        "tagged_after": 3,  # T-3, T-4, T-6
        "days_after": 30,
    }


def test_a_release_windows_are_30_days_each_and_the_after_one_stops_today():
    assert release_windows(date(2026, 5, 15), date(2026, 6, 30)) == (
        (date(2026, 4, 15), date(2026, 5, 14)),
        (date(2026, 5, 15), date(2026, 6, 13)),
    )
    assert release_windows(date(2026, 6, 20), date(2026, 6, 30))[1] == (
        date(2026, 6, 20),
        date(2026, 6, 30),
    )


def test_a_release_outside_the_period_is_not_listed(as_manager, tagged_book):
    assert table(as_manager.get("/reports/feedback/", {"from": "2026-06"}), "releases") == []


def test_the_product_team_csv_holds_every_tagged_item_one_row_per_tag(as_manager, tagged_book):
    response = as_manager.get("/reports/feedback/", {**PERIOD, "format": "csv", "table": "items"})

    rows = csv_rows(response)
    assert response["Content-Disposition"] == (
        'attachment; filename="feedback-items-2026-04-to-2026-06.csv"'
    )
    assert list(rows[0]) == ["day", "source", "tag", "account", "score", "text"]
    # Tickets T-2, T-3, T-4 (twice), T-6; answers 2, 4, 6 (twice), 10; two check-ins.
    assert len(rows) == 12
    assert rows[0] == {
        "day": "2026-06-20",
        "source": "Survey answer",
        "tag": "Billing",
        "account": "Acme",
        "score": "10",
        "text": "",
    }
    assert {
        "day": "2026-05-16",
        "source": "Survey answer",
        "tag": "v2.4",
        "account": "Acme",
        "score": "2",
        "text": "Export broke after the update",
    } in rows
    assert sum(r["source"] == "Ticket" for r in rows) == 5
    assert {"day": "2026-06-02", "source": "Check-in", "tag": "Future plans", "account": "Acme",
            "score": "", "text": "Plan SSO for next year"} in rows  # fmt: skip


def test_the_segment_filter_narrows_every_table(as_manager, tagged_book):
    response = as_manager.get("/reports/feedback/", {**PERIOD, "segment": "enterprise"})

    assert table(response, "volume") == []
    assert table(response, "items") == []
    (release,) = table(response, "releases")
    assert (release["answers_before"], release["tickets_after"]) == (0, 0)


def test_the_page_renders_its_charts_and_escapes_tag_names(as_manager, tagged_book):
    TicketFactory(account=tagged_book, opened_at=at(5, 3)).tags.add(
        Tag.objects.create(name="<b>bold</b>")
    )
    html = as_manager.get("/reports/feedback/", PERIOD).content.decode()

    for chart in ("chart-volume", "chart-detractors", "chart-releases"):
        assert f'data-chart="{chart}"' in html
    assert "Product feedback" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # in the tables
    assert "<b>bold</b>" not in html  # nor raw in the charts' JSON


def test_the_query_count_does_not_grow_with_the_book(
    client, manager, tagged_book, django_assert_num_queries
):
    from django.db import connection

    client.force_login(manager)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/reports/feedback/", PERIOD).status_code == 200
    for n in range(20):
        a = AccountFactory()
        t = TicketFactory(account=a, opened_at=at(5, 1 + n))
        t.tags.add(*Tag.objects.all())
        r = SurveyResponseFactory(account=a, responded_on=date(2026, 5, 1 + n), score=n % 11)
        r.tags.add(*Tag.objects.all())
    # user (the session from the cache), the tag list, tagged tickets, answers and check-ins
    # by tag and month (3),
    # tagged NPS answers by tag, all NPS answers, the releases' NPS windows, their tickets,
    # every tagged ticket, answer and check-in (3)
    with django_assert_num_queries(12):
        assert client.get("/reports/feedback/", PERIOD).status_code == 200
    assert len(small.captured_queries) == 12
