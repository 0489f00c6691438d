"""OAI-PMH set memberships of a record: pure, computed once at publish time.

Sets are hierarchical (``beamline:xaloc`` is inside ``beamline``); a record is listed in each
leaf set and its ancestors, so a harvest of ``beamline`` is one indexed range scan, not a
prefix search. Every exposed record is also in ``openaire_data`` (OpenAIRE's data set).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from faircat.crosswalks.view import Record

# setSpecType of the OAI-PMH schema: ([A-Za-z0-9\-_\.!~\*'\(\)])+(:[A-Za-z0-9\-_\.!~\*'\(\)]+)*
_NOT_SPEC = re.compile(r"[^A-Za-z0-9\-_.!~*'()]+")

OPENAIRE = "openaire_data"
TOP_LEVEL = {
    "beamline": "Beamlines",
    "technique": "Techniques (PaNET)",
    "type": "Experiment types",
    OPENAIRE: "OpenAIRE data (all open research data of the facility)",
}


def spec_part(text: str, *, lower: bool = True) -> str:
    """One ``:``-free component of a setSpec; empty when nothing usable is left."""
    part = _NOT_SPEC.sub("-", text.strip()).strip("-")
    return part.lower() if lower else part


def _technique_id(iri: str) -> str:
    # PaNET IRIs end in the term id (PaNET01164); keep its case, it is the id people search for.
    return spec_part(re.split(r"[/#]", iri.rstrip("/#"))[-1], lower=False)


def record_sets(record: Record, beamlines: Iterable[str]) -> list[tuple[str, str]]:
    """``(setSpec, setName)`` of every set ``record`` belongs to, parents included, sorted."""
    sets: dict[str, str] = {OPENAIRE: TOP_LEVEL[OPENAIRE]}

    def add(parent: str, leaf: str, name: str) -> None:
        if leaf:
            sets[parent] = TOP_LEVEL[parent]
            sets[f"{parent}:{leaf}"] = name

    for beamline in beamlines:
        add("beamline", spec_part(beamline), f"Beamline {beamline}")
    for technique in record.techniques:
        add("technique", _technique_id(technique.iri), technique.name or technique.iri)
    if record.investigation_type:
        kind = record.investigation_type
        add("type", spec_part(kind), f"Experiment type: {kind}")
    return sorted(sets.items())
