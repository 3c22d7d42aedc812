"""CSV import of success goals and referrals, and of tags on tickets and NPS answers."""

from datetime import date

import pytest

from signals.models import Goal, Referral, Ticket
from surveys.models import SurveyResponse, Tag, TagKind
from tests.factories import AccountFactory
from tests.signals.test_import_csv import import_example, import_text


@pytest.fixture
def example_accounts(db):
    """The accounts the example files refer to."""
    for external_id in ("ACME-001", "GLOBEX-002", "INITECH-003"):
        AccountFactory(external_id=external_id, owner=None)


def goal_rows():
    return sorted(
        Goal.objects.values_list(
            "account__external_id", "kpi", "target", "reached", "set_on", "due_on", "status"
        )
    )


def test_example_goals_import_with_their_status(example_accounts):
    result = import_example("goals")

    assert result.ok, result.error_lines()
    assert (result.created, result.updated) == (4, 0)
    assert goal_rows() == [
        ("ACME-001", "Seats live", 200.0, 150.0, date(2026, 7, 1), date(2026, 12, 31), "on_track"),
        (
            "ACME-001",
            "Support tickets a month",
            10.0,
            14.0,
            date(2026, 7, 1),
            date(2026, 10, 31),
            "missed",
        ),
        (
            "GLOBEX-002",
            "Reports built by finance",
            25.0,
            25.0,
            date(2026, 6, 1),
            date(2026, 11, 30),
            "met",
        ),
        (
            "INITECH-003",
            "Users trained",
            10.0,
            3.0,
            date(2026, 9, 15),
            date(2026, 12, 15),
            "at_risk",
        ),
    ]


def test_goals_twice_change_nothing_and_a_new_value_updates_the_goal(example_accounts):
    import_example("goals")
    again = import_example("goals")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)

    result = import_text(
        "goals", "account,kpi,target,reached,due_on\nACME-001,Seats live,200,190,2026-12-31\n"
    )

    assert result.ok, result.error_lines()
    assert (result.created, result.updated) == (0, 1)
    goal = Goal.objects.get(kpi="Seats live")
    # Columns left out of the file stay as they were.
    assert (goal.reached, goal.status, goal.set_on) == (190.0, "on_track", date(2026, 7, 1))


def test_a_goal_without_status_is_on_track_and_a_negative_target_is_allowed(example_accounts):
    result = import_text(
        "goals", "account,kpi,target,due_on\nACME-001,Churned seats (change),-5,2026-12-31\n"
    )

    assert result.ok, result.error_lines()
    goal = Goal.objects.get()
    assert (goal.target, goal.status, goal.reached, goal.set_on) == (-5.0, "on_track", None, None)


def test_bad_goal_rows_are_reported_by_line_and_column_and_nothing_is_written(example_accounts):
    result = import_text(
        "goals",
        "account,kpi,target,reached,set_on,due_on,status\n"
        "ACME-001,Seats live,200,,2026-07-01,2026-12-31,on_track\n"
        "ACME-001,Seats live,abc,,2026-07-01,2026-06-30,done\n"
        "ACME-001,Users trained,10,,2026-07-01,2026-06-30,\n"
        "NOPE-9,Users trained,10,,,2026-06-30,\n"
        "ACME-001,,10,,,2026-06-30,\n",
        source="goals.csv",
    )

    assert result.error_lines() == [
        "goals.csv:3: target: 'abc' is not a number",
        "goals.csv:3: status: 'done' is not one of: on_track, at_risk, met, missed",
        "goals.csv:4: due_on: must be on or after set_on",
        "goals.csv:5: account: unknown account 'NOPE-9'",
        "goals.csv:6: kpi: is required",
    ]
    assert not Goal.objects.exists()


def test_referrals_import_keyed_on_account_and_company(example_accounts):
    assert import_example("referrals").ok

    result = import_text(
        "referrals",
        "account,referred_on,referred_company,outcome\n"
        "ACME-001,2026-11-03,Stark Industries,won\n"  # the lead was won
        "INITECH-003,2026-11-20,Hooli,\n",
    )

    assert result.ok, result.error_lines()
    assert (result.created, result.updated) == (1, 1)
    assert sorted(
        Referral.objects.values_list("account__external_id", "referred_company", "outcome")
    ) == [
        ("ACME-001", "Stark Industries", "won"),
        ("ACME-001", "Umbrella Corp", "won"),
        ("GLOBEX-002", "Soylent", "lost"),
        ("INITECH-003", "Hooli", "lead"),
    ]


def test_a_bad_referral_outcome_is_refused(example_accounts):
    result = import_text(
        "referrals",
        "account,referred_on,referred_company,outcome\nACME-001,2026-11-03,Stark,maybe\n",
        source="r.csv",
    )

    assert result.error_lines() == ["r.csv:2: outcome: 'maybe' is not one of: lead, won, lost"]
    assert not Referral.objects.exists()


# ---------------------------------------------------------------- tags


@pytest.fixture
def tags(db):
    return {
        name: Tag.objects.create(name=name, kind=kind, released_on=released)
        for name, kind, released in [
            ("Billing", TagKind.PRODUCT_AREA, None),
            ("v2.4", TagKind.RELEASE, date(2026, 10, 1)),
            ("Future plans", TagKind.FUTURE_PLANS, None),
        ]
    }


TICKETS = "account,ticket_id,opened_at,tags\n"


def ticket_tags() -> dict[str, list[str]]:
    return {
        t.ticket_id: sorted(tag.name for tag in t.tags.all())
        for t in Ticket.objects.prefetch_related("tags")
    }


def test_ticket_tags_are_matched_in_any_case_separated_by_semicolons_or_pipes(
    example_accounts, tags
):
    result = import_text(
        "tickets",
        TICKETS + "ACME-001,T-1,2026-10-02T09:00:00Z,billing; V2.4\n"
        "ACME-001,T-2,2026-10-03T09:00:00Z,Future plans|billing|Billing\n"
        "ACME-001,T-3,2026-10-04T09:00:00Z,\n",
    )

    assert result.ok, result.error_lines()
    assert ticket_tags() == {
        "T-1": ["Billing", "v2.4"],
        "T-2": ["Billing", "Future plans"],
        "T-3": [],
    }


def test_an_unknown_tag_refuses_its_row_naming_the_tag(example_accounts, tags):
    result = import_text(
        "tickets",
        TICKETS + "ACME-001,T-1,2026-10-02T09:00:00Z,billing\n"
        "ACME-001,T-2,2026-10-03T09:00:00Z,billing;Biling;SSO\n",
        source="t.csv",
    )

    assert result.error_lines() == [
        "t.csv:3: tags: unknown tag 'Biling'; an admin adds it under Tags",
        "t.csv:3: tags: unknown tag 'SSO'; an admin adds it under Tags",
    ]
    assert not Ticket.objects.exists()


def test_skip_invalid_writes_the_rows_with_known_tags_only(example_accounts, tags):
    result = import_text(
        "tickets",
        TICKETS + "ACME-001,T-1,2026-10-02T09:00:00Z,Biling\n"
        "ACME-001,T-2,2026-10-03T09:00:00Z,billing\n"
        "NOPE,T-3,2026-10-03T09:00:00Z,billing\n",
        source="t.csv",
        skip_invalid=True,
    )

    assert result.error_lines() == [
        "t.csv:2: tags: unknown tag 'Biling'; an admin adds it under Tags",
        "t.csv:4: account: unknown account 'NOPE'",
    ]
    assert ticket_tags() == {"T-2": ["Billing"]}


def test_tags_are_replaced_on_reimport_an_empty_cell_clears_them_and_no_column_keeps_them(
    example_accounts, tags
):
    first = TICKETS + "ACME-001,T-1,2026-10-02T09:00:00Z,billing;v2.4\n"
    assert import_text("tickets", first).ok
    again = import_text("tickets", first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)

    changed = import_text("tickets", TICKETS + "ACME-001,T-1,2026-10-02T09:00:00Z,future plans\n")
    assert (changed.created, changed.updated) == (0, 1)  # only its tags changed
    assert ticket_tags() == {"T-1": ["Future plans"]}

    assert import_text(
        "tickets", "account,ticket_id,opened_at\nACME-001,T-1,2026-10-02T09:00:00Z\n"
    ).ok
    assert ticket_tags() == {"T-1": ["Future plans"]}

    assert import_text("tickets", TICKETS + "ACME-001,T-1,2026-10-02T09:00:00Z,\n").ok
    assert ticket_tags() == {"T-1": []}


def test_nps_answers_carry_tags(example_accounts, tags):
    result = import_text(
        "nps",
        "account,respondent,responded_on,score,comment,tags\n"
        "ACME-001,cto@acme.example,2026-10-15,3,Export broke after the update,v2.4\n"
        "ACME-001,cfo@acme.example,2026-10-15,9,,\n",
    )

    assert result.ok, result.error_lines()
    answer = SurveyResponse.objects.get(score=3)
    assert [t.name for t in answer.tags.all()] == ["v2.4"]
    assert not SurveyResponse.objects.get(score=9).tags.exists()


def test_a_tag_name_over_64_characters_is_refused(example_accounts, tags):
    result = import_text(
        "tickets", TICKETS + f"ACME-001,T-1,2026-10-02T09:00:00Z,{'x' * 65}\n", source="t.csv"
    )

    assert result.error_lines() == [
        f"t.csv:2: tags: tag '{'x' * 64}…' is longer than 64 characters"
    ]
