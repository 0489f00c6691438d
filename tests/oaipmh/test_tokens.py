"""Resumption tokens signed with the provider's key but holding fields of the wrong type or out
of range answer badResumptionToken: decoding is total, signature or not.

The tests sign hand-built bodies with a codec made from the provider's secret (``signed`` in
conftest.py), so they pass the signature check and reach the field checks.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from faircat.oaipmh.errors import OaiError
from faircat.oaipmh.tokens import Position
from tests.oaipmh.conftest import CODEC, resume, sign, sign_raw

MAX_MICROS = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
MIN_MICROS = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
(VERSION, VERB, PREFIX, SET, LO, HI, LAST_DS, LAST_ID, CURSOR, TOTAL, EXPIRES) = range(11)


def test_a_genuine_token_re_signed_is_served(signed):
    oai, fields = signed
    response = resume(oai, sign(fields))
    assert response.error() is None and response.token().get("cursor") == "3"


# One test per group, not one per case: each test builds a published catalogue first.
BAD_FIELDS = [
    (VERSION, True),  # JSON true is 1 to Python
    (VERSION, "1"),
    (VERSION, 1.0),
    (VERSION, 2),
    (VERB, None),
    (VERB, 7),
    (VERB, ["ListRecords"]),
    (VERB, "GetRecord"),
    (PREFIX, None),
    (PREFIX, 3),
    (PREFIX, "oai dc"),
    (PREFIX, "oai_dc\u0000"),  # PostgreSQL refuses NUL in text parameters
    (PREFIX, "marc21"),  # well-formed, but not offered
    (SET, 5),
    (SET, "a::b"),
    (SET, "beamline\u0000"),
    (SET, {"spec": "beamline"}),
    (LO, MAX_MICROS + 1),
    (LO, MIN_MICROS - 1),
    (LO, 10**30),
    (LO, -(10**30)),
    (LO, 1.5e15),
    (LO, "0"),
    (LO, True),
    (HI, 10**30),
    (HI, -(10**30)),
    (HI, 1e300),
    (HI, None),
    (HI, [0]),
    (LAST_DS, 10**19),
    (LAST_DS, -(10**19)),
    (LAST_DS, 1.0),
    (LAST_DS, None),
    (LAST_ID, "12"),
    (LAST_ID, 2**63),
    (LAST_ID, 10**40),
    (LAST_ID, -1),
    (LAST_ID, 1.0),
    (LAST_ID, False),
    (LAST_ID, None),
    (CURSOR, -1),
    (CURSOR, 10**9),  # beyond the list size
    (CURSOR, 3.0),
    (TOTAL, -1),
    (TOTAL, 2**64),
    (TOTAL, "10"),
    (EXPIRES, 10**20),
    (EXPIRES, -(10**20)),
    (EXPIRES, 253_402_300_800),  # the first second after 9999
    (EXPIRES, 1e300),
    (EXPIRES, float("inf")),  # json writes Infinity, which json reads back
    (EXPIRES, float("nan")),
    (EXPIRES, "tomorrow"),
    (EXPIRES, None),
    (EXPIRES, -(10**10)),  # in range, but long expired
]


def test_a_signed_token_with_a_bad_field_is_bad_resumption_token(signed):
    oai, genuine = signed
    for field, value in BAD_FIELDS:
        fields = list(genuine)
        fields[field] = value
        token = sign(fields)
        response = resume(oai, token)
        assert response.error() == "badResumptionToken", (field, value, response.body)
        assert response.request_attributes() == {"verb": "ListRecords", "resumptionToken": token}


def test_a_signed_token_of_another_shape_is_bad_resumption_token(signed):
    oai, _ = signed
    shapes = [None, 1, "token", {}, [], [1], {"0": 1}, "x" * 11, list(range(12)), [[1] * 11]]
    for body in shapes:
        assert resume(oai, sign(body)).error() == "badResumptionToken", body


def test_a_signed_token_that_is_not_json_is_bad_resumption_token(signed):
    oai, _ = signed
    for data in [
        b"[" * 5000 + b"]" * 5000,  # RecursionError in json
        b"[1," + b"9" * 5000 + b"]",  # more digits than int() converts
        b"[1,\xff]",  # not UTF-8
        b"",
    ]:
        assert resume(oai, sign_raw(data)).error() == "badResumptionToken", data[:20]


def test_extreme_values_in_range_are_served(signed):
    # datetimes of year 1 and 9999 reach the query on both backends
    oai, genuine = signed
    for field, value in [
        (LO, MIN_MICROS),
        (HI, MAX_MICROS),
        (LAST_DS, MIN_MICROS),
        (LAST_DS, MAX_MICROS),
        (EXPIRES, MAX_MICROS // 1_000_000),
        (LAST_ID, 0),
        (LAST_ID, 2**63 - 1),
    ]:
        fields = list(genuine)
        fields[field] = value
        assert resume(oai, sign(fields)).error() in (None, "noRecordsMatch"), (field, value)


def test_the_list_size_from_a_token_stays_consistent(signed):
    oai, fields = signed
    fields[TOTAL] = 2**63 - 1
    response = resume(oai, sign(fields))
    token = response.token()
    assert token.get("completeListSize") == str(2**63 - 1) and token.get("cursor") == "3"
    # The token it hands out carries the same size and is accepted in turn.
    assert resume(oai, token.text).error() is None


def test_the_codec_round_trips_the_extremes_of_datetime():
    low, high = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    position = Position(
        verb="ListRecords",
        prefix="oai_dc",
        set_spec="beamline:xaloc",
        lo=low,
        hi=high,
        last_datestamp=high,
        last_id=2**63 - 1,
        cursor=0,
        total=2**63 - 1,
        expires=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    token = CODEC.encode(position)
    assert CODEC.decode(token, "ListRecords", datetime(2026, 1, 1, tzinfo=UTC)) == position
    with pytest.raises(OaiError) as raised:
        CODEC.decode(token, "ListIdentifiers", datetime(2026, 1, 1, tzinfo=UTC))
    assert raised.value.code == "badResumptionToken"
