"""DataCite 4.5 JSON: the attributes of a DataCite REST API ``dois`` resource.

One small function per DataCite property; :func:`to_datacite` inlines the cheap ones and takes
the shared :class:`.prepared.Prepared` values (cleaned names, landing URL) when a combined render
(:func:`.registry.render_core`) passes them. The dict is also the source of the XML
(:mod:`.datacite_xml`), so both always say the same thing. Values that would break the schema
(an unknown relation type, an empty name) are mapped to a valid value or left out, never emitted.
"""

from __future__ import annotations

import re
from typing import Any

from . import jsontext, mandatory
from .datacite_vocab import CONTRIBUTOR_TYPES, IDENTIFIER_TYPES, RELATION_TYPES, RESOURCE_TYPES
from .identifiers import (
    ORCID_URL,
    PANET_URL,
    ROR_URL,
    bare_doi,
    funder_identifier_type,
    panet_code,
    pid_type,
    ror_uri,
)
from .prepared import AgentText, Prepared, agent_text, prepare
from .rights import COAR_URL, SPDX_URL, access_right, licence
from .view import Agent, Organization, Record, RecordRef
from .xmltext import one_line

SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
XML_SCHEMA_VERSION = "4.5"

_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_RESOURCE_TYPE = {"experiment": "Experiment", "selection": "Data collection"}


def resource_type_general(record: Record) -> str:
    return "Dataset" if record.kind == "dataset" else "Collection"


def types(record: Record) -> dict[str, str]:
    if record.kind == "dataset":
        kind = one_line(record.dataset_type)
        name = f"{kind[:1].upper()}{kind[1:]} dataset" if kind else "Dataset"
    else:
        name = _RESOURCE_TYPE[record.kind]
    return {"resourceTypeGeneral": resource_type_general(record), "resourceType": name}


def affiliation(org: Organization | None) -> list[dict[str, str]]:
    if org is None:
        return []
    name = one_line(org.name)
    if not name:
        return []
    item = {"name": name}
    ror = ror_uri(org.ror)
    if ror:
        item["affiliationIdentifier"] = ror
        item["affiliationIdentifierScheme"] = "ROR"
        item["schemeUri"] = ROR_URL
    return [item]


def agent(who: Agent) -> dict[str, Any] | None:
    """A creator or contributor; None when it has no usable name."""
    return agent_item(agent_text(who))


_ROR_SCHEME = {"nameIdentifierScheme": "ROR", "schemeUri": ROR_URL}
_ORCID_SCHEME = {"nameIdentifierScheme": "ORCID", "schemeUri": ORCID_URL}


def agent_item(text: AgentText) -> dict[str, Any] | None:
    """:func:`agent` for cleaned text (:meth:`.prepared.Prepared.agent`)."""
    name = text.name
    if not name:
        return None
    if text.organization:
        item: dict[str, Any] = {"name": name, "nameType": "Organizational"}
        if text.ror:
            item["nameIdentifiers"] = [{"nameIdentifier": text.ror, **_ROR_SCHEME}]
        return item
    item = {"name": name, "nameType": "Personal"}
    if text.given:
        item["givenName"] = text.given
    if text.family:
        item["familyName"] = text.family
    if text.orcid:
        item["nameIdentifiers"] = [{"nameIdentifier": text.orcid, **_ORCID_SCHEME}]
    if text.affiliation:
        aff = {"name": text.affiliation}
        if text.affiliation_ror:
            aff["affiliationIdentifier"] = text.affiliation_ror
            aff["affiliationIdentifierScheme"] = "ROR"
            aff["schemeUri"] = ROR_URL
        item["affiliation"] = [aff]
    return item


def creators(record: Record, prepared: Prepared | None = None) -> list[dict[str, Any]]:
    p = prepare(record, prepared)
    return [item for who in record.creators if (item := agent_item(p.agent(who))) is not None]


def hosting_institution(record: Record) -> dict[str, Any]:
    facility = record.facility
    item = agent(Organization(facility.name, facility.ror)) or {}
    return {**item, "contributorType": "HostingInstitution"}


def contributors(record: Record, prepared: Prepared | None = None) -> list[dict[str, Any]]:
    p = prepare(record, prepared)
    result = []
    for contributor in record.contributors:
        item = agent_item(p.agent(contributor.agent))
        if item is not None:
            kind = contributor.contributor_type
            item["contributorType"] = kind if kind in CONTRIBUTOR_TYPES else "Other"
            result.append(item)
    # The hosting institution: the facility, whose name the mandatory check made non-empty.
    hosting: dict[str, Any] = {"name": p.publisher, "nameType": "Organizational"}
    ror = ror_uri(record.facility.ror)
    if ror:
        hosting["nameIdentifiers"] = [{"nameIdentifier": ror, **_ROR_SCHEME}]
    hosting["contributorType"] = "HostingInstitution"
    result.append(hosting)
    return result


def titles(record: Record) -> list[dict[str, str]]:
    return [{"title": mandatory.title(record)}]


def publisher(record: Record) -> dict[str, str]:
    item = {"name": mandatory.publisher(record)}
    ror = ror_uri(record.facility.ror)
    if ror:
        item["publisherIdentifier"] = ror
        item["publisherIdentifierScheme"] = "ROR"
        item["schemeUri"] = ROR_URL
    return item


def subjects(record: Record) -> list[dict[str, str]]:
    result = []
    seen: set[str] = set()
    for technique in record.techniques:
        name = one_line(technique.name)
        iri = one_line(technique.iri)
        if name and name not in seen:
            seen.add(name)
            item = {"subject": name, "subjectScheme": "PaNET", "schemeUri": PANET_URL}
            if iri:
                item["valueUri"] = iri
                item["classificationCode"] = panet_code(iri)
            result.append(item)
    for keyword in record.keywords:
        word = one_line(keyword)
        if word and word not in seen:
            seen.add(word)
            result.append({"subject": word})
    return result


def dates(record: Record) -> list[dict[str, str]]:
    d = record.dates
    result = []
    if d.collected_start is not None:
        collected = d.collected_start.date().isoformat()
        if d.collected_end is not None:
            collected += "/" + d.collected_end.date().isoformat()
        result.append({"date": collected, "dateType": "Collected"})
    for day, kind in (
        (d.accepted, "Accepted"),
        (d.available, "Available"),
        (d.issued, "Issued"),
        (d.updated, "Updated"),
        (d.withdrawn, "Withdrawn"),
    ):
        if day is not None:
            result.append({"date": day.isoformat(), "dateType": kind})
    return result


def alternate_identifiers(record: Record) -> list[dict[str, str]]:
    result = []
    for value, kind in (
        (record.local_id, "Local accession number"),
        (record.proposal, "Proposal"),
        (record.visit, "Visit"),
    ):
        value = one_line(value)
        if value:
            result.append({"alternateIdentifier": value, "alternateIdentifierType": kind})
    return result


def _ref(ref: RecordRef, relation: str) -> dict[str, str]:
    if ref.doi:
        identifier, kind = bare_doi(one_line(ref.doi)), "DOI"
    else:
        identifier, kind = one_line(ref.url), "URL"
    general = "Dataset" if ref.kind == "dataset" else "Collection"
    return {
        "relatedIdentifier": identifier,
        "relatedIdentifierType": kind,
        "relationType": relation,
        "resourceTypeGeneral": general,
    }


def related_identifiers(record: Record) -> list[dict[str, str]]:
    result = [_ref(ref, "IsPartOf") for ref in record.part_of]
    result += [_ref(ref, "HasPart") for ref in record.parts]
    result += [_ref(ref, "IsDerivedFrom") for ref in record.inputs]
    for instrument in record.instruments:
        pid = one_line(instrument.pid)
        if pid:
            identifier, kind = pid_type(pid)
            result.append(
                {
                    "relatedIdentifier": identifier,
                    "relatedIdentifierType": kind,
                    "relationType": "IsCollectedBy",
                    "resourceTypeGeneral": "Instrument",
                }
            )
    for item in record.related:
        identifier = one_line(item.identifier)
        if not identifier:
            continue
        kind = item.identifier_type
        if kind == "DOI":
            identifier = bare_doi(identifier)
        elif kind not in IDENTIFIER_TYPES:
            identifier, kind = pid_type(identifier)
        relation = item.relation_type if item.relation_type in RELATION_TYPES else "References"
        if relation in ("HasMetadata", "IsMetadataFor"):
            relation = "References"  # those need scheme attributes we do not carry
        entry = {
            "relatedIdentifier": identifier,
            "relatedIdentifierType": kind,
            "relationType": relation,
        }
        if item.resource_type_general in RESOURCE_TYPES:
            entry["resourceTypeGeneral"] = item.resource_type_general
        result.append(entry)
    return _unique(result)


def sizes(record: Record) -> list[str]:
    result = []
    if record.size is not None:
        result.append(f"{record.size} bytes")
    if record.file_count is not None:
        result.append(f"{record.file_count} files")
    return result


def formats(record: Record) -> list[str]:
    return list(dict.fromkeys(f for f in map(one_line, record.formats) if f))


def rights_list(record: Record) -> list[dict[str, str]]:
    lic = licence(record)
    access = access_right(record)
    return [
        {
            "rights": lic.name,
            "rightsUri": lic.url,
            "rightsIdentifier": lic.spdx.lower(),
            "rightsIdentifierScheme": "SPDX",
            "schemeUri": SPDX_URL,
        },
        {"rights": access.label, "rightsUri": access.eu_repo},
        {
            "rights": access.label,
            "rightsUri": access.coar_uri,
            "rightsIdentifier": access.coar_code,
            "rightsIdentifierScheme": "COAR Access Rights",
            "schemeUri": COAR_URL,
        },
    ]


def technical_info(record: Record) -> str:
    """Instrument and samples in one sentence each, for harvesters that show descriptions."""
    parts = []
    for instrument in record.instruments:
        name = one_line(instrument.name)
        full = one_line(instrument.full_name)
        where = one_line(instrument.facility or record.facility.name)
        if name:
            label = f"{name} ({full})" if full and full != name else name
            parts.append(f"Instrument: {label}" + (f" at {where}." if where else "."))
    for sample in record.samples:
        name = one_line(sample.name)
        if name:
            formula = one_line(sample.chemical_formula)
            parts.append(f"Sample: {name}" + (f" ({formula})." if formula else "."))
    return " ".join(parts)


def descriptions(record: Record, prepared: Prepared | None = None) -> list[dict[str, str]]:
    p = prepare(record, prepared)
    result = []
    if p.abstract:
        result.append({"description": p.abstract, "descriptionType": "Abstract"})
    info = p.technical_info()
    if info:
        result.append({"description": info, "descriptionType": "TechnicalInfo"})
    if record.access == "withdrawn":
        reason = one_line(record.withdrawal_reason)
        notice = "This record has been withdrawn" + (f": {reason}" if reason else ".")
        result.append({"description": notice, "descriptionType": "Other"})
    return result


def funding_references(record: Record) -> list[dict[str, str]]:
    result = []
    for funding in record.fundings:
        name = one_line(funding.funder_name)
        if not name:
            continue
        item = {"funderName": name}
        identifier = one_line(funding.funder_identifier)
        if identifier:
            item["funderIdentifier"] = identifier
            item["funderIdentifierType"] = funder_identifier_type(identifier)
        for key, value in (
            ("awardNumber", funding.award_number),
            ("awardUri", funding.award_uri),
            ("awardTitle", funding.award_title),
        ):
            value = one_line(value)
            if value:
                item[key] = value
        result.append(item)
    return _unique(result)


def language(record: Record) -> str:
    return record.language if _LANGUAGE.match(record.language) else ""


def _unique(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """Drop repeated entries: the JSON schema wants unique items."""
    if len(items) < 2:
        return items
    seen = set()
    result = []
    for item in items:
        key = tuple(item.items())
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def to_datacite(record: Record, prepared: Prepared | None = None) -> dict[str, Any]:
    """The DataCite 4.5 JSON attributes of ``record`` (raises MetadataError when incomplete)."""
    p = prepare(record, prepared)
    publisher_item = {"name": p.publisher}
    ror = ror_uri(record.facility.ror)
    if ror:
        publisher_item["publisherIdentifier"] = ror
        publisher_item["publisherIdentifierScheme"] = "ROR"
        publisher_item["schemeUri"] = ROR_URL
    data: dict[str, Any] = {
        "doi": p.doi,
        "url": p.landing,
        "types": types(record),
        "creators": creators(record, p),
        "titles": [{"title": p.title}],
        "publisher": publisher_item,
        "publicationYear": str(p.year),
        "subjects": subjects(record),
        "contributors": contributors(record, p),
        "dates": dates(record),
        "language": language(record),
        "alternateIdentifiers": alternate_identifiers(record),
        "relatedIdentifiers": related_identifiers(record),
        "sizes": sizes(record),
        "formats": formats(record) if record.formats else [],
        "version": one_line(record.version),
        "rightsList": rights_list(record),
        "descriptions": descriptions(record, p),
        "fundingReferences": funding_references(record) if record.fundings else [],
        "schemaVersion": SCHEMA_VERSION,
    }
    return {key: value for key, value in data.items() if value}


def rest_body(record: Record, event: str | None = None) -> dict[str, Any]:
    """The body of ``POST /dois`` or ``PUT /dois/{doi}``; ``event``: register, publish, hide."""
    attributes = to_datacite(record)
    if event is not None:
        attributes["event"] = event
    return {"data": {"type": "dois", "attributes": attributes}}


def datacite_json(record: Record) -> bytes:
    """The ``datacite.json`` file published beside the landing page (compact UTF-8 JSON)."""
    return json_bytes(to_datacite(record))


def json_bytes(data: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of ``data`` with a final newline."""
    return jsontext.compact(data)
