"""Requests beyond the provider's limits, or not decodable, are OAI errors (HTTP 200,
schema-valid), never a 5xx: too many fields, too long a query string, bytes that are not UTF-8.
Transport errors that are not OAI requests at all keep their HTTP status (400, 413, 415).

``Oai`` validates every 200 answer against the strict schema before a test looks at it. Cases
are grouped in few tests, over an empty catalogue where no record is needed: each test pays for
its own database.
"""

from __future__ import annotations

import pytest
from lxml import etree
from werkzeug.test import create_environ, run_wsgi_app

from faircat.catalogue.store import Catalogue
from faircat.config import Settings
from faircat.oaipmh.form import MAX_ARGUMENTS, MAX_QUERY
from faircat.oaipmh.wsgi import MAX_BODY, create_provider
from tests.oaipmh.conftest import NS, Oai
from tests.oaipmh.test_protocol import OPEN_EXPERIMENT, REPO

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def bare(catalogue: Catalogue, settings: Settings, oai_schema: etree.XMLSchema) -> Oai:
    """The provider over an empty catalogue: Identify works, every identifier is unknown."""
    return Oai(create_provider(settings, catalogue), oai_schema)


def message(response) -> str:
    return response.tree.find("o:error", NS).text


# -- how many arguments ------------------------------------------------------------------------


def test_too_many_arguments_is_bad_argument(bare: Oai):
    for query in (
        "verb=Identify" + "&x=1" * MAX_ARGUMENTS,
        "verb=Identify" + "&x" * MAX_ARGUMENTS,  # fields without a value are fields
        "&".join(["verb=Identify"] * 200),
    ):
        response = bare.get(query)
        assert response.status == 200 and response.error() == "badArgument", query
        assert f"more than {MAX_ARGUMENTS} arguments" in message(response)
        assert response.request_attributes() == {}
    # At the limit, the arguments themselves are judged.
    response = bare.get("verb=Identify" + "&x=1" * (MAX_ARGUMENTS - 1))
    assert message(response) == "repeated argument: x"


def test_bare_separators_are_not_arguments(bare: Oai):
    for query in (
        "&" * 64 + "verb=Identify",
        "verb=Identify" + "&" * 200,
        "&&verb=Identify&&&",
        "&" * (MAX_QUERY - len("verb=Identify")) + "verb=Identify",
    ):
        response = bare.get(query)
        assert response.error() is None and response.all("o:Identify"), query


def test_posted_fields_count_with_the_query_strings(bare: Oai):
    body = "verb=Identify&" + "&".join(f"x{n}=1" for n in range(80))
    response = bare.send(body=body.encode(), CONTENT_TYPE=FORM)
    assert response.status == 200 and response.error() == "badArgument"
    assert f"more than {MAX_ARGUMENTS} arguments (81)" in message(response)
    half = "&".join(f"x{n}=1" for n in range(MAX_ARGUMENTS // 2))
    response = bare.send(
        body=f"verb=Identify&{half}".encode(), CONTENT_TYPE=FORM, QUERY_STRING=half
    )
    assert f"more than {MAX_ARGUMENTS} arguments" in message(response)


# -- how long a query string -------------------------------------------------------------------


def _long_get_record(length: int) -> dict[str, str]:
    """GetRecord arguments whose query string is ``length`` bytes (an identifier of no record)."""
    stem = f"verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:{REPO}:10.80100/"
    return {
        "verb": "GetRecord",
        "metadataPrefix": "oai_dc",
        "identifier": f"oai:{REPO}:10.80100/" + "x" * (length - len(stem)),
    }


def test_an_over_long_query_is_bad_argument_naming_post(bare: Oai):
    args = _long_get_record(MAX_QUERY + 1)
    response = bare.get(**args)
    assert response.status == 200 and response.error() == "badArgument"
    assert "too long" in message(response) and "POST" in message(response)
    # The same request as a form body is served (the identifier names no record) ...
    posted = bare.post(**args)
    assert posted.error() == "idDoesNotExist"
    assert posted.request_attributes() == args
    # ... and so is a query string at the limit.
    args = _long_get_record(MAX_QUERY)
    response = bare.get(**args)
    assert response.error() == "idDoesNotExist"
    assert response.request_attributes() == args


def test_a_long_post_of_a_real_request_is_served(oai: Oai):
    padding = "&" * (MAX_QUERY * 4)  # a body far over the query limit, well within MAX_BODY
    body = f"verb=GetRecord&metadataPrefix=oai_dc{padding}&identifier={OPEN_EXPERIMENT}"
    response = oai.send(body=body.encode(), CONTENT_TYPE=FORM)
    assert response.error() is None
    assert response.texts(".//o:header/o:identifier") == [OPEN_EXPERIMENT]


# -- encodings ---------------------------------------------------------------------------------


def test_bytes_that_are_not_utf8_are_bad_argument(bare: Oai):
    for query in (
        "verb=Identify&x=%ff",  # a percent-escaped byte that is not UTF-8
        "verb=Identify\xff",  # a raw byte 0xff (PEP 3333: environ strings are latin-1)
        "verb=%ED%A0%80",  # an encoded surrogate is not UTF-8 either
    ):
        response = bare.send(method="GET", QUERY_STRING=query)
        assert response.status == 200 and response.error() == "badArgument", query
        assert "UTF-8" in message(response)
    response = bare.send(body=b"verb=Identify&x=\xc3\x28", CONTENT_TYPE=FORM)
    assert response.status == 200 and response.error() == "badArgument"


def test_a_server_that_breaks_pep_3333_gets_answers(bare: Oai, oai_schema):
    # Characters over U+00FF in QUERY_STRING: called directly, as werkzeug's test client cannot
    # even build its request object from them.
    for query, error in (
        ("verb=Identify&x=\ud800", "badArgument"),
        ("verb=Ident\u20ac", "badVerb"),
    ):
        environ = create_environ("/")
        environ["QUERY_STRING"] = query
        body, status, _ = run_wsgi_app(bare.app, environ, buffered=True)
        tree = etree.fromstring(b"".join(body))
        assert status == "200 OK" and oai_schema.validate(tree)
        assert tree.find("o:error", NS).get("code") == error


def test_raw_utf8_in_a_query_string_is_read_as_utf8(bare: Oai):
    # Not percent-encoded, as some clients send it: the server hands the bytes over as latin-1.
    identifier = f"oai:{REPO}:10.80100/tls.caf\u00e9-1"
    raw = f"verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}"
    response = bare.send(method="GET", QUERY_STRING=raw.encode().decode("latin-1"))
    assert response.error() == "idDoesNotExist"
    assert identifier in message(response)


def test_escapes(bare: Oai):
    for query, error in (
        ("verb=Ident%zzify", "badVerb"),  # a malformed escape stays as written
        ("verb=Identify%", "badVerb"),
        ("verb=%49dentify", None),
        ("verb=ListRecords&metadataPrefix=oai+dc", "badArgument"),  # + is a space
        ("=&verb=Identify", "badArgument"),  # a field without a name
    ):
        assert bare.get(query).error() == error, query


# -- transport errors keep their status --------------------------------------------------------


def test_post_transport_errors(bare: Oai):
    for environ, status in (
        ({"CONTENT_TYPE": "application/json"}, 415),
        ({"CONTENT_TYPE": FORM, "CONTENT_LENGTH": "-1"}, 400),
        ({"CONTENT_TYPE": FORM, "CONTENT_LENGTH": "+13"}, 400),
        ({"CONTENT_TYPE": FORM, "CONTENT_LENGTH": "1_3"}, 400),
        ({"CONTENT_TYPE": FORM, "CONTENT_LENGTH": "\u0661\u0663"}, 400),  # Arabic-Indic 13
        ({"CONTENT_TYPE": FORM, "CONTENT_LENGTH": "9" * 5000}, 413),
        ({"CONTENT_TYPE": FORM, "CONTENT_LENGTH": str(MAX_BODY + 1)}, 413),
        ({"CONTENT_TYPE": FORM, "CONTENT_LENGTH": "0013"}, 200),
        ({"CONTENT_TYPE": FORM, "CONTENT_LENGTH": str(MAX_BODY)}, 200),  # reads what there is
        ({"CONTENT_TYPE": FORM + "; charset=utf-8", "CONTENT_LENGTH": "13"}, 200),
        ({"CONTENT_TYPE": "", "CONTENT_LENGTH": "13"}, 200),
    ):
        response = bare.send(body=b"verb=Identify", **environ)
        assert response.status == status, environ
        assert status != 200 or response.error() is None
    assert bare.send(body=b"verb=Identify" + b"&" * MAX_BODY, CONTENT_TYPE=FORM).status == 413


def test_head_of_a_refused_request_is_200_without_body(bare: Oai):
    response = bare.client.head("/?x" + "&x" * MAX_ARGUMENTS)
    assert response.status_code == 200 and response.get_data() == b""
    assert int(response.headers["Content-Length"]) > 0
