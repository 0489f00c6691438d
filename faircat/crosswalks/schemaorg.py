"""schema.org ``Dataset`` JSON-LD for landing pages (Google Dataset Search, F-UJI).

The context is inline (``{"@vocab": "https://schema.org/"}``): tools without network access drop
JSON-LD whose context they cannot fetch. The serialised text escapes ``<``, ``>`` and ``&`` so it
can go verbatim inside ``<script type="application/ld+json">`` (a title holding ``</script>``
cannot close the element); the escapes are plain JSON, so the same bytes serve the file.
"""

from __future__ import annotations

import math
from typing import Any

from . import jsontext
from .identifiers import DOI_RESOLVER, doi_url, panet_code, pid_url, ror_uri
from .prepared import AgentText, Prepared, agent_text, prepare
from .rights import licence
from .urls import file_url_from
from .view import Agent, Organization, Record, RecordRef
from .xmltext import one_line

CONTEXT = {"@vocab": "https://schema.org/"}
PANET_TERM_SET = "http://purl.org/pan-science/PaNET/PaNET.owl"


def organization(org: Organization) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": "Organization", "name": one_line(org.name)}
    ror = ror_uri(org.ror)
    if ror:
        item["@id"] = ror
        item["identifier"] = ror
    return item


def agent(who: Agent) -> dict[str, Any] | None:
    return agent_item(agent_text(who))


def agent_item(text: AgentText) -> dict[str, Any] | None:
    """:func:`agent` for cleaned text (:meth:`.prepared.Prepared.agent`)."""
    if text.organization:
        if not text.name:
            return None
        item: dict[str, Any] = {"@type": "Organization", "name": text.name}
        if text.ror:
            item["@id"] = text.ror
            item["identifier"] = text.ror
        return item
    name = text.full or (
        f"{text.given} {text.family}" if text.given and text.family else text.given or text.family
    )
    if not name:
        return None
    item = {"@type": "Person", "name": name}
    if text.orcid:
        item["@id"] = text.orcid
        item["identifier"] = text.orcid
    if text.given:
        item["givenName"] = text.given
    if text.family:
        item["familyName"] = text.family
    if text.affiliation:
        org: dict[str, Any] = {"@type": "Organization", "name": text.affiliation}
        if text.affiliation_ror:
            org["@id"] = text.affiliation_ror
            org["identifier"] = text.affiliation_ror
        item["affiliation"] = org
    return item


def _ref(ref: RecordRef) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": "Dataset"}
    url = one_line(ref.url)
    if ref.doi:
        item["@id"] = doi_url(one_line(ref.doi))
    elif url:
        item["@id"] = url
    if url:
        item["url"] = url
    title = one_line(ref.title)
    if title:
        item["name"] = title
    return item


def techniques(record: Record) -> list[dict[str, str]]:
    result = []
    for technique in record.techniques:
        iri, name = one_line(technique.iri), one_line(technique.name)
        if iri or name:
            term = {"@type": "DefinedTerm"}
            if iri:  # the PaNET IRI, which resolves to the term's definition
                term.update({"@id": iri, "url": iri, "termCode": panet_code(iri)})
            if name:
                term["name"] = name
            term["inDefinedTermSet"] = PANET_TERM_SET
            result.append(term)
    return result


def distribution(record: Record, prepared: Prepared | None = None) -> list[dict[str, Any]]:
    """Downloads, only for an open record: an embargoed page must not advertise files."""
    if record.access != "open" or not record.files:
        return []
    page = prepare(record, prepared).landing
    result = []
    for file in record.files:
        item: dict[str, Any] = {
            "@type": "DataDownload",
            "name": one_line(file.name),
            "contentUrl": file_url_from(page, file),
            "encodingFormat": one_line(file.media_type),
        }
        if file.size is not None:
            item["contentSize"] = f"{file.size} B"
        if file.sha256:
            item["sha256"] = one_line(file.sha256)
        result.append(item)
    return result


def conditions_of_access(record: Record) -> str:
    if record.access == "embargoed":
        end = record.dates.available
        when = f" until {end.isoformat()}" if end else ""
        return f"Embargoed{when}: metadata only; the data become openly available at release."
    if record.access == "withdrawn":
        reason = one_line(record.withdrawal_reason)
        return "Withdrawn" + (f": {reason}" if reason else "; the data are no longer available.")
    return ""


def json_value(value: object) -> str | int | float:
    """A parameter value JSON can carry: finite numbers as they are, anything else as text."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return one_line(str(value))


def variables(record: Record) -> list[dict[str, Any]]:
    result = []
    for parameter in record.parameters:
        name = one_line(parameter.name)
        if not name:
            continue
        item: dict[str, Any] = {
            "@type": "PropertyValue",
            "name": name,
            "value": json_value(parameter.value),
        }
        unit = one_line(parameter.unit)
        if unit:
            item["unitText"] = unit
        result.append(item)
    return result


def funding(record: Record) -> list[dict[str, Any]]:
    result = []
    for grant in record.fundings:
        name = one_line(grant.funder_name)
        if not name:
            continue
        funder: dict[str, Any] = {"@type": "Organization", "name": name}
        identifier = one_line(grant.funder_identifier)
        if identifier:
            funder["@id"] = identifier
        item: dict[str, Any] = {"@type": "Grant", "funder": funder}
        for key, value in (
            ("identifier", grant.award_number),
            ("name", grant.award_title),
            ("url", grant.award_uri),
        ):
            value = one_line(value)
            if value:
                item[key] = value
        result.append(item)
    return result


def temporal_coverage(record: Record) -> str:
    start, end = record.dates.collected_start, record.dates.collected_end
    if start is None:
        return ""
    text = start.isoformat()
    return f"{text}/{end.isoformat()}" if end is not None else text


def to_schemaorg(record: Record, prepared: Prepared | None = None) -> dict[str, Any]:
    """The JSON-LD document as a dict (raises MetadataError when incomplete)."""
    p = prepare(record, prepared)
    facility = record.facility
    doi = DOI_RESOLVER + p.doi
    description = p.abstract or p.technical_info()
    dates = record.dates
    published = dates.available or dates.issued
    catalogue = {
        "@type": "DataCatalog",
        "name": one_line(facility.catalogue_name) or p.publisher,
        "url": facility.base_url.rstrip("/") + "/",
    }
    publisher: dict[str, Any] = {"@type": "Organization", "name": p.publisher}
    ror = ror_uri(facility.ror)
    if ror:
        publisher["@id"] = ror
        publisher["identifier"] = ror
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": doi,
        "identifier": doi,
        "url": p.landing,
        "name": p.title,
        "description": description or p.title,
        "creator": [item for who in record.creators if (item := agent_item(p.agent(who)))],
        "contributor": [
            item for c in record.contributors if (item := agent_item(p.agent(c.agent)))
        ],
        "publisher": publisher,
        "datePublished": published.isoformat() if published else "",
        "dateModified": dates.updated.isoformat() if dates.updated else "",
        "license": licence(record).url,
        "isAccessibleForFree": True,
        "keywords": [word for word in map(one_line, record.keywords) if word],
        "measurementTechnique": techniques(record),
        "temporalCoverage": temporal_coverage(record),
        "variableMeasured": variables(record) if record.parameters else [],
        "includedInDataCatalog": catalogue,
        "isPartOf": [_ref(ref) for ref in record.part_of],
        "hasPart": [_ref(ref) for ref in record.parts],
        "isBasedOn": [_ref(ref) for ref in record.inputs],
        "citation": [
            pid_url(identifier, item.identifier_type)
            for item in record.related
            if (identifier := one_line(item.identifier))
        ],
        "version": one_line(record.version),
        "inLanguage": one_line(record.language),
        "funding": funding(record) if record.fundings else [],
        "distribution": distribution(record, p),
        "conditionsOfAccess": conditions_of_access(record),
        "creativeWorkStatus": "Withdrawn" if record.access == "withdrawn" else "",
    }
    if record.size is not None:
        data["size"] = f"{record.size} B"
    return {key: value for key, value in data.items() if value or value is True}


def jsonld_bytes(data: dict[str, Any]) -> bytes:
    """The ``schemaorg.jsonld`` bytes of :func:`to_schemaorg` output (script-safe, compact)."""
    return jsontext.script_safe(data)


def schemaorg_jsonld(record: Record) -> bytes:
    """The ``schemaorg.jsonld`` file; its text is safe to embed in a ``<script>`` element."""
    return jsonld_bytes(to_schemaorg(record))
