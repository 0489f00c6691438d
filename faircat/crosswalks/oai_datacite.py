"""The ``oai_datacite`` wrapper (schemaVersion, datacentreSymbol, payload) around DataCite XML.

Written as text around :func:`.datacite_xml.write_resource`; :func:`reference_element` (lxml)
is the reference for the tests.
"""

from __future__ import annotations

from lxml import etree

from . import datacite_xml
from .datacite import XML_SCHEMA_VERSION, to_datacite
from .view import Record
from .xmltext import one_line
from .xmlwriter import DECLARATION, safe_text

NS = "http://schema.datacite.org/oai/oai-1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
NSMAP = {None: NS, "xsi": XSI}
_SCHEMA_LOCATION_ATTR = f"{{{XSI}}}schemaLocation"
_SCHEMA_LOCATION_VALUE = f"{NS} {SCHEMA_LOCATION}"


_HEAD = (
    f'{DECLARATION}<oai_datacite xmlns="{NS}" xmlns:xsi="{XSI}" '
    f'xsi:schemaLocation="{_SCHEMA_LOCATION_VALUE}">\n'
    f"  <schemaVersion>{XML_SCHEMA_VERSION}</schemaVersion>\n  <datacentreSymbol>"
)
_PAYLOAD = f"</datacentreSymbol>\n  <payload>\n    {datacite_xml.NESTED_OPEN}"
_TAIL = "\n    </resource>\n  </payload>\n</oai_datacite>\n"


def _symbol(record: Record) -> str:
    return one_line(record.facility.datacite_symbol) or one_line(record.facility.name)


def reference_element(record: Record) -> etree._Element:
    """``<oai_datacite>`` built with lxml: the reference for the writer's bytes."""
    resource = datacite_xml.element_from_json(to_datacite(record))
    root = etree.Element(f"{{{NS}}}oai_datacite", nsmap=NSMAP)
    root.set(_SCHEMA_LOCATION_ATTR, _SCHEMA_LOCATION_VALUE)
    etree.SubElement(root, f"{{{NS}}}schemaVersion").text = XML_SCHEMA_VERSION
    etree.SubElement(root, f"{{{NS}}}datacentreSymbol").text = _symbol(record)
    etree.SubElement(root, f"{{{NS}}}payload").append(resource)
    return root


def xml_from_json(record: Record, data: dict) -> bytes:
    """The ``oai_datacite`` document around DataCite JSON already built."""
    out = [_HEAD, safe_text(_symbol(record)), _PAYLOAD]
    datacite_xml.write_resource(out, data, depth=3)
    out.append(_TAIL)
    return "".join(out).encode("utf-8")


def oai_datacite_xml(record: Record) -> bytes:
    return xml_from_json(record, to_datacite(record))


def oai_datacite_element(record: Record) -> etree._Element:
    """``<oai_datacite>`` with the record's DataCite ``<resource>`` as payload."""
    return datacite_xml.parse_fragment(oai_datacite_xml(record))
