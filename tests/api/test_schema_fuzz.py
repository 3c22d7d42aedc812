"""Schemathesis against the OpenAPI schema, through the Django WSGI app: for generated
requests (valid and invalid) to every operation, no 5xx, only documented status codes and
content types, and every response body matches its schema; every request the schema calls
invalid is refused, and every one it calls valid is accepted.

A schema-valid row can still be refused for what the schema cannot know: an account external id
or a username that does not exist, a ticket resolved before it was opened, two rows of a list
with the same natural key. For the bulk writes a 400 is therefore an expected answer to valid
input, but only with those reasons (checked below).

Bounded (a few examples per operation) so that it runs in seconds; raise FUZZ_EXAMPLES for a
deeper run.
"""

import json
import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.settings import api_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from healthscore.wsgi import application
from tests.api.conftest import personal_token
from tests.factories import UserFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

# The reasons a bulk write refuses a schema-valid row: the data, not the shape of the request
# (JSON Schema cannot say that rows of a list have distinct natural keys).
DATA_REASON = re.compile(
    r"unknown (account|user|tag) '|must be (on or )?after |repeats the key of row "
)


@schemathesis.check
def valid_rows_refused_only_for_their_data(ctx, response, case) -> None:
    """A 400 to a schema-valid bulk write names only references that do not exist, dates out of
    order or repeated keys (positive_data_acceptance takes a 400 as expected there: CONFIG)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return
    errors = response.json()["errors"]
    shape = [error for error in errors if not DATA_REASON.match(error["reason"])]
    assert not shape, f"Valid rows refused for their shape: {shape}"


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    valid_rows_refused_only_for_their_data,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "operations": [
            {
                "include-method": "POST",  # the bulk writes, each documenting its 400
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
                    }
                },
            }
        ]
    }
)


@pytest.fixture
def in_test_transaction():
    """Schemathesis calls the bare WSGI app, which closes the database connection at the end
    of each request (and with it the test's transaction); Django's test client stops that,
    and so does this."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_auth(book, settings, in_test_transaction):
    """A manager's token (they may call everything), over a book with a row of every kind,
    and rate limits out of the way."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "user": "100000/minute",
            "ingest": "100000/minute",
            "track": "100000/minute",
        },
    }
    api_settings.reload()
    yield {"Authorization": f"Token {personal_token(UserFactory(role='manager'))}"}
    api_settings.reload()


def schema_document() -> dict:
    """The schema as /api/schema/ serves it, generated in-process: collecting the tests needs
    no database or token (test_the_fuzzed_schema_is_the_served_one checks it is the same)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(schema_document(), config=CONFIG)
schema.app = application  # the cases go to the Django WSGI app, in-process


def test_the_fuzzed_schema_is_the_served_one(manager_client):
    served = manager_client.get("/api/schema/?format=json")
    assert served.status_code == 200
    assert json.loads(served.content) == schema_document()
    assert len(schema_document()["paths"]) == 31


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible
    database=None,  # and no .hypothesis/ folder left in the work tree
    phases=[Phase.generate],  # the explicit/coverage phase: ~3× longer; FUZZ_EXAMPLES for depth
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, fuzz_auth):
    case.call_and_validate(headers=fuzz_auth, checks=CHECKS)
