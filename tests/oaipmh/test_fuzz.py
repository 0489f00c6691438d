"""Property-based fuzzing: query strings (few or many fields), POST requests (any body,
Content-Type and Content-Length) and signed resumption tokens of any content. Never a 5xx:
an OAI answer (HTTP 200, validated against the strict schema by ``Oai``) or one of the
documented transport errors (400, 413, 415) for a POST that is not a form.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircat.oaipmh.form import MAX_ARGUMENTS, MAX_QUERY
from faircat.oaipmh.wsgi import MAX_BODY
from tests.oaipmh.conftest import Oai, resume, sign

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


# -- many fields -------------------------------------------------------------------------------

FIELD = st.one_of(
    st.just(""),  # a bare separator: "&&"
    st.tuples(st.sampled_from(KEYS), VALUES).map(lambda pair: _query([pair])),
    st.binary(max_size=12).map(lambda raw: quote(raw, safe="=%+")),
)


@st.composite
def _many_fields(draw: st.DrawFn) -> list[str]:
    # Up to 200 fields drawn from a small pool: drawing 200 fields one by one made generating
    # the examples cost seconds more than running them.
    pool = draw(st.lists(FIELD, min_size=1, max_size=6))
    count = draw(st.integers(0, 200))
    order = draw(st.randoms(use_true_random=False))
    return [order.choice(pool) for _ in range(count)]


FIELDS = _many_fields()


@FUZZ
@given(fields=FIELDS)
def test_fuzzed_many_field_queries_never_fail(oai: Oai, fields):
    query = "&".join(fields)
    response = oai.get(query)  # validates against the schema when 200
    assert response.status == 200
    counted = sum(1 for field in query.split("&") if field)
    if len(query) > MAX_QUERY or counted > MAX_ARGUMENTS:
        assert response.error() == "badArgument"
        assert response.request_attributes() == {}


# -- POST requests -----------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
LATIN1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=12)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [FORM, f"{FORM}; charset=utf-8", FORM.upper(), f" {FORM} ;", "", "text/plain",
         "multipart/form-data; boundary=x", "application/json", ";", "application/xml"]
    ),
    LATIN1,
)  # fmt: skip
CONTENT_LENGTHS = st.one_of(
    st.none(),  # the body's own length
    st.integers(-5, 2 * MAX_BODY).map(str),
    st.sampled_from(["", "0", "007", "abc", "+1", "1_0", " 7 ", "0x10", "1e3", "9" * 30]),
    LATIN1,
)
BODIES = st.one_of(
    PAIRS.map(lambda pairs: _query(pairs).encode()),
    FIELDS.map(lambda fields: "&".join(fields).encode()),
    st.binary(max_size=300),
)


def _expected_status(content_type: str, length: str) -> int:
    """The documented transport errors; 200 (an OAI answer) otherwise."""
    if content_type.split(";")[0].strip().lower() not in (FORM, ""):
        return 415
    digits = length.strip().lstrip("0") or "0"
    if not (digits.isascii() and digits.isdigit()):
        return 400
    return 413 if int(digits) > MAX_BODY else 200


@FUZZ
@given(body=BODIES, content_type=CONTENT_TYPES, length=CONTENT_LENGTHS, query=st.sampled_from(
    ["", "verb=Identify", "&&", "verb=ListRecords&metadataPrefix=oai_dc"]))  # fmt: skip
def test_fuzzed_post_requests_never_fail(oai: Oai, body, content_type, length, query):
    declared = str(len(body)) if length is None else length
    response = oai.send(
        body=body, QUERY_STRING=query, CONTENT_TYPE=content_type, CONTENT_LENGTH=declared
    )
    assert response.status == _expected_status(content_type, declared)
    if response.status == 200:
        assert response.tree is not None  # and schema-valid


# -- signed resumption tokens ------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6,
)  # fmt: skip
EDGES = st.sampled_from(
    [0, -1, 1, 3, 10, 2**31, 2**63 - 1, 2**63, -(2**63), 10**30,
     253_402_300_799_999_999, 253_402_300_800_000_000,  # the last microsecond of 9999, and after
     -62_135_596_800_000_000, -62_135_596_800_000_001,  # the first of year 1, and before
     253_402_300_799, 253_402_300_800, -62_135_596_800, -62_135_596_801,  # the same in seconds
     1.0, float("inf"), float("nan"), True, False, None, "", "1",
     "ListRecords", "ListIdentifiers", "oai_dc", "datacite", "beamline", "beamline:xaloc", "a::b"]
)  # fmt: skip
CHANGES = st.lists(st.tuples(st.integers(0, 10), st.one_of(EDGES, JSON)), max_size=4)


@FUZZ
@given(
    changes=CHANGES,
    whole=st.one_of(st.none(), JSON),
    verb=st.sampled_from(["ListRecords", "ListIdentifiers"]),
)
def test_fuzzed_signed_tokens_never_fail(signed, changes, whole, verb):
    oai, genuine = signed
    body: Any = list(genuine)
    for index, value in changes:
        body[index] = value
    if whole is not None:
        body = whole
    response = resume(oai, sign(body), verb)  # HTTP 200, schema-valid
    assert response.error() in (None, "badResumptionToken", "noRecordsMatch")
    if body == genuine and verb == "ListRecords":
        assert response.error() is None
    if verb != "ListRecords" and isinstance(body, list) and body[1:2] == ["ListRecords"]:
        assert response.error() == "badResumptionToken"
