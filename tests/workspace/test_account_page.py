"""The account page: what it explains, what a CSM does on it (check-in, sentiment, colour
override, tasks), what a manager does (reassign), who may do it, and its query count."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils.formats import date_format

from accounts.models import Role
from scoring.explanations import explained
from scoring.maths import State
from scoring.models import HealthSnapshot, Scorecard, SignalDefinition
from scoring.recompute import health_recompute
from signals.models import SentimentEntry
from tests.factories import (
    AccountFactory,
    InvoiceFactory,
    SubscriptionLineFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageRecordFactory,
    UserFactory,
    snapshot_parts,
)
from tests.scoring.test_recompute import healthy_account
from tests.workspace.test_book import (
    TODAY,
    build_book,
    customer,
    listed_rows,
    open_task,
    today,  # noqa: F401 - autouse fixture: today is 30 June 2026
)
from workspace import account_page
from workspace.current_health import current_health_refresh
from workspace.models import CheckIn, ColourOverride, Task, TaskReason

YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def riley(db):
    return UserFactory(username="riley", role=Role.CSM)


@pytest.fixture
def account(csm, default_scorecard):
    """Casey's account, scored green yesterday and today by the real recompute."""
    account = healthy_account(owner=csm, usage=100)
    account.name = "Acme Corp"
    account.save()
    healthy_account(usage=10)  # someone to rank against
    health_recompute(as_of=YESTERDAY)
    health_recompute(as_of=TODAY)
    return account


@pytest.fixture
def theirs(riley, default_scorecard):
    """Riley's account, with an open task."""
    account = customer(riley, name="Initech")
    open_task(account)
    return account


def page(client, account):
    response = client.get(f"/accounts/{account.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, element_id: str) -> str:
    """The element with this id, up to its closing tag (enough for the lists and tables here)."""
    start = html.index(f'id="{element_id}"')
    tag = html[html.rindex("<", 0, start) + 1 : start].split()[0]
    return html[start : html.index(f"</{tag}>", start)]


def messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def post(client, url, data):
    """POST, follow the redirect back to the page, return that page."""
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return response


def refused(client, url, data) -> str:
    """POST a form that has errors: the account page comes back (no redirect) with a 400, the
    form bound to what was sent; return its HTML."""
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.templates[0].name == "workspace/account_detail.html"
    assert list(response.context["messages"]) == []  # errors go beside the fields, not in a flash
    return response.content.decode()


def field_errors(html: str, field_id: str) -> list[str]:
    """The errors shown beside a field (the element its aria-describedby names)."""
    match = re.search(rf'<ul class="field-errors" id="{field_id}_error">(.*?)</ul>', html, re.S)
    assert match, f"no errors beside {field_id}"
    assert re.search(rf'id="{field_id}"[^>]*aria-describedby="[^"]*{field_id}_error', html) or (
        re.search(rf'aria-describedby="[^"]*{field_id}_error[^"]*"[^>]*id="{field_id}"', html)
    ), f"{field_id} does not point at its errors"
    return [html_unescape(e) for e in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


# --- who may see and act ----------------------------------------------------------------------


ACTIONS = [
    ("check-ins/", {"date": "2026-06-29", "channel": "call", "note": "Spoke to the CTO"}),
    ("sentiment/", {"sentiment": "red", "note": "worried"}),
    ("override/", {"colour": "green", "reason": "Signed", "expires_on": "2026-07-10"}),
    ("override/remove/", {}),
]


def test_csm_gets_404_on_another_csms_account_page(client, csm, theirs):
    client.force_login(csm)
    assert client.get(f"/accounts/{theirs.pk}/").status_code == 404


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_csm_gets_404_acting_on_another_csms_account(client, csm, theirs, action, data):
    ColourOverride.objects.create(
        account=theirs, colour="red", reason="r", expires_on=TODAY, created_on=TODAY
    )
    client.force_login(csm)
    assert client.post(f"/accounts/{theirs.pk}/{action}", data).status_code == 404
    assert not CheckIn.objects.exists()
    assert not SentimentEntry.objects.filter(account=theirs).exists()
    assert list(ColourOverride.objects.values_list("colour", "cleared_on")) == [("red", None)]


@pytest.mark.parametrize(
    ("action", "data"), [("done/", {"outcome": "called"}), ("snooze/", {"until": "2026-07-05"})]
)
def test_csm_gets_404_on_another_csms_task(client, csm, theirs, action, data):
    task = theirs.tasks.get()
    client.force_login(csm)
    assert client.post(f"/tasks/{task.pk}/{action}", data).status_code == 404
    task.refresh_from_db()
    assert (task.status, task.outcome, task.snoozed_until) == ("open", "", None)


def test_missing_account_is_404_for_everyone(client, manager, db):
    client.force_login(manager)
    assert client.get("/accounts/999999/").status_code == 404
    assert client.post("/accounts/999999/check-ins/", ACTIONS[0][1]).status_code == 404


def test_actions_refuse_get(client, csm, account):
    client.force_login(csm)
    for action, _ in ACTIONS:
        assert client.get(f"/accounts/{account.pk}/{action}").status_code == 405


def test_manager_sees_any_account_and_the_reassign_form(client, manager, theirs):
    client.force_login(manager)
    html = page(client, theirs)
    assert "<h1>Initech</h1>" in html
    assert 'id="reassign-form"' in html


def test_csm_sees_no_reassign_form(client, csm, account):
    client.force_login(csm)
    assert 'id="reassign-form"' not in page(client, account)


# --- what the page explains -------------------------------------------------------------------


@pytest.fixture
def slipped(account, default_scorecard):
    """Acme as scored today after an invoice went 60 days overdue, under a new scorecard
    version, with some of everything the page lists."""
    InvoiceFactory(
        account=account,
        invoice_number="INV-LATE",
        issued_on=date(2026, 4, 1),
        due_on=TODAY - timedelta(days=60),
    )
    TicketFactory(account=account, ticket_id="T-77", subject="Export broken", priority="high")
    SurveyResponseFactory(
        account=account, respondent="cfo@acme.example", score=4, comment="Too slow"
    )
    UsageRecordFactory(account=account, metric="reports_created", value=7)
    CheckIn.objects.create(account=account, date=YESTERDAY, channel="meeting", note="QBR held")
    open_task(account, TaskReason.DETRACTOR, detail="cfo@acme.example answered NPS 4.")
    default_scorecard.bump_version()
    health_recompute(as_of=TODAY)
    return account


def test_page_shows_the_drivers_in_words(client, csm, slipped):
    client.force_login(csm)
    drivers = section(page(client, slipped), "drivers")
    assert "Invoices is critical and red, so the account is red" in drivers
    stored = explained(HealthSnapshot.objects.get(account=slipped, date=TODAY)).drivers
    assert len(stored) >= 2
    for line in stored:
        assert line in drivers


def test_page_shows_what_changed_since_the_last_snapshot(client, csm, slipped):
    client.force_login(csm)
    changes = section(page(client, slipped), "changes")
    assert "Turned red (was green)." in changes


def test_page_shows_each_component_raw_score_weight_and_contribution(client, csm, slipped):
    client.force_login(csm)
    table = section(page(client, slipped), "component-table")
    rows = re.findall(r"<tr[^>]*><td>(.*?)</tr>", table, re.S)
    invoices = next(r for r in rows if r.startswith("Invoices"))
    cells = re.findall(r'<td class="num">([^<]*)</td>', invoices)
    assert [c.strip() for c in cells] == ["60 days overdue", "0", "15", "15%", "0"]
    assert '<span class="tag">critical</span>' in invoices
    assert len(rows) == 8  # every signal of the default scorecard


def test_page_shows_the_score_and_colour_as_words(client, csm, slipped):
    client.force_login(csm)
    html = page(client, slipped)
    snapshot = HealthSnapshot.objects.get(account=slipped, date=TODAY)
    box = section(html, "score-box")
    assert "At risk" in box
    # One decimal, as the texts say it (68.1 is not "68" here and "68.1" in "Score fell ...").
    assert f"{round(snapshot.score, 1):g}<span>/100</span>" in box
    assert "100% of weight has data · scored by Default v2" in html


def chart(html: str) -> dict:
    raw = re.search(
        r'<script id="score-chart-data" type="application/json">(.*?)</script>', html, re.S
    ).group(1)
    return json.loads(raw)


def test_chart_has_the_score_history_on_the_colour_bands_with_version_marks(client, csm, slipped):
    client.force_login(csm)
    figure = chart(page(client, slipped))
    scores = dict(HealthSnapshot.objects.filter(account=slipped).values_list("date", "score"))
    assert figure["data"][0]["x"] == ["2026-06-29", "2026-06-30"]
    assert figure["data"][0]["y"] == pytest.approx([scores[YESTERDAY], scores[TODAY]])
    rects = [
        (s["y0"], s["y1"], s["fillcolor"])
        for s in figure["layout"]["shapes"]
        if s["type"] == "rect"
    ]
    assert rects == [(0, 40, "#fbe4e3"), (40, 70, "#fdf3d8"), (70, 100, "#e3f4ea")]
    lines = [s["x0"] for s in figure["layout"]["shapes"] if s["type"] == "line"]
    assert lines == ["2026-06-30"]  # version 1 yesterday, version 2 today
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["v2"]


def test_chart_bands_follow_the_scorecard(client, csm, account, default_scorecard):
    default_scorecard.green_min, default_scorecard.yellow_min = 80, 50
    default_scorecard.save()
    client.force_login(csm)
    figure = chart(page(client, account))
    rects = [(s["y0"], s["y1"]) for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    assert rects == [(0, 50), (50, 80), (80, 100)]
    assert not [s for s in figure["layout"]["shapes"] if s["type"] == "line"]


def test_page_shows_recent_usage_lines_invoices_tickets_answers_checkins_and_tasks(
    client, csm, slipped
):
    client.force_login(csm)
    html = page(client, slipped)
    assert "<td>reports_created</td>" in html
    # 10 days of 100 logins over the 30 days: a day's average, and the days used
    assert '<td>logins</td><td class="num">33.3</td><td class="num">10</td>' in html
    assert "Core" in html and "1,000" in html  # the subscription line
    assert "INV-LATE" in html and '<span class="error">overdue</span>' in html
    assert "T-77" in html and "Export broken" in html
    answers = section(html, "answers")
    assert "NPS 4" in answers and "cfo@acme.example" in answers and "Too slow" in answers
    assert "QBR held" in section(html, "checkins")
    tasks = section(html, "tasks")
    assert "Detractor NPS answer" in tasks
    assert "cfo@acme.example answered NPS 4." in tasks


def test_page_of_an_account_without_a_snapshot_says_so(client, csm, default_scorecard):
    account = customer(csm, name="New")
    client.force_login(csm)
    html = page(client, account)
    assert "This account has no health snapshot yet." in html
    assert chart(html)["data"][0]["x"] == []


# --- check-ins --------------------------------------------------------------------------------


def test_logging_a_check_in_keeps_it_on_the_page(client, csm, account):
    client.force_login(csm)
    response = post(
        client,
        f"/accounts/{account.pk}/check-ins/",
        {"date": "2026-06-29", "channel": "meeting", "note": "Agreed a training plan"},
    )
    assert messages(response) == ["Check-in logged."]
    check_in = CheckIn.objects.get()
    assert (check_in.account, check_in.author, check_in.date, check_in.channel) == (
        account,
        csm,
        YESTERDAY,
        "meeting",
    )
    log = section(response.content.decode(), "checkins")
    day = date_format(YESTERDAY, "DATE_FORMAT")
    assert day in log and "Meeting" in log and "Agreed a training plan" in log


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"date": "2026-07-01", "channel": "call", "note": "From the future"},
            "date",
            "A check-in cannot be in the future.",
        ),
        ({"date": "2026-06-29", "channel": "call", "note": ""}, "note", "This field is required."),
        ({"date": "yesterday", "channel": "call", "note": "x"}, "date", "Enter a valid date."),
        (
            {"date": "1899-12-31", "channel": "call", "note": "x"},
            "date",
            "Enter a date between 1900-01-01 and 2199-12-31.",
        ),
        (
            {"date": "2026-06-29", "channel": "pigeon", "note": "x"},
            "channel",
            "Select a valid choice. pigeon is not one of the available choices.",
        ),
    ],
)
def test_invalid_check_in_is_refused_beside_the_field(client, csm, account, data, field, message):
    client.force_login(csm)
    html = refused(client, f"/accounts/{account.pk}/check-ins/", data)
    assert field_errors(html, f"checkin_{field}") == [message]
    assert not CheckIn.objects.exists()
    form = section(html, "checkin-form")
    # What was typed is still there, and the check-in's fold is open.
    if data["note"]:
        assert f"{data['note']}</textarea>" in form
    if field != "date":
        assert f'value="{data["date"]}"' in form
    assert 'id="checkin-action" open' in html


def test_a_refused_check_in_keeps_the_typed_date_and_note(client, csm, account):
    client.force_login(csm)
    html = refused(
        client,
        f"/accounts/{account.pk}/check-ins/",
        {"date": "2026-07-01", "channel": "email", "note": "Sent the renewal quote"},
    )
    form = section(html, "checkin-form")
    assert 'value="2026-07-01"' in form
    assert '<option value="email" selected>' in form
    assert "Sent the renewal quote</textarea>" in form


# --- sentiment --------------------------------------------------------------------------------


def sentiment_component(account) -> dict:
    snapshot = HealthSnapshot.objects.get(account=account, date=TODAY)
    return next(c for c in explained(snapshot).components if c["key"] == "sentiment")


def test_recording_sentiment_rescores_the_account_once_committed(
    client, csm, account, django_capture_on_commit_callbacks
):
    assert (sentiment_component(account)["raw"], sentiment_component(account)["score"]) == (
        100,
        100,
    )
    before = HealthSnapshot.objects.get(account=account, date=TODAY).score
    client.force_login(csm)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            f"/accounts/{account.pk}/sentiment/", {"sentiment": "red", "note": "Champion left"}
        )
    assert response.status_code == 302
    entry = SentimentEntry.objects.get(account=account, recorded_on=TODAY)
    assert (entry.sentiment, entry.note, entry.author) == ("red", "Champion left", csm)
    # Not rescored inside the request's transaction: only once it commits.
    assert len(callbacks) == 1
    assert sentiment_component(account)["score"] == 100
    for callback in callbacks:
        callback()
    assert (sentiment_component(account)["raw"], sentiment_component(account)["score"]) == (0, 0)
    assert HealthSnapshot.objects.get(account=account, date=TODAY).score < before


def test_recording_sentiment_twice_a_day_keeps_one_entry(
    client, csm, account, django_capture_on_commit_callbacks
):
    client.force_login(csm)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, f"/accounts/{account.pk}/sentiment/", {"sentiment": "red"})
        response = post(client, f"/accounts/{account.pk}/sentiment/", {"sentiment": "yellow"})
    assert messages(response) == ["Sentiment recorded; the score is being updated."]
    assert SentimentEntry.objects.filter(account=account, recorded_on=TODAY).get().sentiment == (
        "yellow"
    )
    assert sentiment_component(account)["score"] == 50


def test_invalid_sentiment_is_refused(client, csm, account, django_capture_on_commit_callbacks):
    client.force_login(csm)
    with django_capture_on_commit_callbacks() as callbacks:
        html = refused(
            client, f"/accounts/{account.pk}/sentiment/", {"sentiment": "purple", "note": "hm"}
        )
    assert field_errors(html, "sentiment_sentiment") == [
        "Select a valid choice. purple is not one of the available choices."
    ]
    assert "hm</textarea>" in section(html, "sentiment-form")
    assert 'id="sentiment-action" open' in html
    assert not SentimentEntry.objects.filter(recorded_on=TODAY).exists()
    assert callbacks == []


# --- colour override --------------------------------------------------------------------------


def set_override(client, account, colour="red", reason="Champion left", days=10):
    return post(
        client,
        f"/accounts/{account.pk}/override/",
        {"colour": colour, "reason": reason, "expires_on": TODAY + timedelta(days=days)},
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"colour": "red", "reason": "", "expires_on": "2026-07-10"},
            "reason",
            "This field is required.",
        ),
        (
            {"colour": "red", "reason": "x", "expires_on": ""},
            "expires_on",
            "This field is required.",
        ),
        (
            {"colour": "red", "reason": "x", "expires_on": "2026-06-29"},
            "expires_on",
            "The expiry date has passed.",
        ),
        (
            {"colour": "red", "reason": "x", "expires_on": "2027-06-30"},
            "expires_on",
            "An override lasts at most 180 days.",
        ),
        (
            {"colour": "grey", "reason": "x", "expires_on": "2026-07-10"},
            "colour",
            "Select a valid choice. grey is not one of the available choices.",
        ),
        # No colour is preselected: sending none is an error, not a green override.
        ({"reason": "x", "expires_on": "2026-07-10"}, "colour", "This field is required."),
    ],
)
def test_override_needs_a_colour_a_reason_and_a_future_expiry(
    client, csm, account, data, field, message
):
    client.force_login(csm)
    html = refused(client, f"/accounts/{account.pk}/override/", data)
    assert field_errors(html, f"override_{field}") == [message]
    assert not ColourOverride.objects.exists()
    assert 'id="override"' not in html
    assert 'id="override-action" open' in html


def test_a_refused_override_keeps_the_colour_and_the_date(client, csm, account):
    """An override without a reason used to come back green with the date cleared."""
    client.force_login(csm)
    html = refused(
        client,
        f"/accounts/{account.pk}/override/",
        {"colour": "red", "reason": "", "expires_on": "2026-07-10"},
    )
    form = section(html, "override-form")
    assert '<option value="red" selected>' in form
    assert 'value="2026-07-10"' in form
    assert field_errors(html, "override_reason") == ["This field is required."]


def test_sentiment_and_override_have_no_colour_chosen_at_first(client, csm, account):
    client.force_login(csm)
    html = page(client, account)
    for form in ("sentiment-form", "override-form"):
        selected = re.findall(r'<option value="([^"]*)" selected>', section(html, form))
        assert selected == [""]  # "Choose…", which the form refuses


def test_override_is_shown_as_such_on_the_page_and_the_book(client, csm, account):
    client.force_login(csm)
    response = set_override(client, account)
    until = date_format(date(2026, 7, 10), "DATE_FORMAT")
    assert messages(response) == [f"Colour overridden until {until}."]
    saved = ColourOverride.objects.get()
    assert (saved.colour, saved.reason, saved.created_by, saved.created_on, saved.expires_on) == (
        "red",
        "Champion left",
        csm,
        TODAY,
        date(2026, 7, 10),
    )
    html = response.content.decode()
    notice = section(html, "override")
    assert "Colour set by hand to red" in notice
    assert "Champion left" in notice
    assert f"until {until}" in notice
    assert "The computed colour is green." in notice
    assert "badge-red" in section(html, "score-box")
    assert "overridden" in section(html, "score-box")
    row = listed_rows(client.get("/accounts/"))["Acme Corp"]
    assert "badge-red" in row and "overridden" in row
    assert [
        n
        for n, _ in client.get("/accounts/", {"colour": "red"})
        .context["page"]
        .paginator.object_list.values_list("name", "colour")
    ] == ["Acme Corp"]


def test_expiry_today_is_allowed(client, csm, account):
    client.force_login(csm)
    set_override(client, account, days=0)
    assert ColourOverride.objects.get().expires_on == TODAY


def test_new_override_replaces_the_old_which_is_kept_as_cleared(client, csm, account):
    client.force_login(csm)
    set_override(client, account, colour="red", reason="Champion left")
    response = set_override(client, account, colour="yellow", reason="New champion found")
    old, new = ColourOverride.objects.order_by("pk")
    assert (old.colour, old.cleared_on) == ("red", TODAY)
    assert (new.colour, new.cleared_on) == ("yellow", None)
    notice = section(response.content.decode(), "override")
    assert "New champion found" in notice and "Champion left" not in notice
    assert "badge-yellow" in listed_rows(client.get("/accounts/"))["Acme Corp"]


def test_override_ends_after_its_expiry_date(client, csm, account):
    client.force_login(csm)
    set_override(client, account, days=3)
    with time_machine.travel(datetime(2026, 7, 3, 12, tzinfo=UTC), tick=False):
        assert "badge-red" in listed_rows(client.get("/accounts/"))["Acme Corp"]  # last day
    with time_machine.travel(datetime(2026, 7, 4, 12, tzinfo=UTC), tick=False):
        current_health_refresh()  # the nightly run starts with this: the override has expired
        row = listed_rows(client.get("/accounts/"))["Acme Corp"]
        assert "badge-green" in row and "overridden" not in row
        html = page(client, account)
        assert 'id="override"' not in html
        assert "badge-green" in section(html, "score-box")
    # Expired, not deleted: the history of overrides is kept.
    assert ColourOverride.objects.get().cleared_on is None


def test_override_can_be_removed_by_hand(client, csm, account):
    client.force_login(csm)
    set_override(client, account)
    response = post(client, f"/accounts/{account.pk}/override/remove/", {})
    assert messages(response) == ["Override removed; the computed colour applies again."]
    assert ColourOverride.objects.get().cleared_on == TODAY
    html = response.content.decode()
    assert 'id="override"' not in html
    assert "badge-green" in section(html, "score-box")
    assert "overridden" not in listed_rows(client.get("/accounts/"))["Acme Corp"]


# --- reassign ---------------------------------------------------------------------------------


@pytest.fixture
def with_tasks(account):
    return {
        "open": open_task(account, TaskReason.TURNED_RED),
        "snoozed": open_task(
            account, TaskReason.DETRACTOR, status="snoozed", snoozed_until=TODAY + timedelta(days=2)
        ),
        "done": open_task(account, TaskReason.SCORE_DROP, status="done", closed_on=TODAY),
    }


def test_manager_reassigns_the_account_with_its_open_tasks(
    client, manager, csm, riley, account, with_tasks
):
    client.force_login(manager)
    response = post(client, f"/accounts/{account.pk}/reassign/", {"owner": riley.pk})
    assert messages(response) == ["Acme Corp now belongs to riley."]
    account.refresh_from_db()
    assert account.owner == riley
    assignees = {k: Task.objects.get(pk=t.pk).assignee for k, t in with_tasks.items()}
    assert assignees == {"open": riley, "snoozed": riley, "done": csm}
    # The books follow: Riley has it, Casey no longer sees it.
    client.force_login(riley)
    assert "Acme Corp" in listed_rows(client.get("/accounts/"))
    client.force_login(csm)
    assert client.get(f"/accounts/{account.pk}/").status_code == 404


def test_csm_may_not_reassign(client, csm, riley, account, theirs, with_tasks):
    client.force_login(csm)
    assert client.post(f"/accounts/{account.pk}/reassign/", {"owner": riley.pk}).status_code == 403
    assert client.post(f"/accounts/{theirs.pk}/reassign/", {"owner": csm.pk}).status_code == 403
    account.refresh_from_db()
    theirs.refresh_from_db()
    assert (account.owner, theirs.owner) == (csm, riley)
    assert Task.objects.get(pk=with_tasks["open"].pk).assignee == csm


@pytest.mark.parametrize("owner", ["manager", "nobody", "inactive"])
def test_reassign_only_to_an_active_csm(client, manager, csm, account, owner):
    target = {
        "manager": lambda: manager.pk,
        "nobody": lambda: 999999,
        "inactive": lambda: UserFactory(role=Role.CSM, is_active=False).pk,
    }[owner]()
    client.force_login(manager)
    html = refused(client, f"/accounts/{account.pk}/reassign/", {"owner": target})
    assert field_errors(html, "reassign_owner") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    account.refresh_from_db()
    assert account.owner == csm


# --- tasks ------------------------------------------------------------------------------------


def test_completing_a_task_records_the_outcome(client, csm, account, with_tasks):
    task = with_tasks["open"]
    client.force_login(csm)
    response = post(client, f"/tasks/{task.pk}/done/", {"outcome": "Called, fixed billing"})
    assert response.redirect_chain == [(f"/accounts/{account.pk}/", 302)]
    assert messages(response) == ["Task completed."]
    task.refresh_from_db()
    assert (task.status, task.outcome, task.closed_on) == ("done", "Called, fixed billing", TODAY)
    done = f"Done {date_format(TODAY, 'SHORT_DATE_FORMAT')}: Called, fixed billing"
    assert done in section(response.content.decode(), "tasks")


def test_completing_a_task_needs_an_outcome(client, csm, account, with_tasks):
    task = with_tasks["open"]
    client.force_login(csm)
    response = post(client, f"/tasks/{task.pk}/done/", {"outcome": ""})
    assert messages(response) == ["Outcome: This field is required."]
    task.refresh_from_db()
    assert task.status == "open"


def test_snoozing_a_task(client, csm, account, with_tasks):
    task = with_tasks["open"]
    client.force_login(csm)
    response = post(client, f"/tasks/{task.pk}/snooze/", {"until": "2026-07-07"})
    assert messages(response) == ["Task snoozed until 7 July 2026."]  # prose: DATE_FORMAT
    task.refresh_from_db()
    assert (task.status, task.snoozed_until) == ("snoozed", date(2026, 7, 7))
    until = date_format(date(2026, 7, 7), "SHORT_DATE_FORMAT")
    assert f"Snoozed until {until}" in section(response.content.decode(), "tasks")


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("2026-06-30", "Until: Snooze to a day within the next 90 days."),  # today
        ("2026-06-01", "Until: Snooze to a day within the next 90 days."),
        ("2026-09-29", "Until: Snooze to a day within the next 90 days."),  # 91 days
        ("soon", "Until: Enter a valid date."),
        ("", "Until: This field is required."),
    ],
)
def test_snooze_date_must_be_within_the_next_90_days(
    client, csm, account, with_tasks, until, message
):
    task = with_tasks["open"]
    client.force_login(csm)
    response = post(client, f"/tasks/{task.pk}/snooze/", {"until": until})
    assert messages(response) == [message]
    task.refresh_from_db()
    assert (task.status, task.snoozed_until) == ("open", None)


def test_snooze_for_90_days_is_allowed(client, csm, account, with_tasks):
    task = with_tasks["open"]
    client.force_login(csm)
    post(client, f"/tasks/{task.pk}/snooze/", {"until": "2026-09-28"})
    task.refresh_from_db()
    assert task.snoozed_until == date(2026, 9, 28)


# --- query count ------------------------------------------------------------------------------


def add_history(account, card, days: int) -> None:
    """`days` more daily snapshots before yesterday, and of each fact the page lists."""
    csm = account.owner
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(
            account=account,
            date=TODAY - timedelta(days=back),
            score=float(30 + back % 60),
            colour="yellow",
            coverage=1.0,
            scorecard=card,
            scorecard_version=1 + back // 30,
        )
        for back in range(2, days + 2)
    )
    for n in range(days // 5):
        day = TODAY - timedelta(days=n)
        UsageRecordFactory(account=account, date=day, metric=f"metric_{n % 7}")
        InvoiceFactory(account=account, issued_on=day - timedelta(days=30), due_on=day)
        TicketFactory(account=account, opened_at=datetime(2026, 6, 1, tzinfo=UTC))
        SurveyResponseFactory(account=account, responded_on=day)
        CheckIn.objects.create(account=account, date=day, note="n", author=csm)
        SentimentEntry.objects.update_or_create(
            account=account, recorded_on=day, defaults={"sentiment": "yellow", "author": csm}
        )
        SubscriptionLineFactory(account=account, product=f"Add-on {n}", start_date=day)
    open_task(account, TaskReason.TURNED_RED)
    open_task(account, TaskReason.DETRACTOR, status="done", closed_on=TODAY)
    ColourOverride.objects.create(
        account=account, colour="red", reason="r", expires_on=TODAY, created_on=TODAY
    )


@pytest.mark.parametrize(("accounts", "days"), [(10, 5), (200, 5), (10, 150), (200, 150)])
@pytest.mark.parametrize("role", ["csm", "manager"])
def test_account_page_query_count_grows_with_neither_the_book_nor_the_history(
    client,
    csm,
    manager,
    account,
    default_scorecard,
    django_assert_num_queries,
    accounts,
    days,
    role,
):
    build_book(accounts, [csm, UserFactory(role=Role.CSM)], default_scorecard)
    add_history(account, default_scorecard, days)
    client.force_login(csm if role == "csm" else manager)
    # (the session: from the cache, SESSION_ENGINE cached_db, not a query)
    # 2: the logged-in user
    # 3: the account, its owner joined, scoped to what the user may see
    # 4: the score history (180 days) for the chart
    # 5: the latest snapshot and the one before it (what changed), their scorecards joined
    #    and the published versions of both (labels, weights and signal order) beside them
    # 6: the latest subscription lines, a few more than shown: they hold the account's run of
    #    lines, whose first day usage is averaged from
    # 7: usage in the last 30 days, summed per metric
    # 8: the override in force, its author joined
    # 9-11: the latest invoices, tickets, survey answers
    # 12: the latest sentiment entries, authors joined
    # 13: the check-in log, authors joined
    # 14: the tasks, assignees joined
    # 15: the contacts, each with its latest survey answer
    # 16: the names of the usage metrics they hold
    # 17: (managers only) the CSMs a manager may reassign to
    # +3: the tag list (for the check-in form and the goals panel), the goals, the referrals
    #     (no tag list: no feedback)
    # (the timeline is loaded apart: tests/workspace/test_timeline.py counts its queries)
    with django_assert_num_queries(18 if role == "csm" else 19):
        html = page(client, account)
    # today, yesterday and the added days, within the chart's 180 days
    assert len(chart(html)["data"][0]["x"]) == min(days + 2, 180)


def test_no_two_elements_of_the_account_page_share_an_id(client, csm, account):
    from collections import Counter

    client.force_login(csm)
    html = client.get(f"/accounts/{account.pk}/").content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    assert 'for="sentiment_note"' in html  # the sentiment note's label reaches its own box


def test_people_are_named_by_full_name_on_the_account_page(client, manager, account):
    from accounts.models import Role
    from tests.factories import UserFactory

    UserFactory(username="dsmith", first_name="Dana", last_name="Smith", role=Role.CSM)
    client.force_login(manager)
    html = client.get(f"/accounts/{account.pk}/").content.decode()
    start = html.index('id="reassign-form"')
    reassign = html[start : html.index("</form>", start)]
    assert ">Dana Smith</option>" in reassign
    assert ">dsmith</option>" not in reassign


# --- a grey account ---------------------------------------------------------------------------


def grey_scorecard(signals):
    """The default scorecard with only these (key, weight) signals, as a version of its own."""
    card = Scorecard.objects.get(is_default=True)
    card.signals.all().delete()
    for key, weight in signals:
        SignalDefinition.objects.create(
            scorecard=card, key=key, label=key.title(), source="sentiment", method="threshold",
            poor=0, good=100, weight=weight,
        )  # fmt: skip
    card.bump_version()  # not recorded: read as the live configuration
    return card


def test_a_grey_account_says_which_data_is_missing_and_which_would_score_it(
    client, csm, default_scorecard
):
    from tests.workspace.test_book import snap

    account = customer(csm, name="Sparse")
    card = grey_scorecard([("invoices", 20), ("usage", 50), ("nps", 30), ("age", 10), ("email", 5)])
    not_measured = {"email": State.NOT_MEASURED}
    parts = snapshot_parts(
        card,
        {"invoices": 100, "usage": None, "nps": None, "age": State.NEW, **not_measured},
    )
    snap(account, None, colour="grey", coverage=0.2, parts=parts)
    client.force_login(csm)
    html = page(client, account)
    reasons = section(html, "grey-reasons")
    assert "Only 20% of the scorecard's weight has data for this account" in reasons
    assert "it needs 50% to be scored" in reasons
    missing = section(html, "missing-data")
    assert missing.index("Usage") < missing.index("Nps")  # the heaviest first
    assert "50% of the weight" in missing and "30% of the weight" in missing
    assert "Email" not in missing and "Age" not in missing
    # Usage alone (20% + 50%) reaches the 50% the scorecard needs.
    assert "Data for Usage would bring it to 70% and score it." in section(html, "would-score")
    assert "Too new to judge (left out for this account): Age." in reasons
    assert "–<span>/100</span>" in section(html, "score-box")


def test_the_score_chart_is_what_plotly_itself_would_build():
    """The chart is written as a plain dict for speed; plotly's own Figure must take it as it
    is (it refuses unknown keys and bad values) and give back the same JSON."""
    import json
    from datetime import date, timedelta

    import plotly.graph_objects as go

    from scoring.maths import Bands
    from workspace.charts import score_history

    points = [
        (date(2026, 1, 1) + timedelta(days=n), None if n % 7 else 40.0 + n % 50) for n in range(90)
    ]
    figure = score_history(points, bands=Bands(), version_changes=[(date(2026, 2, 1), 2)])

    def without_empty(value):  # plotly drops an empty title ({}) when it reads a figure
        if isinstance(value, dict):
            return {k: without_empty(v) for k, v in value.items() if v != {}}
        return [without_empty(v) for v in value] if isinstance(value, list) else value

    ours = without_empty(json.loads(json.dumps(figure)))
    assert without_empty(json.loads(go.Figure(figure).to_json())) == ours
    assert len(figure["layout"]["shapes"]) == 4  # three bands and the version's mark


def test_the_chart_s_script_is_what_json_script_writes():
    from datetime import date

    from django.utils.html import json_script

    from workspace.templatetags.health import chart_script

    value = {"name": "</script><b>A & B</b>", "x": [date(2026, 1, 2)], "y": [1.5, None]}
    assert chart_script(value, "score-chart-data") == json_script(value, "score-chart-data")


@pytest.mark.parametrize("read", [100, 2], ids=["run among the lines read", "run read apart"])
def test_usage_is_a_day_average_over_the_account_s_current_run_of_lines(
    client, csm, default_scorecard, monkeypatch, read
):
    monkeypatch.setattr(account_page, "LINES_READ", read)
    account = AccountFactory(owner=csm)
    days = timedelta(days=1)
    SubscriptionLineFactory(
        account=account, start_date=TODAY - 200 * days, end_date=TODAY - 99 * days
    )
    SubscriptionLineFactory(account=account, start_date=TODAY - 9 * days)  # back 10 days ago
    SubscriptionLineFactory(account=account, start_date=TODAY + 30 * days, product="Later")
    for n in range(10):
        UsageRecordFactory(account=account, date=TODAY - n * days, metric="logins", value=30)
    client.force_login(csm)

    html = page(client, account)

    usage = html.split('id="usage-table"')[1].split("</table>")[0]
    assert '<td>logins</td><td class="num">30</td><td class="num">10</td>' in usage
    assert "Later" in html.split('id="subscription-table"')[1].split("</table>")[0]
