"""Survey fixtures: the default surveys, a fixed clock, and a reader for the sent e-mails."""

import re
from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+/s/([A-Za-z0-9_-]+)/")


@pytest.fixture
def default_surveys(db):
    """The four active surveys the data migration creates (rebuilt here: a transactional test
    elsewhere may have flushed them)."""
    from surveys.defaults import create_default_surveys
    from surveys.models import Survey

    create_default_surveys(Survey)
    return {s.kind: s for s in Survey.objects.filter(active=True)}


@pytest.fixture
def clock():
    """The wall clock stands at NOW (views and on-commit work read it)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def tokens_in(outbox) -> list[str]:
    """The token of the personal link in each sent e-mail, in order."""
    found = []
    for message in outbox:
        match = LINK.search(message.body)
        assert match, message.body
        found.append(match.group(1))
    return found
