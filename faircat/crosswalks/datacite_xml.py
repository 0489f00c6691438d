"""DataCite kernel-4 XML from the 4.5 JSON of :mod:`.datacite`.

Valid against both the 4.5 XSD and the current kernel-4 XSD (4.7): 4.5 JSON uses nothing that
4.6/4.7 removed. The bytes (:func:`datacite_xml`, :func:`xml_bytes`) are written with the
streaming :mod:`.xmlwriter` (the publishing hot path, see docs/perf-crosswalks.md); the lxml
builder :func:`element_from_json` (``SubElement`` on precomputed tag names) is the reference
implementation the tests compare the writer with (C14N-equal for every case). The element for
OAI-PMH (:func:`datacite_element`) is the writer's bytes parsed back, which is faster than the
lxml builder and gives an equal tree.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .datacite import to_datacite
from .view import Record
from .xmlwriter import DECLARATION, safe_attr, safe_text

NS = "http://datacite.org/schema/kernel-4"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd"
NSMAP = {None: NS, "xsi": XSI}

_T = {
    name: f"{{{NS}}}{name}"
    for name in [
        "resource",
        "identifier",
        "creators",
        "creator",
        "creatorName",
        "givenName",
        "familyName",
        "nameIdentifier",
        "affiliation",
        "titles",
        "title",
        "publisher",
        "publicationYear",
        "resourceType",
        "subjects",
        "subject",
        "contributors",
        "contributor",
        "contributorName",
        "dates",
        "date",
        "language",
        "alternateIdentifiers",
        "alternateIdentifier",
        "relatedIdentifiers",
        "relatedIdentifier",
        "sizes",
        "size",
        "formats",
        "format",
        "version",
        "rightsList",
        "rights",
        "descriptions",
        "description",
        "fundingReferences",
        "fundingReference",
        "funderName",
        "funderIdentifier",
        "awardNumber",
        "awardTitle",
    ]
}
_SCHEMA_LOCATION_ATTR = f"{{{XSI}}}schemaLocation"
_SCHEMA_LOCATION_VALUE = f"{NS} {SCHEMA_LOCATION}"

# JSON key -> XML attribute, for the properties whose attributes are copied as they are.
_ATTRS = {
    "schemeUri": "schemeURI",
    "valueUri": "valueURI",
    "rightsUri": "rightsURI",
    "affiliationIdentifier": "affiliationIdentifier",
    "affiliationIdentifierScheme": "affiliationIdentifierScheme",
    "publisherIdentifier": "publisherIdentifier",
    "publisherIdentifierScheme": "publisherIdentifierScheme",
    "subjectScheme": "subjectScheme",
    "classificationCode": "classificationCode",
    "dateType": "dateType",
    "alternateIdentifierType": "alternateIdentifierType",
    "relatedIdentifierType": "relatedIdentifierType",
    "relationType": "relationType",
    "resourceTypeGeneral": "resourceTypeGeneral",
    "rightsIdentifier": "rightsIdentifier",
    "rightsIdentifierScheme": "rightsIdentifierScheme",
    "descriptionType": "descriptionType",
    "nameIdentifierScheme": "nameIdentifierScheme",
    "lang": "{http://www.w3.org/XML/1998/namespace}lang",
}


def _leaf(parent: etree._Element, tag: str, item: dict[str, str], text_key: str) -> None:
    """``<tag attr=...>item[text_key]</tag>``, every other key of ``item`` as an attribute."""
    elem = etree.SubElement(parent, _T[tag])
    elem.text = item[text_key]
    for key, value in item.items():
        if key != text_key:
            elem.set(_ATTRS[key], value)


def _name(parent: etree._Element, tag: str, person: dict[str, Any]) -> None:
    """A creator or contributor: name, given/family names, identifiers, affiliations in order."""
    elem = etree.SubElement(parent, _T[tag])
    if tag == "contributor":
        elem.set("contributorType", person["contributorType"])
    name = etree.SubElement(elem, _T[tag + "Name"])
    name.text = person["name"]
    if "nameType" in person:
        name.set("nameType", person["nameType"])
    if "givenName" in person:
        etree.SubElement(elem, _T["givenName"]).text = person["givenName"]
    if "familyName" in person:
        etree.SubElement(elem, _T["familyName"]).text = person["familyName"]
    for identifier in person.get("nameIdentifiers", ()):
        _leaf(elem, "nameIdentifier", identifier, "nameIdentifier")
    for affiliation in person.get("affiliation", ()):
        _leaf(elem, "affiliation", affiliation, "name")


def _list(
    root: etree._Element, data: dict[str, Any], key: str, wrapper: str, tag: str, text_key: str
) -> None:
    items = data.get(key)
    if items:
        parent = etree.SubElement(root, _T[wrapper])
        for item in items:
            _leaf(parent, tag, item, text_key)


def _strings(root: etree._Element, data: dict[str, Any], key: str, tag: str) -> None:
    items = data.get(key)
    if items:
        parent = etree.SubElement(root, _T[key])
        for item in items:
            etree.SubElement(parent, _T[tag]).text = item


def _funding(root: etree._Element, fundings: list[dict[str, str]]) -> None:
    parent = etree.SubElement(root, _T["fundingReferences"])
    for funding in fundings:
        elem = etree.SubElement(parent, _T["fundingReference"])
        etree.SubElement(elem, _T["funderName"]).text = funding["funderName"]
        if "funderIdentifier" in funding:
            ident = etree.SubElement(elem, _T["funderIdentifier"])
            ident.text = funding["funderIdentifier"]
            ident.set("funderIdentifierType", funding["funderIdentifierType"])
        if "awardNumber" in funding:
            award = etree.SubElement(elem, _T["awardNumber"])
            award.text = funding["awardNumber"]
            if "awardUri" in funding:
                award.set("awardURI", funding["awardUri"])
        if "awardTitle" in funding:
            etree.SubElement(elem, _T["awardTitle"]).text = funding["awardTitle"]


def element_from_json(data: dict[str, Any]) -> etree._Element:
    """The ``<resource>`` element for DataCite 4.5 JSON made by :func:`.datacite.to_datacite`."""
    root = etree.Element(_T["resource"], nsmap=NSMAP)
    root.set(_SCHEMA_LOCATION_ATTR, _SCHEMA_LOCATION_VALUE)
    identifier = etree.SubElement(root, _T["identifier"])
    identifier.text = data["doi"]
    identifier.set("identifierType", "DOI")
    creators = etree.SubElement(root, _T["creators"])
    for creator in data["creators"]:
        _name(creators, "creator", creator)
    _list(root, data, "titles", "titles", "title", "title")
    _leaf(root, "publisher", data["publisher"], "name")
    etree.SubElement(root, _T["publicationYear"]).text = data["publicationYear"]
    resource_type = etree.SubElement(root, _T["resourceType"])
    resource_type.text = data["types"].get("resourceType", "")
    resource_type.set("resourceTypeGeneral", data["types"]["resourceTypeGeneral"])
    _list(root, data, "subjects", "subjects", "subject", "subject")
    if data.get("contributors"):
        contributors = etree.SubElement(root, _T["contributors"])
        for contributor in data["contributors"]:
            _name(contributors, "contributor", contributor)
    _list(root, data, "dates", "dates", "date", "date")
    if "language" in data:
        etree.SubElement(root, _T["language"]).text = data["language"]
    _list(
        root,
        data,
        "alternateIdentifiers",
        "alternateIdentifiers",
        "alternateIdentifier",
        "alternateIdentifier",
    )
    _list(
        root,
        data,
        "relatedIdentifiers",
        "relatedIdentifiers",
        "relatedIdentifier",
        "relatedIdentifier",
    )
    _strings(root, data, "sizes", "size")
    _strings(root, data, "formats", "format")
    if "version" in data:
        etree.SubElement(root, _T["version"]).text = data["version"]
    _list(root, data, "rightsList", "rightsList", "rights", "rights")
    _list(root, data, "descriptions", "descriptions", "description", "description")
    if data.get("fundingReferences"):
        _funding(root, data["fundingReferences"])
    return root


# The serialiser: the lxml functions above written as text, element for element in the same
# order (C14N- and byte-equal to lxml's pretty printer, tested for every case and random text).
# Markup is string constants of this module; every value from ``data`` goes through safe_text or
# safe_attr (cleaned of what XML 1.0 forbids, escaped), so the output is well-formed whatever the
# dict holds. About 2x faster than the generic streaming writer (docs/perf-crosswalks.md).
_ROOT_OPEN = (
    f'<resource xmlns="{NS}" xmlns:xsi="{XSI}" xsi:schemaLocation="{_SCHEMA_LOCATION_VALUE}">'
)
# Nested in another document (oai_datacite): xsi is declared by the outer root.
NESTED_OPEN = f'<resource xmlns="{NS}" xsi:schemaLocation="{_SCHEMA_LOCATION_VALUE}">'
_XML_ATTR = {  # JSON key -> ' name="' (KeyError for a key DataCite XML has no attribute for)
    key: f' {name}="'
    for key, name in {
        **_ATTRS,
        "lang": "xml:lang",
        "nameType": "nameType",
        "contributorType": "contributorType",
        "funderIdentifierType": "funderIdentifierType",
        "awardUri": "awardURI",
    }.items()
}
_INDENT = tuple("\n" + "  " * depth for depth in range(16))
_PARSER = etree.XMLParser(
    no_network=True, resolve_entities=False, remove_blank_text=True, huge_tree=True
)


# Element text of items with attributes, by (indent, tag, text key, items): the same rights,
# subjects, affiliations, publisher and relations recur in most records of a facility, and a
# hit costs one tuple and one lookup instead of cleaning and escaping every attribute. Cleared
# when full, so a long export cannot grow it without bound.
_ITEM_CACHE: dict[tuple[Any, ...], str] = {}
_ITEM_CACHE_SIZE = 4096


def _w_items(out: list[str], nl: str, tag: str, items: Any, text_key: str) -> None:
    """One ``<tag>`` per item: ``item[text_key]`` as text, every other key as an attribute."""
    cache = _ITEM_CACHE
    for item in items:
        if len(item) == 1:
            out.append(f"{nl}<{tag}>{safe_text(item[text_key])}</{tag}>")
            continue
        key = (nl, tag, text_key, tuple(item.items()))
        text = cache.get(key)
        if text is None:
            parts = [nl, "<", tag]
            for name, value in item.items():
                if name != text_key:
                    parts += (_XML_ATTR[name], safe_attr(value), '"')
            parts += (">", safe_text(item[text_key]), "</", tag, ">")
            text = "".join(parts)
            if len(cache) >= _ITEM_CACHE_SIZE:
                cache.clear()
            cache[key] = text
        out.append(text)


def _w_list(out: list[str], depth: int, items: Any, wrapper: str, tag: str) -> None:
    nl = _INDENT[depth]
    out.append(f"{nl}<{wrapper}>")
    _w_items(out, _INDENT[depth + 1], tag, items, tag)
    out.append(f"{nl}</{wrapper}>")


def _w_name(out: list[str], depth: int, tag: str, person: dict[str, Any]) -> None:
    nl, inner = _INDENT[depth], _INDENT[depth + 1]
    if tag == "contributor":
        out.append(f'{nl}<contributor contributorType="{safe_attr(person["contributorType"])}">')
    else:
        out.append(f"{nl}<{tag}>")
    name = safe_text(person["name"])
    if "nameType" in person:
        kind = safe_attr(person["nameType"])
        out.append(f'{inner}<{tag}Name nameType="{kind}">{name}</{tag}Name>')
    else:
        out.append(f"{inner}<{tag}Name>{name}</{tag}Name>")
    if "givenName" in person:
        out.append(f"{inner}<givenName>{safe_text(person['givenName'])}</givenName>")
    if "familyName" in person:
        out.append(f"{inner}<familyName>{safe_text(person['familyName'])}</familyName>")
    if "nameIdentifiers" in person:
        _w_items(out, inner, "nameIdentifier", person["nameIdentifiers"], "nameIdentifier")
    if "affiliation" in person:
        _w_items(out, inner, "affiliation", person["affiliation"], "name")
    out.append(f"{nl}</{tag}>")


def _w_funding(out: list[str], depth: int, fundings: list[dict[str, str]]) -> None:
    nl, inner, leaf = _INDENT[depth], _INDENT[depth + 1], _INDENT[depth + 2]
    out.append(f"{nl}<fundingReferences>")
    for funding in fundings:
        out.append(
            f"{inner}<fundingReference>{leaf}<funderName>"
            f"{safe_text(funding['funderName'])}</funderName>"
        )
        if "funderIdentifier" in funding:
            kind = safe_attr(funding["funderIdentifierType"])
            out.append(
                f'{leaf}<funderIdentifier funderIdentifierType="{kind}">'
                f"{safe_text(funding['funderIdentifier'])}</funderIdentifier>"
            )
        if "awardNumber" in funding:
            number = safe_text(funding["awardNumber"])
            if "awardUri" in funding:
                uri = safe_attr(funding["awardUri"])
                out.append(f'{leaf}<awardNumber awardURI="{uri}">{number}</awardNumber>')
            else:
                out.append(f"{leaf}<awardNumber>{number}</awardNumber>")
        if "awardTitle" in funding:
            out.append(f"{leaf}<awardTitle>{safe_text(funding['awardTitle'])}</awardTitle>")
        out.append(f"{inner}</fundingReference>")
    out.append(f"{nl}</fundingReferences>")


def write_resource(out: list[str], data: dict[str, Any], depth: int = 1) -> None:
    """Append the children of ``<resource>`` (at ``depth``) for DataCite 4.5 JSON to ``out``."""
    nl = _INDENT[depth]
    out.append(f'{nl}<identifier identifierType="DOI">{safe_text(data["doi"])}</identifier>')
    if data["creators"]:
        out.append(f"{nl}<creators>")
        for creator in data["creators"]:
            _w_name(out, depth + 1, "creator", creator)
        out.append(f"{nl}</creators>")
    else:
        out.append(f"{nl}<creators/>")
    if data.get("titles"):
        _w_list(out, depth, data["titles"], "titles", "title")
    _w_items(out, nl, "publisher", (data["publisher"],), "name")
    out.append(f"{nl}<publicationYear>{safe_text(data['publicationYear'])}</publicationYear>")
    types = data["types"]
    general = safe_attr(types["resourceTypeGeneral"])
    out.append(
        f'{nl}<resourceType resourceTypeGeneral="{general}">'
        f"{safe_text(types.get('resourceType', ''))}</resourceType>"
    )
    if data.get("subjects"):
        _w_list(out, depth, data["subjects"], "subjects", "subject")
    if data.get("contributors"):
        out.append(f"{nl}<contributors>")
        for contributor in data["contributors"]:
            _w_name(out, depth + 1, "contributor", contributor)
        out.append(f"{nl}</contributors>")
    if data.get("dates"):
        _w_list(out, depth, data["dates"], "dates", "date")
    if "language" in data:
        out.append(f"{nl}<language>{safe_text(data['language'])}</language>")
    if data.get("alternateIdentifiers"):
        _w_list(
            out, depth, data["alternateIdentifiers"], "alternateIdentifiers", "alternateIdentifier"
        )
    if data.get("relatedIdentifiers"):
        _w_list(out, depth, data["relatedIdentifiers"], "relatedIdentifiers", "relatedIdentifier")
    inner = _INDENT[depth + 1]
    for key, tag in (("sizes", "size"), ("formats", "format")):
        values = data.get(key)
        if values:
            out.append(f"{nl}<{key}>")
            out += [f"{inner}<{tag}>{safe_text(value)}</{tag}>" for value in values]
            out.append(f"{nl}</{key}>")
    if "version" in data:
        out.append(f"{nl}<version>{safe_text(data['version'])}</version>")
    if data.get("rightsList"):
        _w_list(out, depth, data["rightsList"], "rightsList", "rights")
    if data.get("descriptions"):
        _w_list(out, depth, data["descriptions"], "descriptions", "description")
    if data.get("fundingReferences"):
        _w_funding(out, depth, data["fundingReferences"])


def xml_bytes(data: dict[str, Any]) -> bytes:
    """The ``datacite.xml`` file for DataCite JSON already built (shares the dict with JSON)."""
    out = [DECLARATION, _ROOT_OPEN]
    write_resource(out, data)
    out.append("\n</resource>\n")
    return "".join(out).encode("utf-8")


def datacite_xml(record: Record) -> bytes:
    """The ``datacite.xml`` file: a standalone UTF-8 document."""
    return xml_bytes(to_datacite(record))


def parse_fragment(data: bytes) -> etree._Element:
    """The root element of bytes this package wrote (strict parser, indentation dropped)."""
    return etree.fromstring(data, _PARSER)


def datacite_element(record: Record) -> etree._Element:
    """The ``<resource>`` element, for embedding (OAI-PMH ``datacite``, ``oai_datacite``)."""
    return parse_fragment(datacite_xml(record))


def reference_xml_bytes(data: dict[str, Any]) -> bytes:
    """:func:`xml_bytes` through the lxml reference builder (tests and benchmarks)."""
    return etree.tostring(
        element_from_json(data), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
