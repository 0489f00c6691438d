"""Keyset pages: an opaque "after" token over (sort value, id), never OFFSET.

A token is the last row's sort value and id, JSON in URL-safe base64. It is a position, not a
permission: the query that reads the next page applies the same access filter, so a forged
token can only skip rows, never reveal one. A token that does not decode is a clear error.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from faircat.errors import ValidationError

MAX_TOKEN = 512


def encode(value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    data = json.dumps([value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode(token: str, kind: type) -> tuple[Any, int]:
    """``(sort value, id)`` of a token made by :func:`encode` for a column of type ``kind``."""
    problem = ValidationError(
        "the 'after' token is not one this server made: start again from the first page",
        field="after",
    )
    if len(token) > MAX_TOKEN or not token.isascii():
        raise problem
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise problem from None
    if type(row_id) is not int or not 0 <= row_id < 2**63:
        raise problem
    if value is None:
        return None, row_id
    if kind is datetime:
        if not isinstance(value, dict) or not isinstance(value.get("t"), str):
            raise problem
        try:
            moment = datetime.fromisoformat(value["t"])
        except ValueError:
            raise problem from None
        if moment.tzinfo is None:
            raise problem
        return moment, row_id
    if kind is int and (type(value) is not int or not -(2**63) <= value < 2**63):
        raise problem
    if kind is str and not isinstance(value, str):
        raise problem
    return value, row_id
