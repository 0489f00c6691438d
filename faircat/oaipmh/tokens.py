"""Stateless resumption tokens: the frozen query and the keyset position, signed.

A token is ``base64url(json) "." base64url(hmac-sha256)[:22]``. It binds the verb, the
metadataPrefix, the set and the ``[lo, hi)`` datestamp interval frozen at the first page, and
carries the last ``(datestamp, id)`` served, the cursor, the list size counted at the first page
and an expiry. Nothing is stored on the server, so any worker serves the next page, a restart
loses nothing, and deep pages cost what the first one does (keyset, not offset).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faircat.oaipmh import arguments
from faircat.oaipmh.errors import OaiError

VERSION = 1
_SIG_CHARS = 22  # 128 bits of the HMAC, base64url


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _moment(micros: int) -> datetime:
    # Not fromtimestamp(): its range is the platform's time_t, narrower than datetime's on some.
    return _EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True, slots=True)
class Position:
    verb: str
    prefix: str
    set_spec: str | None
    lo: datetime | None
    hi: datetime
    last_datestamp: datetime
    last_id: int
    cursor: int  # records served before the page this token asks for
    total: int  # completeListSize, counted at the first page
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("resumption tokens need a secret key")
        self._key = hashlib.sha256(b"faircat-oai-token\0" + secret.encode()).digest()

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()
        return _b64(digest)[:_SIG_CHARS]

    def encode(self, position: Position) -> str:
        fields = [
            VERSION,
            position.verb,
            position.prefix,
            position.set_spec,
            None if position.lo is None else _micros(position.lo),
            _micros(position.hi),
            _micros(position.last_datestamp),
            position.last_id,
            position.cursor,
            position.total,
            int(position.expires.timestamp()),
        ]
        body = _b64(json.dumps(fields, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._sign(body)}"

    def decode(self, token: str, verb: str, now: datetime) -> Position:
        """The position a token names; badResumptionToken when forged, expired or misused."""
        body, _, signature = token.partition(".")
        if not body or not hmac.compare_digest(
            signature.encode("utf-8", "surrogatepass"),
            self._sign(body).encode() if body.isascii() else b"",
        ):
            raise OaiError(
                "badResumptionToken", "the resumptionToken is not one this repository issued"
            )
        fields = _fields(body)
        if fields[0] != VERSION:
            raise OaiError(
                "badResumptionToken",
                "the resumptionToken is from another version of this provider; "
                "start the list again",
            )
        position = _position(fields)
        if position.verb != verb:
            raise OaiError(
                "badResumptionToken",
                f"this resumptionToken continues a {position.verb} list, not {verb}",
            )
        if position.expires <= now:
            raise OaiError(
                "badResumptionToken",
                f"the resumptionToken expired at {position.expires:%Y-%m-%dT%H:%M:%SZ}; "
                "start the list again",
            )
        return position


# A signed token was issued by this code, yet decoding is total all the same: a field of the
# wrong type or out of range (a bug in an older release, a leaked key) answers
# badResumptionToken instead of an OverflowError or a driver error deep in a query.
_FIELDS = 11
_MAX_INT = 2**63 - 1  # BIGINT: ids and counts beyond it cannot be bound as query parameters
_MIN_MICROS = _micros(datetime.min.replace(tzinfo=UTC))
_MAX_MICROS = _micros(datetime.max.replace(tzinfo=UTC))
_MIN_SECONDS, _MAX_SECONDS = -(-_MIN_MICROS // 1_000_000), _MAX_MICROS // 1_000_000


def _fields(body: str) -> list[Any]:
    try:
        fields = json.loads(_unb64(body))
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: [[[[...]]]]
        raise _malformed() from None
    if not isinstance(fields, list) or not fields or type(fields[0]) is not int:
        raise _malformed()  # (type(): JSON true is 1 to Python, and not a version)
    return fields


def _position(fields: list[Any]) -> Position:
    if len(fields) != _FIELDS:
        raise _malformed()
    _, verb, prefix, set_spec, lo, hi, last_ds, last_id, cursor, total, exp = fields
    if not isinstance(verb, str) or verb not in arguments.VERBS:
        raise _malformed()
    if not isinstance(prefix, str) or not arguments.valid_prefix(prefix):
        raise _malformed()
    if set_spec is not None and not (
        isinstance(set_spec, str) and arguments.valid_set_spec(set_spec)
    ):
        raise _malformed()
    total = _integer(total, 0, _MAX_INT)
    return Position(
        verb=verb,
        prefix=prefix,
        set_spec=set_spec,
        lo=None if lo is None else _moment(_integer(lo, _MIN_MICROS, _MAX_MICROS)),
        hi=_moment(_integer(hi, _MIN_MICROS, _MAX_MICROS)),
        last_datestamp=_moment(_integer(last_ds, _MIN_MICROS, _MAX_MICROS)),
        last_id=_integer(last_id, 0, _MAX_INT),
        cursor=_integer(cursor, 0, total),
        total=total,
        expires=_moment(_integer(exp, _MIN_SECONDS, _MAX_SECONDS) * 1_000_000),
    )


def _integer(value: Any, lowest: int, highest: int) -> int:
    if type(value) is not int or not lowest <= value <= highest:
        raise _malformed()
    return value


def _malformed() -> OaiError:
    return OaiError("badResumptionToken", "the resumptionToken is malformed")
