"""The search page fuzzed with its own arguments (the app-wide fuzzer invents argument names):
hostile values in every field, alone and together, as an outsider and as a member. The answer
is the page or a message (200 or 400), never a 5xx, and never a word of Otto's experiment."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.portal.conftest import login
from tests.search.world import SENTINEL
from tests.web.httpfuzz import HOSTILE

FIELDS = (
    "q",
    "beamline",
    "technique",
    "type",
    "from",
    "to",
    "param",
    "min",
    "max",
    "unit",
    "sort",
    "after",
    "limit",
)
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(
        [
            "XALOC",
            "mx",
            "raw",
            "2022-06-01",
            "wavelength",
            "0.9",
            "angstrom",
            "nm",
            "relevance",
            "name",
            "1",
            "WzAsMV0",
            "eyJ0IjoiMjAyMi0wNi0wMVQwMDowMDowMCJ9",
        ]
    ),
    st.text(max_size=40),
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("who", [None, "nina"])
def test_no_search_gives_a_server_error_or_a_leak(app, who):
    client = app.test_client()
    if who:
        login(client, who)

    @FUZZ
    @given(args=st.lists(st.tuples(st.sampled_from(FIELDS), VALUES), max_size=8))
    def run(args: list[tuple[str, str]]) -> None:
        response = client.get("/portal/search", query_string=args)
        assert response.status_code in (200, 400), (args, response.status_code)
        page = response.get_data(as_text=True).lower()
        if not any(SENTINEL[:4] in v.lower() for _, v in args):
            assert SENTINEL not in page, args

    run()
