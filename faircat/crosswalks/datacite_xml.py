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
from .xmlwriter import Dialect, XmlWriter

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


# Writer twins of the lxml functions above: same elements, same order (checked by C14N tests).
DIALECT = Dialect(NSMAP)
ROOT_ATTRS = {"xsi:schemaLocation": _SCHEMA_LOCATION_VALUE}
_XML_ATTRS = DIALECT.attr_map(
    {
        **_ATTRS,
        "lang": "xml:lang",
        "nameType": "nameType",
        "contributorType": "contributorType",
        "funderIdentifierType": "funderIdentifierType",
        "awardUri": "awardURI",
    }
)
_PARSER = etree.XMLParser(
    no_network=True, resolve_entities=False, remove_blank_text=True, huge_tree=True
)


def _w_name(w: XmlWriter, tag: str, person: dict[str, Any]) -> None:
    if tag == "contributor":
        w.start(tag, {"contributorType": person["contributorType"]})
    else:
        w.start(tag)
    if "nameType" in person:
        w.leaf(tag + "Name", person["name"], {"nameType": person["nameType"]})
    else:
        w.leaf(tag + "Name", person["name"])
    if "givenName" in person:
        w.leaf("givenName", person["givenName"])
    if "familyName" in person:
        w.leaf("familyName", person["familyName"])
    if "nameIdentifiers" in person:
        w.leaves("nameIdentifier", person["nameIdentifiers"], "nameIdentifier", _XML_ATTRS)
    if "affiliation" in person:
        w.leaves("affiliation", person["affiliation"], "name", _XML_ATTRS)
    w.end()


def _w_list(w: XmlWriter, items: list[dict[str, str]], wrapper: str, tag: str) -> None:
    w.start(wrapper)
    w.leaves(tag, items, tag, _XML_ATTRS)
    w.end()


def write_resource(w: XmlWriter, data: dict[str, Any]) -> None:
    """Write the children of ``<resource>`` for DataCite 4.5 JSON (the root is the caller's)."""
    w.leaf("identifier", data["doi"], {"identifierType": "DOI"})
    w.start("creators")
    for creator in data["creators"]:
        _w_name(w, "creator", creator)
    w.end()
    if data.get("titles"):
        _w_list(w, data["titles"], "titles", "title")
    w.leaves("publisher", (data["publisher"],), "name", _XML_ATTRS)
    w.leaf("publicationYear", data["publicationYear"])
    types = data["types"]
    w.leaf(
        "resourceType",
        types.get("resourceType", ""),
        {"resourceTypeGeneral": types["resourceTypeGeneral"]},
    )
    if data.get("subjects"):
        _w_list(w, data["subjects"], "subjects", "subject")
    if data.get("contributors"):
        w.start("contributors")
        for contributor in data["contributors"]:
            _w_name(w, "contributor", contributor)
        w.end()
    if data.get("dates"):
        _w_list(w, data["dates"], "dates", "date")
    if "language" in data:
        w.leaf("language", data["language"])
    if data.get("alternateIdentifiers"):
        _w_list(w, data["alternateIdentifiers"], "alternateIdentifiers", "alternateIdentifier")
    if data.get("relatedIdentifiers"):
        _w_list(w, data["relatedIdentifiers"], "relatedIdentifiers", "relatedIdentifier")
    for key, tag in (("sizes", "size"), ("formats", "format")):
        items = data.get(key)
        if items:
            w.start(key)
            for item in items:
                w.leaf(tag, item)
            w.end()
    if "version" in data:
        w.leaf("version", data["version"])
    if data.get("rightsList"):
        _w_list(w, data["rightsList"], "rightsList", "rights")
    if data.get("descriptions"):
        _w_list(w, data["descriptions"], "descriptions", "description")
    if data.get("fundingReferences"):
        w.start("fundingReferences")
        for funding in data["fundingReferences"]:
            w.start("fundingReference")
            w.leaf("funderName", funding["funderName"])
            if "funderIdentifier" in funding:
                w.leaf(
                    "funderIdentifier",
                    funding["funderIdentifier"],
                    {"funderIdentifierType": funding["funderIdentifierType"]},
                )
            if "awardNumber" in funding:
                if "awardUri" in funding:
                    w.leaf("awardNumber", funding["awardNumber"], {"awardURI": funding["awardUri"]})
                else:
                    w.leaf("awardNumber", funding["awardNumber"])
            if "awardTitle" in funding:
                w.leaf("awardTitle", funding["awardTitle"])
            w.end()
        w.end()


def xml_bytes(data: dict[str, Any]) -> bytes:
    """The ``datacite.xml`` file for DataCite JSON already built (shares the dict with JSON)."""
    w = DIALECT.writer("resource", ROOT_ATTRS)
    write_resource(w, data)
    return w.finish()


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
