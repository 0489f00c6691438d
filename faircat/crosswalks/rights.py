"""Licences (by SPDX id) and access rights (info:eu-repo and COAR terms)."""

from __future__ import annotations

from dataclasses import dataclass

from .view import Record

SPDX_URL = "https://spdx.org/licenses/"
EU_REPO = "info:eu-repo/semantics/"
COAR_URL = "http://purl.org/coar/access_right/"


@dataclass(frozen=True, slots=True)
class Licence:
    spdx: str  # canonical case, e.g. CC-BY-4.0
    name: str
    url: str  # the licence text

    @property
    def spdx_url(self) -> str:
        return f"{SPDX_URL}{self.spdx}.html"


_KNOWN = (
    Licence("CC-BY-4.0", "Creative Commons Attribution 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/legalcode"),
    Licence("CC-BY-SA-4.0", "Creative Commons Attribution Share Alike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/legalcode"),
    Licence("CC-BY-NC-4.0", "Creative Commons Attribution Non Commercial 4.0 International",
            "https://creativecommons.org/licenses/by-nc/4.0/legalcode"),
    Licence("CC-BY-NC-SA-4.0",
            "Creative Commons Attribution Non Commercial Share Alike 4.0 International",
            "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode"),
    Licence("CC-BY-ND-4.0", "Creative Commons Attribution No Derivatives 4.0 International",
            "https://creativecommons.org/licenses/by-nd/4.0/legalcode"),
    Licence("CC0-1.0", "Creative Commons Zero v1.0 Universal",
            "https://creativecommons.org/publicdomain/zero/1.0/legalcode"),
    Licence("ODbL-1.0", "Open Data Commons Open Database License v1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/"),
    Licence("PDDL-1.0", "Open Data Commons Public Domain Dedication & License 1.0",
            "https://opendatacommons.org/licenses/pddl/1-0/"),
)  # fmt: skip
_BY_LOWER = {licence.spdx.lower(): licence for licence in _KNOWN}


def licence(record: Record) -> Licence:
    """The record's licence (its own, else the facility default); unknown ids link to SPDX."""
    spdx = (record.licence or record.facility.default_licence or "CC-BY-4.0").strip()
    known = _BY_LOWER.get(spdx.lower())
    if known is not None:
        return known
    return Licence(spdx, spdx, f"{SPDX_URL}{spdx}.html")


@dataclass(frozen=True, slots=True)
class AccessRight:
    label: str  # e.g. "embargoed access"
    eu_repo: str  # info:eu-repo/semantics/embargoedAccess
    coar_code: str  # c_f1cf

    @property
    def coar_uri(self) -> str:
        return COAR_URL + self.coar_code


OPEN = AccessRight("open access", EU_REPO + "openAccess", "c_abf2")
EMBARGOED = AccessRight("embargoed access", EU_REPO + "embargoedAccess", "c_f1cf")
# A withdrawn record keeps its metadata (tombstone), its files are gone: metadata only access.
WITHDRAWN = AccessRight("metadata only access", EU_REPO + "closedAccess", "c_14cb")

_ACCESS = {"open": OPEN, "embargoed": EMBARGOED, "withdrawn": WITHDRAWN}


def access_right(record: Record) -> AccessRight:
    return _ACCESS[record.access]
