from datetime import UTC, datetime
import time_machine
import pytest
from tests.factories import AccountFactory, SubscriptionLineFactory

@pytest.mark.parametrize("qs", ["sort=colour", "sort=-colour", "owner=%C2%B2", "renewal=%C2%B2", "q=%00", "owner=99999999999999999999999", "page=abc", "sort=tasks","sort=-renewal", "segment=%00", "colour=%00", "q=%00&format=csv"])
def test_explore(client, manager, default_scorecard, qs):
    with time_machine.travel(datetime(2026,6,30,12,tzinfo=UTC), tick=False):
        SubscriptionLineFactory(); SubscriptionLineFactory()
        client.force_login(manager)
        r = client.get("/accounts/?" + qs)
        assert r.status_code == 200

@pytest.mark.parametrize("qs", ["assignee=%C2%B2", "assignee=99999999999999999999999", "page=x"])
def test_tasks_assignee(client, manager, qs):
    client.force_login(manager)
    assert client.get("/tasks/?"+qs).status_code == 200
