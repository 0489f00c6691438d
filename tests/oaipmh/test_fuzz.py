"""Property-based fuzzing of query strings: never a 5xx, every answer schema-valid XML."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.oaipmh.conftest import Oai

KEYS = ["verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken", "x"]
VERBS = [
    "Identify",
    "ListMetadataFormats",
    "ListSets",
    "GetRecord",
    "ListIdentifiers",
    "ListRecords",
    "identify",
    "",
]
VALUES = st.one_of(
    st.sampled_from(VERBS),
    st.sampled_from(
        [
            "oai_dc",
            "oai_datacite",
            "datacite",
            "marc21",
            "beamline",
            "beamline:xaloc",
            "openaire_data",
            "2020-01-01",
            "2026-06-01T12:00:00Z",
            "2026-02-30",
            "9999-12-31",
            "9999-12-31T23:59:59Z",
            "0001-01-01",
            "oai:data.tls.example.org:10.80100/tls.open0000-1",
            "oai:data.tls.example.org:10.80100/tls.reg1-1",
            "a.b",
            "::",
        ]
    ),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)
PAIRS = st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=6)
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k)}={quote(v, safe='', errors='surrogatepass')}" for k, v in pairs)


@FUZZ
@given(pairs=PAIRS)
def test_fuzzed_arguments_never_fail(oai: Oai, pairs):
    try:
        query = _query(pairs)
    except UnicodeEncodeError:
        return  # lone surrogates cannot be sent in a URL at all
    response = oai.get(query)  # validates against the schema when 200
    assert response.status == 200
    assert response.tree is not None


@FUZZ
@given(raw=st.binary(max_size=80))
def test_fuzzed_raw_query_strings_never_fail(oai: Oai, raw):
    response = oai.get(quote(raw, safe="=&;%+"))
    assert response.status == 200


@FUZZ
@given(pairs=PAIRS)
def test_fuzzed_posts_never_fail(oai: Oai, pairs):
    try:
        body = _query(pairs)
    except UnicodeEncodeError:
        return
    response = oai._check(
        oai.client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    )
    assert response.status == 200


@pytest.mark.parametrize(
    "token", ["%00", "a.b", "eyJ9.x", "W10.AAAAAAAAAAAAAAAAAAAAAA", "\u00e9.\u00e9"]
)
def test_token_shaped_garbage(oai: Oai, token):
    assert (
        oai.get(f"verb=ListRecords&resumptionToken={quote(token)}").error() == "badResumptionToken"
    )
