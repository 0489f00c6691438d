"""Every route of the web app, fuzzed as an anonymous visitor, a member and a curator: no input
gives a 5xx, every HTML answer carries the security headers (tests/web/httpfuzz.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings

from tests.portal.conftest import csrf_token, login
from tests.web import httpfuzz

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_the_fuzzer_covers_every_route(app: Flask):
    endpoints = {rule.endpoint for rule in httpfuzz.fuzzable_rules(app)}
    # the portal's areas and the site's own routes are all in the map the fuzzer reads
    assert {
        "portal.home",
        "portal.auth.login",
        "portal.auth.logout",
        "portal.account.change_password",
        "portal.experiments.submit",
        "portal.reviews.decision",
        "download",
        "static_site",
        "health",
    } <= endpoints


@pytest.mark.parametrize("who", [None, "pia", "cure"])
def test_no_input_gives_a_server_error(app: Flask, who: str | None):
    client = app.test_client()
    if who is not None:
        login(client, who)
    csrf = csrf_token(client.get("/portal/login" if who is None else "/portal/account/").text)
    rules = httpfuzz.fuzzable_rules(app)

    @FUZZ
    @given(call=httpfuzz.calls(rules, csrf))
    def run(call: httpfuzz.Call) -> None:
        httpfuzz.check(call, httpfuzz.send(client, call))

    run()
