"""PaNOSC search-api JSON: Dataset, Document and Instrument objects (panosc-eu/search-api).

Only public records belong in the PaNOSC API; the API layer filters, these functions only shape.
PIDs are DOIs where there is one (URL-encode them in paths with :func:`pid_path`), else the
catalogue's local id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from . import mandatory
from .identifiers import bare_doi, orcid_id, ror_uri
from .rights import licence
from .schemaorg import json_value
from .view import Agent, Facility, Instrument, Organization, Person, Record
from .xmltext import clean, one_line

_DOCUMENT_TYPE = {"experiment": "proposal", "selection": "collection", "dataset": "dataset"}


def pid_path(pid: str) -> str:
    """The PID as one path segment of ``0-9A-Za-z_.~-`` and percent escapes."""
    return quote(pid, safe="")


def _pid(record: Record) -> str:
    return bare_doi(one_line(record.doi)) or one_line(record.local_id)


def _timestamp(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instrument(item: Instrument, facility: Facility | None = None) -> dict[str, Any]:
    """A PaNOSC Instrument; ``pid`` is the instrument's PID, else facility/name."""
    facility_name = one_line(item.facility) or (one_line(facility.name) if facility else "")
    name = one_line(item.name)
    return {
        "pid": one_line(item.pid) or f"{facility_name}/{name}".strip("/"),
        "name": name,
        "facility": facility_name,
    }


def _parameter(name: str, value: object, unit: str) -> dict[str, Any]:
    return {"name": one_line(name), "value": json_value(value), "unit": one_line(unit)}


def _file_id(pid: str, path: str) -> str:
    return hashlib.sha256(f"{pid}\n{path}".encode()).hexdigest()[:24]


def dataset(record: Record) -> dict[str, Any]:
    """A PaNOSC Dataset with its techniques, instrument, files, parameters and samples."""
    pid = _pid(record)
    dates = record.dates
    created = dates.collected_start or dates.issued or dates.available
    result: dict[str, Any] = {
        "pid": pid,
        "title": mandatory.title(record),
        "isPublic": record.access == "open",
        "creationDate": _timestamp(created),
        "size": record.size,
        "techniques": [
            {"pid": one_line(t.iri), "name": one_line(t.name)}
            for t in record.techniques
            if one_line(t.name)
        ],
        "files": [
            {
                "id": _file_id(pid, file.path),
                "name": one_line(file.name),
                "path": one_line(file.path),
                "size": file.size,
            }
            for file in (record.files if record.access == "open" else ())
        ],
        "parameters": [
            _parameter(p.name, p.value, p.unit) for p in record.parameters if one_line(p.name)
        ],
        "samples": [
            {
                "pid": one_line(s.pid) or f"{pid}/sample/{index}",
                "name": one_line(s.name),
                "description": clean(s.description).strip(),
            }
            for index, s in enumerate(record.samples, 1)
            if one_line(s.name)
        ],
    }
    if record.instruments:
        result["instrument"] = instrument(record.instruments[0], record.facility)
    return result


def _person(who: Agent) -> dict[str, Any] | None:
    if isinstance(who, Organization):
        return None
    full = one_line(who.full_name) or " ".join(
        p for p in (one_line(who.given_name), one_line(who.family_name)) if p
    )
    if not full:
        return None
    orcid = orcid_id(who.orcid)
    person: dict[str, Any] = {"id": orcid or hashlib.sha256(full.encode()).hexdigest()[:16]}
    person["fullName"] = full
    person["orcid"] = orcid or None
    person["firstName"] = one_line(who.given_name) or None
    person["lastName"] = one_line(who.family_name) or None
    return person


def _affiliation(who: Person) -> dict[str, Any] | None:
    org = who.affiliation
    if org is None or not one_line(org.name):
        return None
    return {
        "name": one_line(org.name),
        "pid": ror_uri(org.ror) or None,
        "address": one_line(org.address) or None,
        "city": one_line(org.city) or None,
        "country": one_line(org.country) or None,
    }


def _members(record: Record) -> list[dict[str, Any]]:
    members = []
    people = [(who, "creator") for who in record.creators]
    people += [(c.agent, one_line(c.role) or c.contributor_type) for c in record.contributors]
    for who, role in people:
        person = _person(who)
        if person is None:
            continue
        member: dict[str, Any] = {"role": role, "person": person}
        affiliation = _affiliation(who)  # type: ignore[arg-type]
        if affiliation is not None:
            member["affiliation"] = affiliation
        members.append(member)
    return members


def document(record: Record, datasets: Sequence[Record] = ()) -> dict[str, Any]:
    """A PaNOSC Document for an experiment (``proposal``) or a selection (``collection``)."""
    dates = record.dates
    doi = bare_doi(one_line(record.doi))
    return {
        "pid": _pid(record),
        "isPublic": record.access == "open",
        "type": _DOCUMENT_TYPE[record.kind],
        "title": mandatory.title(record),
        "summary": clean(record.description).strip() or None,
        "doi": doi or None,
        "startDate": _timestamp(dates.collected_start),
        "endDate": _timestamp(dates.collected_end),
        "releaseDate": _timestamp(dates.available),
        "license": licence(record).spdx,
        "keywords": [word for word in map(one_line, record.keywords) if word],
        "members": _members(record),
        "parameters": [
            _parameter(p.name, p.value, p.unit) for p in record.parameters if one_line(p.name)
        ],
        "datasets": [dataset(item) for item in datasets],
    }
