"""A request's arguments from its query string and form body, decoded strictly and bounded.

Both are ``application/x-www-form-urlencoded``: ``&``-separated ``name=value`` fields, ``+``
for a space, ``%XX`` escapes of UTF-8 bytes. Anything a client can send decodes to arguments or
to a badArgument, never to an exception: bare ``&`` separators (``?&&verb=Identify``) are not
fields and count for nothing, a malformed ``%`` escape stays as written (as browsers and
``urllib`` leave it), and bytes that are not UTF-8 are a badArgument rather than silently
replaced, since a harvester sending them gets the wrong record or token otherwise.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from faircat.oaipmh.errors import OaiError

# A legal request has at most five arguments (ListRecords: verb, metadataPrefix, from, until,
# set). The generous bound leaves a client's mistakes (a repeated or illegal argument) to the
# protocol's own, more telling, messages and bounds the work and the error message otherwise.
MAX_ARGUMENTS = 64
# Longer than any legal request (a token is ~200 bytes) and shorter than the request line
# gunicorn accepts (limit_request_line 8190, see faircat.web.server), so a long GET is answered
# by this OAI error, not by the server's HTML 400 page.
MAX_QUERY = 4096


def arguments(query: bytes, body: bytes = b"") -> list[tuple[str, str]]:
    """``(name, value)`` of each field of the query string, then of the form body."""
    if len(query) > MAX_QUERY:
        raise OaiError(
            "badArgument",
            f"the request is too long: its query string is {len(query)} bytes, the limit is "
            f"{MAX_QUERY}; send long requests as POST (application/x-www-form-urlencoded)",
        )
    fields = [field for field in query.split(b"&") if field]
    fields += [field for field in body.split(b"&") if field]
    if len(fields) > MAX_ARGUMENTS:
        raise OaiError(
            "badArgument",
            f"more than {MAX_ARGUMENTS} arguments ({len(fields)}): an OAI-PMH request has at "
            "most five",
        )
    pairs = []
    for field in fields:
        name, _, value = field.partition(b"=")
        pairs.append((_text(name), _text(value)))
    return pairs


def _text(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise OaiError(
            "badArgument", "an argument is not UTF-8: percent-encode the UTF-8 bytes of values"
        ) from None
