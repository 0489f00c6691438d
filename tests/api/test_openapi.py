"""The OpenAPI document is generated from the routes, and schemathesis fuzzes every operation
against it: no 5xx, and every answer matches its documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.api.conftest import ApiWorld


@pytest.fixture
def api_schema(api_app, api_world: ApiWorld):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", api_app)
    return schema


def test_every_api_route_is_documented(api_app):
    documented = set(api_app.test_client().get("/api/openapi.json").json["paths"])
    routes = {
        rule.rule.replace("<id:id>", "{id}").replace("<label>", "{label}")
        for rule in api_app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
    }
    assert routes == documented


FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_api_conforms_to_its_schema(api_schema, api_world: ApiWorld):
    """Every operation, with the PI's token and anonymously: cases generated from the
    document, each answer checked against it (status documented, body matches its schema,
    never a 5xx)."""
    token = api_world.tokens["pia_token"]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            _fuzz(operation, headers)


def _fuzz(operation, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    @FUZZ
    @given(case=operation.as_strategy())
    def run(case) -> None:  # type: ignore[no-untyped-def]
        case.headers = {**(case.headers or {}), **headers}
        # An `after` token is opaque: one the server did not make is refused with a 400 that
        # names it, though any string fits the schema; every other check stays on.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    run()
