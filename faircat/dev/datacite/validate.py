"""Metadata checks as DataCite makes them, with its error shapes.

DataCite keeps two forms of a DOI's metadata: JSON attributes (``creators``, ``titles``...) and the
DataCite XML (``xml``, base64 in the REST API). A request may carry either. DataCite turns JSON
attributes into XML and validates the XML against the kernel-4 XSD, but only when the DOI is or
becomes registered or findable: a draft may hold incomplete metadata. Here:

- XML payloads are validated with lxml against the official kernel-4 XSD shipped in
  ``faircat/dev/schemas/kernel-4`` (the same files as ``shared/schemas/datacite/kernel-4``);
- JSON payloads are turned into XML with the ``datacite`` package's 4.5 crosswalk (as DataCite
  regenerates XML from JSON) and that XML is validated the same way;
- both get a plain check of the mandatory properties first, whose messages name the property
  (the XSD's own message for a missing title lists every optional element it could accept next).

Errors are :class:`Problem` (``source``, ``title``), serialised like DataCite's
``{"source": "xml", "uid": "10.5072/x", "title": "DOI 10.5072/x: ... at line 4, column 0"}``;
``source`` uses DataCite's names (``xml`` for the root element, ``publication_year``...).
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

NS = "http://datacite.org/schema/kernel-4"
SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "kernel-4" / "metadata.xsd"

# JSON attributes that are metadata (DataCite REST names); anything else a client sends is either
# handled elsewhere (doi, prefix, suffix, url, event, xml, state) or ignored, as DataCite ignores
# attributes it does not know.
METADATA_KEYS = frozenset(
    {
        "types",
        "creators",
        "titles",
        "publisher",
        "publicationYear",
        "subjects",
        "contributors",
        "dates",
        "language",
        "identifiers",
        "alternateIdentifiers",
        "relatedIdentifiers",
        "relatedItems",
        "sizes",
        "formats",
        "version",
        "rightsList",
        "descriptions",
        "geoLocations",
        "fundingReferences",
        "schemaVersion",
        "container",
    }
)

# DataCite's shape checks (lupo's check_* validators): these list attributes hold objects.
_OBJECT_LISTS = {
    "creators": "Creator",
    "titles": "Title",
    "subjects": "Subject",
    "contributors": "Contributor",
    "dates": "Date",
    "rightsList": "Rights",
    "descriptions": "Description",
    "identifiers": "Identifier",
    "alternateIdentifiers": "Alternate identifier",
    "relatedIdentifiers": "Related identifier",
    "relatedItems": "Related item",
    "fundingReferences": "Funding reference",
    "geoLocations": "Geolocation",
}
_OBJECTS = {"types": "Types", "container": "Container"}

# DataCite reports XSD errors under its database field names (lupo XmlSchemaValidator).
_SOURCE_NAMES = {
    "date": "dates",
    "publicationYear": "publication_year",
    "alternateIdentifiers": "identifiers",
    "relatedIdentifiers": "related_identifiers",
    "geoLocations": "geo_locations",
    "rightsList": "rights_list",
    "fundingReferences": "funding_references",
    "version": "version_info",
    "resource": "xml",
}
_XSD_MESSAGE = re.compile(
    r"^Element '(?:\{[^}]*\})?([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.S
)

# lxml validators keep their error log on the object: one validation at a time.
_XSD_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation error: the attribute it concerns (DataCite's name) and a message."""

    source: str
    title: str


@functools.cache
def kernel4_schema() -> etree.XMLSchema:
    """The DataCite kernel-4 XSD, parsed once (use it under ``_XSD_LOCK``)."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def _parse(xml: bytes) -> etree._Element:
    """Parse a client's XML: no DTDs, no entities, no network. A new parser per call, as lxml
    parsers must not be used by two threads at once."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(xml, parser)


def decode_xml(value: object) -> tuple[bytes | None, list[Problem]]:
    """The ``xml`` attribute: base64 text of well-formed XML. Returns (bytes, problems)."""
    if not isinstance(value, str):
        return None, [Problem("xml", "Xml must be a base64-encoded string.")]
    try:
        # Line breaks are allowed (base64.encodebytes, MIME style), other junk is not.
        xml = base64.b64decode("".join(value.split()).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None, [Problem("xml", "Xml is not valid base64.")]
    try:
        _parse(xml)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        return None, [Problem("xml", f"{exc.msg} at line {line}, column {column}")]
    return xml, []


def normalize(metadata: dict[str, Any]) -> dict[str, Any]:
    """DataCite's own normalisations: a publisher string becomes ``{"name": ...}`` (4.5), the year
    a string, a missing schemaVersion the kernel-4 one. Keys set to None are removed."""
    data = {key: value for key, value in metadata.items() if value is not None}
    if isinstance(data.get("publisher"), str):
        data["publisher"] = {"name": data["publisher"]}
    if isinstance(data.get("publicationYear"), int) and not isinstance(
        data["publicationYear"], bool
    ):
        data["publicationYear"] = str(data["publicationYear"])
    data.setdefault("schemaVersion", SCHEMA_VERSION)
    return data


def shape_problems(metadata: dict[str, Any]) -> list[Problem]:
    """Objects where objects belong, checked on every save as DataCite does (drafts included)."""
    problems = []
    for key, noun in _OBJECT_LISTS.items():
        if key not in metadata:
            continue
        value = metadata[key]
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                problems.append(
                    Problem(key, f"{noun} '{item}' should be an object instead of a string.")
                )
    for key, noun in _OBJECTS.items():
        if key in metadata and not isinstance(metadata[key], dict):
            problems.append(
                Problem(key, f"{noun} '{metadata[key]}' should be an object instead of a string.")
            )
    return problems


def mandatory_problems(metadata: dict[str, Any]) -> list[Problem]:
    """The mandatory DataCite properties, each named in its own message.

    DOI is not checked here: the server always knows it. ``types`` must be an object (see
    :func:`shape_problems`) for its resourceTypeGeneral to be read.
    """
    problems = []
    creators = metadata.get("creators")
    if not isinstance(creators, list) or not any(
        isinstance(c, dict) and _text(c.get("name")) for c in creators
    ):
        problems.append(
            Problem("creators", "Creators are missing: at least one creator with a name.")
        )
    titles = metadata.get("titles")
    if not isinstance(titles, list) or not any(
        isinstance(t, dict) and _text(t.get("title")) for t in titles
    ):
        problems.append(Problem("titles", "Titles are missing: at least one non-empty title."))
    publisher = metadata.get("publisher")
    name = publisher.get("name") if isinstance(publisher, dict) else publisher
    if not _text(name):
        problems.append(Problem("publisher", "Publisher is missing."))
    year = metadata.get("publicationYear")
    if not _text(year):
        problems.append(Problem("publication_year", "Publication year is missing."))
    elif not re.fullmatch(r"\d{4}", str(year).strip()):
        problems.append(
            Problem("publication_year", f"Publication year '{year}' is not a four-digit year.")
        )
    types = metadata.get("types")
    if not (isinstance(types, dict) and _text(types.get("resourceTypeGeneral"))):
        problems.append(
            Problem("types", "Resource type general (types.resourceTypeGeneral) is missing.")
        )
    return problems


def xsd_problems(doi: str, xml: bytes) -> list[Problem]:
    """Every kernel-4 XSD error, worded as DataCite words them (``DOI x: ... at line L, column C``).

    The source is the local name of the element at fault, renamed as DataCite names it (the root
    element ``resource`` is ``xml``).
    """
    try:
        root = _parse(xml)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        return [Problem("xml", f"{exc.msg} at line {line}, column {column}")]
    schema = kernel4_schema()
    with _XSD_LOCK:
        if schema.validate(root):
            return []
        errors = list(schema.error_log)
    problems = []
    for error in errors:
        match = _XSD_MESSAGE.match(error.message)
        if match:
            element, attribute, text = match.groups()
            source = _SOURCE_NAMES.get(element, element)
            if attribute:
                text = f"Attribute '{attribute}': {text}"
        else:
            source, text = "xml", error.message
        where = f" at line {error.line}, column {error.column}"
        problems.append(Problem(source, f"DOI {doi}: {text.strip()}{where}"))
    return problems


def metadata_from_xml(xml: bytes) -> dict[str, Any]:
    """The JSON attributes DataCite derives from XML, limited to the mandatory properties.

    Enough for the JSON:API view and the mandatory check; the XML itself stays the record.
    """
    root = _parse(xml)
    ns = {"d": root.nsmap.get(None, NS)}
    data: dict[str, Any] = {}
    creators = []
    for creator in root.iterfind("d:creators/d:creator", ns):
        entry: dict[str, Any] = {"name": _child_text(creator, "d:creatorName", ns)}
        name = creator.find("d:creatorName", ns)
        if name is not None and name.get("nameType"):
            entry["nameType"] = name.get("nameType")
        for key in ("givenName", "familyName"):
            value = _child_text(creator, f"d:{key}", ns)
            if value:
                entry[key] = value
        creators.append(entry)
    if creators:
        data["creators"] = creators
    titles = []
    for title in root.iterfind("d:titles/d:title", ns):
        entry = {"title": (title.text or "").strip()}
        if title.get("titleType"):
            entry["titleType"] = title.get("titleType")
        titles.append(entry)
    if titles:
        data["titles"] = titles
    publisher = root.find("d:publisher", ns)
    if publisher is not None:
        data["publisher"] = {"name": (publisher.text or "").strip()}
    year = _child_text(root, "d:publicationYear", ns)
    if year:
        data["publicationYear"] = year
    resource_type = root.find("d:resourceType", ns)
    if resource_type is not None:
        data["types"] = {
            "resourceTypeGeneral": resource_type.get("resourceTypeGeneral", ""),
            "resourceType": (resource_type.text or "").strip(),
        }
    data["schemaVersion"] = root.nsmap.get(None, SCHEMA_VERSION)
    return data


def xml_from_metadata(doi: str, metadata: dict[str, Any]) -> tuple[bytes | None, Problem | None]:
    """DataCite XML from JSON attributes, through the ``datacite`` package's 4.5 crosswalk.

    Returns (xml, None), or (None, problem) when the attributes cannot be turned into XML at all.
    """
    from datacite import schema45  # imported late: only JSON payloads need it

    data = copy.deepcopy(metadata)  # the crosswalk must not touch the stored attributes
    data["doi"] = doi
    try:
        text = schema45.tostring(data)
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        message = f"DOI {doi}: metadata cannot be written as DataCite XML ({exc})."
        return None, Problem("xml", message)
    return text.encode("utf-8"), None


def registrable_problems(doi: str, metadata: dict[str, Any], xml: bytes | None) -> list[Problem]:
    """Everything that keeps a DOI from being registered or findable: mandatory properties and
    the XSD. ``xml`` None means the JSON attributes could not be converted; say why."""
    problems = mandatory_problems(metadata)
    if xml is None:
        xml, problem = xml_from_metadata(doi, metadata)
        if xml is None:
            return [*problems, problem or Problem("xml", "Can't be blank")]
    return [*problems, *xsd_problems(doi, xml)]


def _text(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _child_text(element: etree._Element, path: str, ns: dict[str, str]) -> str:
    child = element.find(path, ns)
    return (child.text or "").strip() if child is not None else ""
