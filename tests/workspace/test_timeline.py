"""The account's timeline: the pure events and merge, then the page — every kind of event,
newest first, filtered by kind, paginated, in a number of queries that the events do not grow."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import Role
from scoring.maths import Bands
from scoring.models import HealthSnapshot, Scorecard
from signals.models import SentimentEntry
from tests.factories import (
    InvoiceFactory,
    SubscriptionLineFactory,
    SurveyResponseFactory,
    TicketFactory,
    UserFactory,
)
from tests.workspace.test_book import (
    TODAY,
    customer,
    open_task,
    today,  # noqa: F401 - autouse fixture: today is 30 June 2026
)
from workspace.models import CheckIn, TaskReason
from workspace.timeline import PAGE_SIZE, Event, merge, score_events

BANDS = Bands()


def day(n: int) -> date:
    return TODAY - timedelta(days=n)


# --- the pure part ----------------------------------------------------------------------------


def test_score_events_are_colour_changes_and_moves_of_ten_points_from_the_last_shown():
    rows = [
        (day(9), 75.0, "green", BANDS),
        (day(8), 71.0, "green", BANDS),  # -4: no event
        (day(7), 69.96, "yellow", BANDS),  # a colour change, at the number it was made from
        (day(6), 64.0, "yellow", BANDS),  # -5.96 from the last shown: no event
        (day(5), 59.9, "yellow", BANDS),  # -10.06 from 69.96: an event
        (day(4), None, "grey", BANDS),
        (day(3), 45.0, "yellow", BANDS),
    ]
    events = score_events(rows)
    assert [(e.day, e.title, e.colour) for e in events] == [
        (day(7), "Turned yellow at 69.9 (was green).", "yellow"),
        (day(5), "Score fell from 69.9 to 59.9 (-10.1).", ""),
        (day(4), "Turned grey: too little data to score (was yellow).", "grey"),
        (day(3), "Turned yellow at 45 (was grey).", "yellow"),
    ]


def test_a_slow_drift_is_one_event_once_it_adds_up_to_ten_points():
    rows = [(day(20 - n), 80.0 - n, "green", BANDS) for n in range(11)]
    events = score_events(rows)
    assert [(e.day, e.title) for e in events] == [
        (day(10), "Score fell from 80 to 70 (-10)."),
    ]


def test_merge_orders_newest_first_and_pages_without_losing_or_repeating():
    a = [Event(day(n), "checkin", f"a{n}", rank=2, seq=(100 - n,)) for n in range(0, 10, 2)]
    b = [Event(day(n), "ticket", f"b{n}", rank=7, seq=(50 - n,)) for n in range(0, 10, 3)]
    first, more = merge([a, b], offset=0, limit=4)
    assert [e.title for e in first] == ["a0", "b0", "a2", "b3"]
    assert more
    second, more = merge([a, b], offset=4, limit=4)
    assert [e.title for e in second] == ["a4", "a6", "b6", "a8"]
    assert more
    third, more = merge([a, b], offset=8, limit=4)
    assert [e.title for e in third] == ["b9"]
    assert not more


def test_merge_breaks_ties_of_one_day_by_kind_then_newest_row():
    same_day = [
        Event(TODAY, "ticket", "older ticket", rank=7, seq=(1,)),
        Event(TODAY, "ticket", "newer ticket", rank=7, seq=(2,)),
        Event(TODAY, "score", "turned red", rank=0),
    ]
    events, more = merge([same_day], offset=0, limit=10)
    assert [e.title for e in events] == ["turned red", "newer ticket", "older ticket"]
    assert not more


# --- the page ---------------------------------------------------------------------------------


@pytest.fixture
def account(csm, default_scorecard):
    return customer(csm, name="Acme Corp")


def snapshots(account, scores: list[tuple[int, float | None]]) -> None:
    card = Scorecard.objects.get(is_default=True)
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(
            account=account,
            date=day(n),
            score=score,
            colour=card.bands.colour(score).value,
            coverage=1.0 if score is not None else 0.2,
            scorecard=card,
            scorecard_version=card.version,
        )
        for n, score in scores
    )


def one_of_everything(account, *, back: int = 0) -> None:
    """One event of each kind, `back` days (and more) before today."""
    at = datetime.combine(day(back + 3), datetime.min.time(), tzinfo=UTC)
    CheckIn.objects.create(
        account=account, date=day(back), channel="call", note=f"Called {back}", author=None
    )
    SentimentEntry.objects.create(account=account, recorded_on=day(back), sentiment="red")
    open_task(
        account,
        TaskReason.DETRACTOR,
        opened_on=day(back + 2),
        status="done",
        closed_on=day(back + 1),
        outcome="Fixed",
    )
    TicketFactory(
        account=account,
        ticket_id=f"T-{back}",
        subject="Export broken",
        opened_at=at,
        resolved_at=at + timedelta(days=1),
    )
    InvoiceFactory(
        account=account,
        invoice_number=f"INV-LATE-{back}",
        issued_on=day(back + 40),
        due_on=day(back + 10),
        paid_on=day(back + 5),
    )
    SurveyResponseFactory(
        account=account,
        respondent=f"cfo{back}@acme.example",
        responded_on=day(back),
        score=4,
        comment="Too slow",
    )
    SubscriptionLineFactory(
        account=account, product=f"Add-on {back}", start_date=day(back + 20), end_date=day(back)
    )


def timeline(client, account, **params) -> str:
    response = client.get(f"/accounts/{account.pk}/timeline/", params)
    assert response.status_code == 200
    return response.content.decode()


def titles(html: str) -> list[str]:
    items = re.findall(r'<li class="event event-(\w+)"[^>]*>\s*<time datetime="([\d-]+)">', html)
    return [(kind, date.fromisoformat(d)) for kind, d in items]


def test_timeline_shows_every_kind_of_event_newest_first(client, csm, account):
    snapshots(account, [(6, 80.0), (5, 35.0)])
    one_of_everything(account)
    client.force_login(csm)
    html = timeline(client, account)
    events = titles(html)
    assert [d for _, d in events] == sorted((d for _, d in events), reverse=True)
    for text in [
        "Check-in (Call) by someone",
        "Sentiment recorded: Red — at risk",
        "Task opened: Detractor NPS answer",
        "Task closed: Detractor NPS answer",
        "Ticket T-0 opened",
        "Ticket T-0 resolved",
        "Invoice INV-LATE-0 overdue",
        "Invoice INV-LATE-0 paid",
        "NPS answer 4 from cfo0@acme.example",
        "Subscription line started: Add-on 0",
        "Subscription line ended: Add-on 0",
        "Turned red at 35 (was green).",
    ]:
        assert text in html, text
    kinds = {kind for kind, _ in events}
    assert kinds == {
        "score",
        "checkin",
        "sentiment",
        "task",
        "ticket",
        "invoice",
        "survey",
        "subscription",
    }
    # The account's own line, open since January.
    assert "Subscription line started: Core" in timeline(client, account, kind="subscription")


def test_an_invoice_paid_on_time_was_never_overdue(client, csm, account):
    InvoiceFactory(
        account=account,
        invoice_number="INV-ON-TIME",
        issued_on=day(40),
        due_on=day(10),
        paid_on=day(12),
    )
    InvoiceFactory(account=account, invoice_number="INV-UNPAID", issued_on=day(40), due_on=day(10))
    client.force_login(csm)
    html = timeline(client, account, kind="invoice")
    assert "Invoice INV-ON-TIME paid" in html
    assert "Invoice INV-ON-TIME overdue" not in html
    assert "Invoice INV-UNPAID overdue" in html
    assert f'<time datetime="{day(9).isoformat()}">' in html  # overdue from the day after


def test_a_kind_filter_shows_that_kind_alone(client, csm, account):
    one_of_everything(account)
    client.force_login(csm)
    html = timeline(client, account, kind="invoice")
    assert {kind for kind, _ in titles(html)} == {"invoice"}
    assert 'data-kind="invoice" aria-current="true"' in html


def test_malformed_filters_and_pages_are_ignored(client, csm, account):
    one_of_everything(account)
    client.force_login(csm)
    for params in ({"kind": "nonsense"}, {"page": "²"}, {"page": "-1"}, {"page": "9" * 30}):
        assert titles(timeline(client, account, **params))


def test_a_second_page_carries_on_where_the_first_stopped(client, csm, account):
    for back in range(PAGE_SIZE + 5):
        CheckIn.objects.create(account=account, date=day(back), note=f"n{back}", author=csm)
    client.force_login(csm)
    first = timeline(client, account, kind="checkin")
    second = timeline(client, account, kind="checkin", page=2)
    assert "Older →" in first
    assert "← Newer" in second and "Older →" not in second
    shown = re.findall(r">n(\d+)</div>", first) + re.findall(r">n(\d+)</div>", second)
    assert list(map(int, shown)) == list(range(PAGE_SIZE + 5))


@pytest.mark.parametrize("events", [1, 40])
def test_timeline_query_count_does_not_grow_with_the_events(
    client, csm, account, django_assert_num_queries, events
):
    snapshots(account, [(n, 30.0 + (n * 7) % 60) for n in range(events * 3)])
    for back in range(events):
        one_of_everything(account, back=back)
    client.force_login(csm)
    # user, the account (the session from the cache); then one query per source: snapshots,
    # check-ins,
    # sentiment, tasks opened, tasks closed, tickets opened, tickets resolved, invoices
    # overdue, invoices paid, survey answers, lines started, lines ended
    with django_assert_num_queries(2 + 12):
        html = timeline(client, account)
    if events > 1:
        assert len(titles(html)) == PAGE_SIZE and "Older →" in html
    with django_assert_num_queries(2 + 12):
        timeline(client, account, page=2)
    with django_assert_num_queries(2 + 2):
        timeline(client, account, kind="ticket")


def test_another_csms_timeline_is_a_404(client, account, default_scorecard):
    riley = UserFactory(username="riley", role=Role.CSM)
    client.force_login(riley)
    assert client.get(f"/accounts/{account.pk}/timeline/").status_code == 404


def test_the_partial_is_the_timeline_alone_for_the_account_page(client, csm, account):
    one_of_everything(account)
    client.force_login(csm)
    html = timeline(client, account, partial="1")
    assert "<html" not in html
    assert 'id="timeline-events"' in html
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert f'data-timeline="/accounts/{account.pk}/timeline/"' in page
