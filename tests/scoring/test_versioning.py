"""Versioned scorecards: drafts, preview, publish, backfill and the audit trail."""

from datetime import date, timedelta

import pytest
import time_machine

from audit.models import AuditEntry
from scoring.backfills import backfill_run
from scoring.explanations import explained
from scoring.models import (
    BackfillJob,
    HealthSnapshot,
    JobStatus,
    Scorecard,
    ScorecardVersion,
    SignalDefinition,
)
from scoring.recompute import health_recompute
from scoring.versioning import (
    draft_create,
    draft_discard,
    draft_preview,
    draft_publish,
    version_record,
)
from tests.factories import SentimentEntryFactory
from tests.scoring.test_recompute import DAY, healthy_account


@pytest.fixture
def today():
    with time_machine.travel(DAY, tick=False):
        yield DAY


@pytest.fixture
def live(default_scorecard):
    version_record(default_scorecard)
    return default_scorecard


def snapshot(account):
    return HealthSnapshot.objects.get(account=account, date=DAY)


def make_sentiment_decisive(draft):
    """A draft that weighs only CSM sentiment (everything else at zero)."""
    SignalDefinition.objects.filter(scorecard=draft).exclude(key="sentiment").update(weight=0)


def test_a_draft_is_a_copy_and_never_scores_anyone(live, admin_user, today):
    account = healthy_account()
    draft = draft_create(scorecard=live, actor=admin_user)
    assert draft.draft_of == live
    assert sorted(draft.signals.values_list("key", "weight")) == sorted(
        live.signals.values_list("key", "weight")
    )
    assert draft_create(scorecard=live, actor=admin_user) == draft  # one draft at a time
    make_sentiment_decisive(draft)
    health_recompute(as_of=DAY)
    snap = snapshot(account)
    assert snap.scorecard_id == live.pk
    assert snap.scorecard_version == 1
    assert len(explained(snap).components) == 8


def test_a_draft_never_changes_live_snapshots_until_published(
    live, admin_user, today, django_capture_on_commit_callbacks
):
    account = healthy_account(usage=50)
    other = healthy_account(usage=50)
    SentimentEntryFactory(account=account, recorded_on=DAY, sentiment="red")
    health_recompute(as_of=DAY)
    before = snapshot(account)
    assert before.colour == "green"
    draft = draft_create(scorecard=live, actor=admin_user)
    make_sentiment_decisive(draft)
    health_recompute(as_of=DAY)
    assert snapshot(account).score == before.score

    with django_capture_on_commit_callbacks(execute=True):
        published = draft_publish(draft=draft, actor=admin_user)
    after = snapshot(account)
    assert published.version == 2
    assert after.scorecard_version == 2
    assert after.colour == "red"
    assert after.score == 0
    assert snapshot(other).scorecard_version == 2  # every account it covers was recomputed
    assert not Scorecard.objects.filter(draft_of=live).exists()
    assert list(
        ScorecardVersion.objects.filter(scorecard=live).values_list("version", flat=True)
    ) == [2, 1]


def test_publishing_records_every_changed_value_in_the_audit_trail(live, admin_user, today):
    draft = draft_create(scorecard=live, actor=admin_user)
    SignalDefinition.objects.filter(scorecard=draft, key="usage").update(weight=40)
    Scorecard.objects.filter(pk=draft.pk).update(green_min=75)
    draft.refresh_from_db()
    draft_publish(draft=draft, actor=admin_user)
    entry = AuditEntry.objects.get(action="published v2")
    assert entry.actor == admin_user
    assert entry.changes == {"green_min": [70.0, 75.0], "signal usage weight": [30.0, 40.0]}
    assert live.signals.get(key="usage").weight == 40


def test_discarding_a_draft_keeps_the_live_scorecard_and_says_what_was_dropped(live, admin_user):
    draft = draft_create(scorecard=live, actor=admin_user)
    SignalDefinition.objects.filter(scorecard=draft, key="nps").delete()
    draft_discard(draft=draft, actor=admin_user)
    assert live.signals.filter(key="nps").exists()
    entry = AuditEntry.objects.get(action="draft discarded")
    assert list(entry.changes) == ["signal nps"]


def test_preview_lists_accounts_that_would_change_colour_and_writes_nothing(
    live, admin_user, today
):
    unhappy = healthy_account(usage=50)
    healthy_account(usage=50)
    SentimentEntryFactory(account=unhappy, recorded_on=DAY, sentiment="red")
    health_recompute(as_of=DAY)
    rows_before = list(HealthSnapshot.objects.order_by("account_id", "date").values())
    draft = draft_create(scorecard=live, actor=admin_user)
    make_sentiment_decisive(draft)
    preview = draft_preview(draft=draft)
    assert preview.day == DAY
    assert preview.accounts == 2
    assert preview.live == {"green": 2}
    assert preview.draft == {"green": 1, "red": 1}
    [change] = preview.changes
    assert (change.account_id, change.old_colour, change.new_colour) == (unhappy.pk, "green", "red")
    assert change.new_score == 0
    assert list(HealthSnapshot.objects.order_by("account_id", "date").values()) == rows_before


def test_backfill_job_scores_each_day_and_resumes_where_it_stopped(live, admin_user):
    account = healthy_account()
    job = BackfillJob.objects.create(start=DAY - timedelta(days=4), end=DAY, days_done=2)
    backfill_run(job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.days_done == 5
    assert job.percent == 100
    days = sorted(HealthSnapshot.objects.filter(account=account).values_list("date", flat=True))
    assert days == [
        DAY - timedelta(days=2),
        DAY - timedelta(days=1),
        DAY,
    ]  # the first two were done


def test_backfill_task_marks_a_job_failed_with_the_reason(db):
    from scoring.tasks import backfill

    healthy_account()  # an account to score, but no scorecard at all: a real failure
    Scorecard.objects.all().delete()
    job = BackfillJob.objects.create(start=DAY, end=DAY)
    with pytest.raises(Scorecard.DoesNotExist):
        backfill.delay(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "DoesNotExist: No default scorecard: create one in the admin."


# --- the admin --------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def inline_data(card, **changes):
    """The POST data of the scorecard change form with its signal inline."""
    data = {
        "green_min": card.green_min,
        "yellow_min": card.yellow_min,
        "min_coverage": card.min_coverage,
    }
    signals = list(card.signals.order_by("pk"))
    prefix = "signals"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": len(signals),
            f"{prefix}-INITIAL_FORMS": len(signals),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
    )
    for i, s in enumerate(signals):
        for name in (
            "key",
            "label",
            "source",
            "metric",
            "method",
            "direction",
            "poor",
            "good",
            "window_days",
            "weight",
            "unit",
        ):
            value = getattr(s, name)
            data[f"{prefix}-{i}-{name}"] = "" if value is None else value
        for flag in ("critical", "enabled"):
            if getattr(s, flag):
                data[f"{prefix}-{i}-{flag}"] = "on"
        data[f"{prefix}-{i}-id"] = s.pk
        data[f"{prefix}-{i}-scorecard"] = card.pk
        if s.key in changes:
            data[f"{prefix}-{i}-weight"] = changes[s.key]
    return data


def test_a_live_scorecard_is_read_only_in_the_admin(admin_client, live):
    url = f"/admin/scoring/scorecard/{live.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Edit as draft" in page
    admin_client.post(url, inline_data(live, usage=99))
    assert live.signals.get(key="usage").weight == 30


def test_the_scorecard_admin_says_which_sources_the_book_lacks(admin_client, live, today):
    healthy_account()  # every source
    url = f"/admin/scoring/scorecard/{live.pk}/change/"
    assert 'id="missing-sources"' not in admin_client.get(url).content.decode()
    from signals.models import EmailMessage, SentimentEntry

    EmailMessage.objects.all().delete()
    SentimentEntry.objects.all().delete()
    page = admin_client.get(url).content.decode()
    assert page.count('id="missing-sources"') == 1
    assert "Not measured in this book yet: CSM sentiment, E-mail engagement." in page


def test_editing_a_weight_in_a_draft_is_audited_with_old_and_new_values(
    admin_client, live, admin_user
):
    response = admin_client.post(f"/admin/scoring/scorecard/{live.pk}/draft/")
    draft = Scorecard.objects.get(draft_of=live)
    assert response.url == f"/admin/scoring/scorecard/{draft.pk}/change/"
    response = admin_client.post(
        f"/admin/scoring/scorecard/{draft.pk}/change/", inline_data(draft, usage=35)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert draft.signals.get(key="usage").weight == 35
    assert live.signals.get(key="usage").weight == 30
    entry = AuditEntry.objects.get(action="changed draft signal")
    assert entry.changes == {"signal usage weight": [30.0, 35.0]}
    assert entry.actor == admin_user


def test_preview_and_publish_pages(admin_client, live, admin_user, today):
    unhappy = healthy_account(usage=50)
    healthy_account(usage=50)
    SentimentEntryFactory(account=unhappy, recorded_on=DAY, sentiment="red")
    health_recompute(as_of=DAY)
    draft = draft_create(scorecard=live, actor=admin_user)
    make_sentiment_decisive(draft)
    page = admin_client.get(f"/admin/scoring/scorecard/{draft.pk}/preview/").content.decode()
    assert "Accounts that would change colour (1)" in page
    assert unhappy.name in page
    assert admin_client.get(f"/admin/scoring/scorecard/{draft.pk}/publish/").status_code == 403
    response = admin_client.post(f"/admin/scoring/scorecard/{draft.pk}/publish/")
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.version == 2


def test_managers_and_csms_cannot_reach_the_scorecard_admin(client, manager, csm, live):
    for user in (manager, csm):
        client.force_login(user)
        response = client.get(f"/admin/scoring/scorecard/{live.pk}/change/")
        assert response.status_code == 302
        assert "/admin/login/" in response.url


def test_overrides_and_reassignments_leave_audit_entries(client, manager, csm, default_scorecard):
    account = healthy_account(owner=csm)
    client.force_login(manager)
    client.post(
        f"/accounts/{account.pk}/override/",
        {
            "colour": "red",
            "reason": "Champion left",
            "expires_on": date.today() + timedelta(days=30),
        },
    )
    other = type(csm).objects.create(username="sam", role="csm")
    client.post(f"/accounts/{account.pk}/reassign/", {"owner": other.pk})
    entries = {e.action: e for e in AuditEntry.objects.filter(object_id=str(account.pk))}
    assert entries["colour overridden"].changes["reason"] == [None, "Champion left"]
    assert entries["reassigned"].changes == {"owner": [str(csm), "sam"]}
    assert entries["reassigned"].actor == manager


def test_publishing_the_same_draft_twice_keeps_the_live_signals(live, admin_user):
    draft = draft_create(scorecard=live, actor=admin_user)
    stale = Scorecard.objects.get(pk=draft.pk)  # a second click holds its own copy
    draft_publish(draft=draft, actor=admin_user)
    again = draft_publish(draft=stale, actor=admin_user)
    assert again.version == 2
    assert again.signals.count() == 8


def test_a_backfill_past_its_time_slice_stops_and_resumes(live):
    import time

    healthy_account()
    job = BackfillJob.objects.create(start=DAY - timedelta(days=2), end=DAY)
    backfill_run(job, deadline=time.monotonic() - 1)  # already past: no day is done
    job.refresh_from_db()
    assert (job.status, job.days_done) == (JobStatus.RUNNING, 0)
    backfill_run(job)
    job.refresh_from_db()
    assert (job.status, job.days_done) == (JobStatus.DONE, 3)
