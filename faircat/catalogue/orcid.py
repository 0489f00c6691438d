"""ORCID iDs: normalise any accepted spelling and verify the ISO 7064 11,2 check digit."""

from __future__ import annotations

import re

from faircat.errors import ValidationError

_ORCID = re.compile(
    r"^(?:https?://(?:www\.)?orcid\.org/)?(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])$"
)


def check_digit(base_digits: str) -> str:
    total = 0
    for char in base_digits:
        total = (total + int(char)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalise_orcid(value: str) -> str:
    """``0000-0002-1825-0097`` from a bare, compact or URL form; ValidationError otherwise."""
    match = _ORCID.match(value.strip())
    if not match:
        raise ValidationError(
            f"invalid ORCID {value!r}: expected 0000-0000-0000-000X", field="orcid"
        )
    digits = "".join(match.groups()).upper()
    if check_digit(digits[:15]) != digits[15]:
        raise ValidationError(f"invalid ORCID {value!r}: wrong check digit", field="orcid")
    return f"{digits[0:4]}-{digits[4:8]}-{digits[8:12]}-{digits[12:16]}"


def orcid_url(orcid: str) -> str:
    return f"https://orcid.org/{orcid}"
