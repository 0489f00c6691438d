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
from datetime import UTC, datetime

from faircat.oaipmh.errors import OaiError

VERSION = 1
_SIG_CHARS = 22  # 128 bits of the HMAC, base64url


def _micros(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _moment(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


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
        try:
            fields = json.loads(_unb64(body))
            version, token_verb, prefix, set_spec, lo, hi, last_ds, last_id, cursor, total, exp = (
                fields
            )
        except (ValueError, TypeError, binascii.Error):
            raise OaiError("badResumptionToken", "the resumptionToken is malformed") from None
        if version != VERSION:
            raise OaiError("badResumptionToken", "the resumptionToken is from an older version")
        if token_verb != verb:
            raise OaiError(
                "badResumptionToken",
                f"this resumptionToken continues a {token_verb} list, not {verb}",
            )
        expires = datetime.fromtimestamp(exp, UTC)
        if expires <= now:
            raise OaiError(
                "badResumptionToken",
                f"the resumptionToken expired at {expires:%Y-%m-%dT%H:%M:%SZ}; "
                "start the list again",
            )
        return Position(
            verb=token_verb,
            prefix=prefix,
            set_spec=set_spec,
            lo=None if lo is None else _moment(lo),
            hi=_moment(hi),
            last_datestamp=_moment(last_ds),
            last_id=last_id,
            cursor=cursor,
            total=total,
            expires=expires,
        )
