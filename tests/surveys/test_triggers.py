"""When surveys go out: periodic NPS, CSAT after a resolved ticket, onboarding after a new
account's first subscription, the exit survey after a churn — each once, however often the
hourly run repeats — and the beat entry and Celery task that run them."""

import importlib
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from surveys.models import SurveySend
from tests.factories import AccountFactory, ContactFactory, SubscriptionLineFactory, TicketFactory
from tests.surveys.conftest import NOW
from workspace.survey_triggers import (
    csat_after_tickets,
    exit_after_churn,
    onboarding_after_first_subscription,
    periodic_nps,
    surveys_send_due,
)
from workspace.tasks import send_due_surveys

TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _settings(settings, default_surveys):
    settings.HEALTHSCORE_SURVEY_QUIET_DAYS = 30
    settings.HEALTHSCORE_NPS_INTERVAL_DAYS = 90
    settings.HEALTHSCORE_SURVEY_LOOKBACK_DAYS = 7
    settings.HEALTHSCORE_SURVEY_MAX_PER_RUN = 500


@pytest.fixture
def no_quiet_period(settings):
    """Re-runs must send nothing twice by the trigger's own rule, not thanks to the quiet
    period; switching it off shows that."""
    settings.HEALTHSCORE_SURVEY_QUIET_DAYS = 0


def customer(name, *, since=date(2026, 1, 1), until=None, **fields):
    account = AccountFactory(name=name, **fields)
    SubscriptionLineFactory(account=account, start_date=since, end_date=until, mrr=Decimal(900))
    return account


def sends(**filters) -> list[tuple[str, str, str]]:
    """(contact e-mail, survey kind, ticket) of every send, in order."""
    return list(
        SurveySend.objects.filter(**filters)
        .order_by("pk")
        .values_list("contact__email", "survey__kind", "ticket_ref")
    )


def at(hours_ago: float) -> datetime:
    return NOW - timedelta(hours=hours_ago)


# --- periodic NPS -----------------------------------------------------------------------------


def test_periodic_nps_goes_to_every_active_contact_of_every_active_account(mailoutbox):
    active = customer("Active")
    ContactFactory(account=active, email="a1@active.example")
    ContactFactory(account=active, email="a2@active.example")
    ContactFactory(account=active, email="gone@active.example", active=False)
    churned = customer("Churned", until=date(2026, 3, 1))
    ContactFactory(account=churned, email="c@churned.example")
    by_hand = customer("Churned by hand", churned_on=date(2026, 6, 1))
    ContactFactory(account=by_hand, email="h@byhand.example")

    assert periodic_nps(now=NOW) == 2

    assert sends() == [
        ("a1@active.example", "periodic", ""),
        ("a2@active.example", "periodic", ""),
    ]
    assert sorted(m.to[0] for m in mailoutbox) == ["a1@active.example", "a2@active.example"]


def test_rerunning_periodic_nps_sends_nothing_twice(no_quiet_period, mailoutbox):
    ContactFactory(account=customer("Active"))
    assert periodic_nps(now=NOW) == 1

    assert periodic_nps(now=NOW) == 0
    assert periodic_nps(now=NOW + timedelta(days=89)) == 0
    assert len(mailoutbox) == 1


def test_periodic_nps_comes_round_again_after_the_interval(settings, mailoutbox):
    settings.HEALTHSCORE_NPS_INTERVAL_DAYS = 60
    ContactFactory(account=customer("Active"))
    periodic_nps(now=NOW)

    assert periodic_nps(now=NOW + timedelta(days=59)) == 0
    assert periodic_nps(now=NOW + timedelta(days=60)) == 1


def test_periodic_nps_waits_for_the_quiet_period_after_another_survey(mailoutbox):
    account = customer("Active")
    ContactFactory(account=account)
    TicketFactory(account=account, opened_at=at(30), resolved_at=at(2))
    assert csat_after_tickets(now=NOW) == 1

    assert periodic_nps(now=NOW + timedelta(days=29)) == 0
    assert periodic_nps(now=NOW + timedelta(days=30)) == 1


def test_periodic_nps_sends_at_most_the_configured_number_per_run(settings, mailoutbox):
    settings.HEALTHSCORE_SURVEY_MAX_PER_RUN = 2
    account = customer("Big")
    ContactFactory.create_batch(3, account=account)

    assert periodic_nps(now=NOW) == 2
    assert periodic_nps(now=NOW + timedelta(hours=1)) == 1


def test_a_kind_switched_off_in_the_admin_is_not_sent(default_surveys, mailoutbox):
    default_surveys["periodic"].active = False
    default_surveys["periodic"].save()
    ContactFactory(account=customer("Active"))

    assert periodic_nps(now=NOW) == 0


# --- CSAT after a resolved ticket -------------------------------------------------------------


def test_a_resolved_ticket_sends_csat_to_the_accounts_primary_contact(mailoutbox):
    account = customer("Helped")
    ContactFactory(account=account, email="first@helped.example")
    ContactFactory(account=account, email="primary@helped.example", is_primary=True)
    TicketFactory(account=account, ticket_id="HD-1", opened_at=at(30), resolved_at=at(2))

    assert csat_after_tickets(now=NOW) == 1

    assert sends() == [("primary@helped.example", "post_ticket", "HD-1")]
    assert "help you got from" in mailoutbox[0].body


def test_without_a_primary_contact_the_first_contact_gets_the_ticket_survey(mailoutbox):
    account = customer("Helped")
    ContactFactory(account=account, email="first@helped.example")
    ContactFactory(account=account, email="second@helped.example")
    TicketFactory(account=account, ticket_id="HD-1", opened_at=at(30), resolved_at=at(2))

    csat_after_tickets(now=NOW)

    assert sends() == [("first@helped.example", "post_ticket", "HD-1")]


def test_rerunning_the_ticket_trigger_sends_nothing_twice(no_quiet_period, mailoutbox):
    account = customer("Helped")
    ContactFactory(account=account)
    TicketFactory(account=account, ticket_id="HD-1", opened_at=at(30), resolved_at=at(2))
    assert csat_after_tickets(now=NOW) == 1

    assert csat_after_tickets(now=NOW) == 0
    assert csat_after_tickets(now=NOW + timedelta(days=1)) == 0
    assert len(mailoutbox) == 1


def test_open_tickets_and_tickets_resolved_before_the_look_back_are_not_surveyed(mailoutbox):
    account = customer("Helped")
    ContactFactory(account=account)
    TicketFactory(account=account, opened_at=at(30))  # still open
    TicketFactory(account=account, opened_at=at(24 * 30), resolved_at=at(24 * 7 + 1))

    assert csat_after_tickets(now=NOW) == 0


def test_a_ticket_resolved_within_the_look_back_is_surveyed(mailoutbox):
    account = customer("Helped")
    ContactFactory(account=account)
    TicketFactory(account=account, opened_at=at(24 * 30), resolved_at=at(24 * 7 - 1))

    assert csat_after_tickets(now=NOW) == 1


def test_several_tickets_resolved_together_bring_one_survey(mailoutbox):
    account = customer("Helped")
    ContactFactory(account=account)
    for n in range(3):
        TicketFactory(account=account, opened_at=at(30), resolved_at=at(3 - n))

    assert csat_after_tickets(now=NOW) == 1
    assert len(mailoutbox) == 1


# --- onboarding after a new account's first subscription ------------------------------------


def test_a_new_accounts_first_subscription_sends_onboarding_to_its_contacts(mailoutbox):
    new = customer("New", since=TODAY - timedelta(days=2))
    ContactFactory(account=new, email="a@new.example")
    ContactFactory(account=new, email="b@new.example")

    assert onboarding_after_first_subscription(now=NOW) == 2

    assert sends() == [("a@new.example", "onboarding", ""), ("b@new.example", "onboarding", "")]


def test_a_new_line_on_an_old_account_is_not_an_onboarding(mailoutbox):
    old = customer("Old", since=date(2025, 1, 1))
    SubscriptionLineFactory(account=old, product="Add-on", start_date=TODAY - timedelta(days=1))
    ContactFactory(account=old)

    assert onboarding_after_first_subscription(now=NOW) == 0


def test_a_subscription_starting_tomorrow_waits(mailoutbox):
    ContactFactory(account=customer("Soon", since=TODAY + timedelta(days=1)))
    assert onboarding_after_first_subscription(now=NOW) == 0


def test_rerunning_onboarding_sends_nothing_twice_but_reaches_a_contact_added_later(
    no_quiet_period, mailoutbox
):
    new = customer("New", since=TODAY - timedelta(days=2))
    ContactFactory(account=new, email="a@new.example")
    assert onboarding_after_first_subscription(now=NOW) == 1
    assert onboarding_after_first_subscription(now=NOW) == 0

    ContactFactory(account=new, email="late@new.example")
    assert onboarding_after_first_subscription(now=NOW + timedelta(days=1)) == 1
    assert sends(contact__email="late@new.example") == [("late@new.example", "onboarding", "")]


# --- the exit survey after a churn ----------------------------------------------------------


def test_an_account_whose_last_line_ended_gets_the_exit_survey(mailoutbox):
    gone = customer("Gone", until=TODAY - timedelta(days=1))
    ContactFactory(account=gone, email="cfo@gone.example")
    staying = customer("Staying")
    ContactFactory(account=staying, email="cfo@staying.example")

    assert exit_after_churn(now=NOW) == 1

    assert sends() == [("cfo@gone.example", "exit", "")]


def test_a_renewal_is_not_a_churn(mailoutbox):
    renewed = customer("Renewed", until=TODAY - timedelta(days=1))
    SubscriptionLineFactory(account=renewed, start_date=TODAY - timedelta(days=1))
    ContactFactory(account=renewed)

    assert exit_after_churn(now=NOW) == 0


def test_a_churn_recorded_by_hand_sends_the_exit_survey(mailoutbox):
    leaving = customer("Leaving", churned_on=TODAY - timedelta(days=3))
    ContactFactory(account=leaving)

    assert exit_after_churn(now=NOW) == 1


def test_a_line_ending_later_or_a_churn_long_ago_sends_no_exit_survey(mailoutbox):
    ContactFactory(account=customer("Ends next month", until=TODAY + timedelta(days=30)))
    ContactFactory(account=customer("Left in March", until=date(2026, 3, 1)))

    assert exit_after_churn(now=NOW) == 0


def test_rerunning_the_exit_trigger_sends_nothing_twice(no_quiet_period, mailoutbox):
    gone = customer("Gone", until=TODAY - timedelta(days=1))
    ContactFactory(account=gone)
    assert exit_after_churn(now=NOW) == 1

    assert exit_after_churn(now=NOW) == 0
    assert exit_after_churn(now=NOW + timedelta(days=3)) == 0
    assert len(mailoutbox) == 1


# --- the hourly run -------------------------------------------------------------------------


def test_one_run_sends_a_contact_one_survey_even_when_several_are_due(mailoutbox):
    new = customer("New and already helped", since=TODAY - timedelta(days=2))
    ContactFactory(account=new, email="dana@new.example")
    TicketFactory(account=new, ticket_id="HD-9", opened_at=at(30), resolved_at=at(1))

    counts = surveys_send_due(now=NOW)

    assert counts == {"exit": 0, "post_ticket": 1, "onboarding": 0, "periodic": 0}
    assert sends() == [("dana@new.example", "post_ticket", "HD-9")]


def test_the_celery_task_runs_every_trigger_and_a_second_run_sends_nothing(mailoutbox):
    ContactFactory(account=customer("Active"))
    ContactFactory(account=customer("Gone", until=TODAY - timedelta(days=1)))
    ContactFactory(account=customer("New", since=TODAY - timedelta(days=1)))

    first = send_due_surveys.delay(NOW.isoformat()).get()
    second = send_due_surveys.delay(NOW.isoformat()).get()

    # The new account's contact had the onboarding survey: the quiet period keeps NPS away.
    assert first == {"exit": 1, "post_ticket": 0, "onboarding": 1, "periodic": 1}
    assert second == {"exit": 0, "post_ticket": 0, "onboarding": 0, "periodic": 0}
    assert len(mailoutbox) == 3


def test_beat_runs_the_survey_task_every_hour(db):
    schedule = importlib.import_module("workspace.migrations.0002_schedules")
    PeriodicTask.objects.filter(name="Send due surveys").delete()  # made by the migration
    schedule.create_survey_schedule(apps, None)
    schedule.create_survey_schedule(apps, None)  # a second run adds nothing

    task = PeriodicTask.objects.get(name="Send due surveys")
    assert task.task == "workspace.tasks.send_due_surveys"
    assert (task.interval.every, task.interval.period) == (1, "hours")
    assert task.enabled and task.expire_seconds < 3600


def test_the_survey_task_is_registered_under_the_name_beat_uses():
    from healthscore.celery import app

    assert "workspace.tasks.send_due_surveys" in app.tasks
