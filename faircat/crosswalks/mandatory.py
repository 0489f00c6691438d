"""What every format needs, checked once: one clear :class:`MetadataError` per missing field."""

from __future__ import annotations

import re

from faircat.errors import MetadataError

from .identifiers import bare_doi
from .view import Person, Record
from .xmltext import one_line

_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")


def record_name(record: Record) -> str:
    """How errors name a record: its DOI, else its kind and local id."""
    return record.doi or f"{record.kind} {record.local_id}"


def title(record: Record) -> str:
    """The cleaned one-line title; raises when there is none."""
    text = one_line(record.title)
    if not text:
        raise MetadataError(record_name(record), "title")
    return text


def doi(record: Record) -> str:
    """The bare DOI; raises when there is none or it is not a DOI."""
    value = bare_doi(one_line(record.doi))
    if not value:
        raise MetadataError(record_name(record), "doi")
    if _DOI.match(value) is None:
        raise MetadataError(record_name(record), "doi", f"{record_name(record)}: not a DOI")
    return value


def check_creators(record: Record) -> None:
    """At least one creator with a name."""
    for agent in record.creators:
        if isinstance(agent, Person):
            if one_line(agent.family_name or agent.full_name or agent.given_name):
                return
        elif one_line(agent.name):
            return
    raise MetadataError(record_name(record), "creators")


def publication_year(record: Record) -> int:
    """Year the embargo ends or of early release (``available``), else year of issue."""
    if record.publication_year is not None:
        return record.publication_year
    dates = record.dates
    for day in (dates.available, dates.issued):
        if day is not None:
            return day.year
    raise MetadataError(record_name(record), "publication_year")


def publisher(record: Record) -> str:
    name = one_line(record.facility.name)
    if not name:
        raise MetadataError(record_name(record), "publisher")
    return name


def check(record: Record) -> None:
    """Raise :class:`MetadataError` for the first mandatory field the record lacks."""
    doi(record)
    title(record)
    check_creators(record)
    publisher(record)
    publication_year(record)
