"""Suggested weights: on a synthetic book where one usage metric that no signal measures drives
churn, the regression puts that metric first and judges better than the default weights on
later days than it was fitted on; an admin turns the suggestion into a new scorecard.

"Today" is frozen at 30 June 2026 noon UTC.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from scoring.maths import Bands
from scoring.models import HealthSnapshot, Scorecard
from scoring.quality import weighted_score
from scoring.recompute import load_scorecards, scorecard_for
from scoring.suggest import Feature, Observation, suggest_weights, time_split
from signals.models import UsageRecord
from tests.factories import snapshot_parts
from tests.reports.test_reports import TODAY, account, today  # noqa: F401

FIRST_DAY = date(2026, 1, 4)
DAYS = [FIRST_DAY + timedelta(days=7 * k) for k in range(22)]  # weekly to 31 May


def synthetic_book(card, *, n=150, seed=3):
    """Every default component is noise; churn follows `exports`, a usage metric the default
    scorecard does not measure by name. Accounts exporting little mostly churn, between
    February and late June; `logins` is noise too."""
    rng = random.Random(seed)
    weights = {s.key: s.weight for s in card.signals.all()}
    snapshots, usage = [], []
    for i in range(n):
        rate = rng.random()
        churns = rng.random() < (0.85 if rate < 0.3 else 0.06)
        churn_on = date(2026, 2, 1) + timedelta(days=rng.randint(0, 144)) if churns else None
        a = account(f"Synthetic {i}", (1000, date(2025, 6, 1), churn_on))
        for day in DAYS:
            if churn_on and day >= churn_on:
                break
            scores = {key: round(rng.uniform(10, 100), 1) for key in weights}
            score = round(weighted_score(scores, weights), 1)
            snapshots.append(
                HealthSnapshot(
                    account=a,
                    date=day,
                    score=score,
                    colour=Bands().colour(score).value,
                    coverage=1.0,
                    parts=snapshot_parts(card, scores),
                    mrr=Decimal(1000),
                    scorecard=card,
                    scorecard_version=card.version,
                )
            )
        day = date(2025, 12, 1)
        while day <= TODAY and (churn_on is None or day < churn_on):
            usage.append(
                UsageRecord(
                    account=a,
                    date=day,
                    metric="exports",
                    value=round(1 + rate * 70 * rng.uniform(0.8, 1.2)),
                )
            )
            usage.append(
                UsageRecord(account=a, date=day, metric="logins", value=rng.randint(1, 100))
            )
            day += timedelta(days=3)
    HealthSnapshot.objects.bulk_create(snapshots)
    UsageRecord.objects.bulk_create(usage)


@pytest.fixture
def book(db, default_scorecard):
    synthetic_book(default_scorecard)
    return default_scorecard


PERIOD = {"from": "2026-01", "to": "2026-05", "horizon": "30"}


def test_the_metric_that_drives_churn_comes_first_and_judges_better(client, manager, book):
    client.force_login(manager)
    response = client.get("/reports/score-quality/weights/", PERIOD)
    assert response.status_code == 200
    report = response.context["report"]
    s = report.suggestion
    assert s.ok, s.problem
    assert report.candidates == ["exports", "logins"]
    top = s.features[0]
    assert (top.feature.key, top.feature.candidate, top.feature.metric) == (
        "usage-exports",
        True,
        "exports",
    )
    assert top.suggested_weight > 50
    assert sum(r.suggested_weight for r in s.features) == pytest.approx(100, abs=0.5)
    # Fitted on the earlier days, judged on the later ones only.
    assert s.train_days[1] < s.test_days[0]
    assert s.churned_train >= 10 and s.churned_test >= 10
    # The default weights only see noise; the suggestion sees exports.
    assert s.auc_current == pytest.approx(0.5, abs=0.1)
    assert s.auc_suggested > 0.8
    assert s.auc_suggested > s.auc_current + 0.25
    html = response.content.decode()
    assert 'id="auc-suggested"' in html
    assert "Apply as a draft" not in html  # managers see the suggestion, admins apply it


def test_an_admin_turns_the_suggestion_into_a_draft_of_the_default(client, admin_user, book):
    client.force_login(admin_user)
    page = client.get("/reports/score-quality/weights/", PERIOD)
    suggestion = page.context["report"].suggestion
    assert "Apply as a draft" in page.content.decode()
    response = client.post("/reports/score-quality/weights/apply/", PERIOD)
    draft = Scorecard.objects.get(draft_of=book)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/scoring/scorecard/{draft.pk}/change/"
    assert not draft.is_default
    assert (draft.green_min, draft.yellow_min) == (book.green_min, book.yellow_min)
    weights = {s.key: s.weight for s in draft.signals.all()}
    assert weights == {
        r.feature.key: r.suggested_weight
        for r in suggestion.features
        if not r.feature.candidate or r.suggested_weight > 0
    }
    exports = draft.signals.get(key="usage-exports")
    assert (exports.source, exports.metric, exports.method, exports.window_days) == (
        "usage_volume",
        "exports",
        "percentile",
        30,
    )
    # Who applied what is in the audit trail.
    entry = AuditEntry.objects.get(action="suggested weights applied")
    assert entry.actor == admin_user
    assert entry.object_id == str(book.pk)
    assert entry.changes["signal usage weight"] == [30.0, weights["usage"]]
    assert entry.changes["signal usage-exports"][0] is None
    # Live scores are untouched until the draft is published.
    book.refresh_from_db()
    assert {s.key: s.weight for s in book.signals.all()}["usage"] == 30.0
    assert not book.signals.filter(key="usage-exports").exists()
    assert (
        scorecard_for({"segment": "smb", "lifecycle_stage": "adoption"}, load_scorecards()) == book
    )


def test_a_suggestion_never_overwrites_a_draft_in_progress(client, admin_user, book):
    client.force_login(admin_user)
    client.post("/reports/score-quality/weights/apply/", PERIOD)
    draft = Scorecard.objects.get(draft_of=book)
    draft.signals.filter(key="nps").update(weight=42.0)  # the admin edits the draft
    page = client.get("/reports/score-quality/weights/", PERIOD).content.decode()
    assert "already has an unpublished draft" in page
    assert "Apply as a draft" not in page
    response = client.post("/reports/score-quality/weights/apply/", PERIOD)
    assert response["Location"] == f"/admin/scoring/scorecard/{draft.pk}/change/"
    assert Scorecard.objects.filter(draft_of=book).count() == 1
    assert draft.signals.get(key="nps").weight == 42.0


def test_only_admins_apply_and_only_by_post(client, manager, admin_user, book):
    client.force_login(manager)
    assert client.post("/reports/score-quality/weights/apply/", PERIOD).status_code == 403
    client.force_login(admin_user)
    assert client.get("/reports/score-quality/weights/apply/", PERIOD).status_code == 405
    assert Scorecard.objects.count() == 1


def test_apply_needs_a_csrf_token(admin_user, book):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post("/reports/score-quality/weights/apply/", PERIOD).status_code == 403
    assert Scorecard.objects.count() == 1


def test_without_enough_churn_there_is_no_suggestion_and_nothing_to_apply(
    client, admin_user, default_scorecard
):
    client.force_login(admin_user)
    response = client.get("/reports/score-quality/weights/", PERIOD)
    assert "Not enough churn" in response.content.decode() or "Too few" in response.content.decode()
    response = client.post("/reports/score-quality/weights/apply/", PERIOD, follow=True)
    assert Scorecard.objects.count() == 1
    assert response.status_code == 200


# --- the pure fit -------------------------------------------------------------------------------


def test_time_split_keeps_the_later_third_for_judging():
    days = [date(2026, 1, d) for d in range(1, 10)]
    train, test = time_split(days)
    assert train == days[:6] and test == days[6:]
    assert time_split(days[:1]) == (days[:1], [])


def test_suggest_weights_on_a_two_feature_toy():
    rng = random.Random(1)
    observations = []
    for k in range(9):
        day = date(2026, 1, 1) + timedelta(days=7 * k)
        for i in range(60):
            signal = rng.uniform(0, 100)
            observations.append(
                Observation(
                    day=day,
                    account_id=i,
                    components={"good": signal, "noise": rng.uniform(0, 100)},
                    churned=signal < 25 and rng.random() < 0.9,
                )
            )
    features = [Feature("good", "Good", 10.0), Feature("noise", "Noise", 90.0)]
    result = suggest_weights(observations, features, horizon=30)
    assert result.ok
    assert result.weights["good"] > 80
    assert result.auc_suggested > result.auc_current


def test_a_candidate_for_which_more_means_churn_becomes_lower_is_better():
    """`errors` up means churn; so does `rigid` — but `rigid` is a signal of the scorecard
    with its direction set by an admin, so it gets 0 instead of being turned round."""
    rng = random.Random(2)
    observations = []
    for k in range(9):
        day = date(2026, 1, 1) + timedelta(days=7 * k)
        for i in range(80):
            errors = rng.uniform(0, 100)
            observations.append(
                Observation(
                    day=day,
                    account_id=i,
                    components={"errors": errors, "rigid": errors, "noise": rng.uniform(0, 100)},
                    churned=errors > 75 and rng.random() < 0.9,
                    baseline=rng.uniform(0, 100),  # counting activity knows nothing here
                )
            )
    features = [
        Feature("noise", "Noise", 50.0),
        Feature("rigid", "Rigid", 50.0),
        Feature("errors", "Usage: errors", 0.0, candidate=True, metric="errors"),
    ]
    result = suggest_weights(observations, features, horizon=30)
    by_key = {r.feature.key: r for r in result.features}
    assert by_key["errors"].lower_is_better
    assert by_key["errors"].suggested_weight > 50
    assert by_key["errors"].auc > 0.8  # its own AUC, read in the direction it was given
    assert not by_key["rigid"].lower_is_better
    assert by_key["rigid"].suggested_weight == 0
    assert result.flipped == {"errors"}
    assert result.auc_suggested > 0.8
    assert result.auc_baseline == pytest.approx(0.5, abs=0.1)


def test_applying_a_lower_is_better_candidate_makes_a_more_is_worse_signal(
    client, admin_user, book
):
    # Churners report many errors in the weeks before they leave.
    rng = random.Random(5)
    rows = []
    for a in {s.account for s in HealthSnapshot.objects.select_related("account")}:
        leaves = a.subscription_lines.filter(end_date__isnull=False).exists()
        day = date(2025, 12, 1)
        while day <= TODAY:
            value = rng.randint(30, 60) if leaves else rng.randint(0, 10)
            rows.append(UsageRecord(account=a, date=day, metric="errors", value=value))
            day += timedelta(days=3)
    UsageRecord.objects.bulk_create(rows)
    client.force_login(admin_user)
    report = client.get("/reports/score-quality/weights/", PERIOD).context["report"]
    errors = next(r for r in report.suggestion.features if r.feature.key == "usage-errors")
    assert errors.lower_is_better and errors.suggested_weight > 0
    assert report.suggestion.auc_baseline is not None
    client.post("/reports/score-quality/weights/apply/", PERIOD)
    signal = Scorecard.objects.get(draft_of=book).signals.get(key="usage-errors")
    assert (signal.direction, signal.method, signal.metric) == (
        "lower_better",
        "percentile",
        "errors",
    )
    assert signal.label == "Usage: errors (more is worse)"


def test_a_purged_split_needs_a_training_day_whose_horizon_closes_before_judging():
    from scoring.suggest import splittable

    weekly = [date(2026, 1, 1) + timedelta(days=7 * k) for k in range(9)]  # 1 Jan .. 26 Feb
    # The later third (12 .. 26 Feb) judges; with 30 days 1 Jan and 8 Jan close before 12 Feb.
    assert splittable(weekly, horizon=30)
    assert not splittable(weekly, horizon=90)
    assert not splittable(weekly[:1], horizon=30)


def test_without_a_chosen_horizon_the_page_takes_one_it_can_fit_and_judge(client, manager, book):
    client.force_login(manager)
    period = {k: v for k, v in PERIOD.items() if k != "horizon"}
    s = client.get("/reports/score-quality/weights/", period).context["report"].suggestion
    assert s.ok, s.problem
    # No churn it learnt from is judged on: the last fitted day's window closes in time.
    assert s.train_days[1] + timedelta(days=s.horizon) < s.test_days[0]
