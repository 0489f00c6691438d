"""Dublin Core for OAI-PMH (``oai_dc``), with the OpenAIRE conventions for access and embargo.

The bytes are written as text (constant markup, every value through ``xmlwriter.safe_text``);
:func:`reference_element` (lxml) is the reference the tests compare them with, and
:func:`oai_dc_element` parses the bytes back (faster than building the tree, and the same tree).
"""

from __future__ import annotations

from lxml import etree

from .identifiers import DOI_RESOLVER, doi_url, pid_url
from .prepared import Prepared, prepare
from .rights import access_right, licence
from .view import Record
from .xmltext import one_line
from .xmlwriter import DECLARATION, safe_text

NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
NSMAP = {"oai_dc": NS, "dc": DC, "xsi": XSI}
_ROOT = f"{{{NS}}}dc"
_SCHEMA_LOCATION_ATTR = f"{{{XSI}}}schemaLocation"
_SCHEMA_LOCATION_VALUE = f"{NS} {SCHEMA_LOCATION}"
_DC = {
    name: f"{{{DC}}}{name}"
    for name in [
        "title",
        "creator",
        "subject",
        "description",
        "publisher",
        "contributor",
        "date",
        "type",
        "format",
        "identifier",
        "language",
        "relation",
        "rights",
    ]
}


def dc_terms(record: Record, prepared: Prepared | None = None) -> list[tuple[str, str]]:
    """(element, value) pairs in display order; also the source of the DC meta tags."""
    p = prepare(record, prepared)
    terms = [("title", p.title)]
    for who in record.creators:
        name = p.agent(who).name
        if name:
            terms.append(("creator", name))
    for technique in record.techniques:
        name = one_line(technique.name)
        if name:
            terms.append(("subject", name))
    terms += [("subject", word) for word in map(one_line, record.keywords) if word]
    if p.abstract:
        terms.append(("description", p.abstract))
    terms.append(("publisher", p.publisher))
    for contributor in record.contributors:
        name = p.agent(contributor.agent).name
        if name:
            terms.append(("contributor", name))
    dates = record.dates
    published = dates.available or dates.issued  # the date that gives the publication year
    terms.append(("date", published.isoformat() if published else str(p.year)))
    if record.access == "embargoed" and dates.available is not None:
        terms.append(("date", f"info:eu-repo/date/embargoEnd/{dates.available.isoformat()}"))
    terms.append(("type", "Dataset" if record.kind == "dataset" else "Collection"))
    terms.append(("type", "info:eu-repo/semantics/other"))
    if record.formats:
        terms += [("format", fmt) for fmt in dict.fromkeys(map(one_line, record.formats)) if fmt]
    terms.append(("identifier", DOI_RESOLVER + p.doi))
    terms.append(("identifier", p.landing))
    language = one_line(record.language)
    if language:
        terms.append(("language", language))
    for ref in (*record.part_of, *record.parts, *record.inputs):
        terms.append(("relation", doi_url(ref.doi) if ref.doi else one_line(ref.url)))
    for item in record.related:
        identifier = one_line(item.identifier)
        if identifier:
            terms.append(("relation", pid_url(identifier, item.identifier_type)))
    terms.append(("rights", access_right(record).eu_repo))
    terms.append(("rights", licence(record).url))
    return terms


# Text serialisation, as in .datacite_xml: constant markup, every value through safe_text.
_ROOT_OPEN = (
    f'{DECLARATION}<oai_dc:dc xmlns:oai_dc="{NS}" xmlns:dc="{DC}" xmlns:xsi="{XSI}" '
    f'xsi:schemaLocation="{_SCHEMA_LOCATION_VALUE}">'
)
_OPEN = {name: f"\n  <dc:{name}>" for name in _DC}
_CLOSE = {name: f"</dc:{name}>" for name in _DC}


def reference_element(record: Record) -> etree._Element:
    """The ``<oai_dc:dc>`` element built with lxml: the reference for the writer's bytes."""
    root = etree.Element(_ROOT, nsmap=NSMAP)
    root.set(_SCHEMA_LOCATION_ATTR, _SCHEMA_LOCATION_VALUE)
    for name, value in dc_terms(record):
        etree.SubElement(root, _DC[name]).text = value
    return root


def xml_from_terms(terms: list[tuple[str, str]]) -> bytes:
    """The ``oai_dc`` document for :func:`dc_terms` output (an unknown element name: KeyError)."""
    if not terms:
        return (_ROOT_OPEN[:-1] + "/>\n").encode("utf-8")
    out = [_ROOT_OPEN]
    for name, value in terms:
        out += (_OPEN[name], safe_text(value), _CLOSE[name])
    out.append("\n</oai_dc:dc>\n")
    return "".join(out).encode("utf-8")


def oai_dc_xml(record: Record) -> bytes:
    return xml_from_terms(dc_terms(record))


def oai_dc_element(record: Record) -> etree._Element:
    """The ``<oai_dc:dc>`` element for an OAI-PMH ``<metadata>``."""
    from .datacite_xml import parse_fragment

    return parse_fragment(oai_dc_xml(record))
