"""The ``oai_datacite`` wrapper (schemaVersion, datacentreSymbol, payload) around DataCite XML."""

from __future__ import annotations

from lxml import etree

from .datacite import XML_SCHEMA_VERSION
from .datacite_xml import datacite_element
from .view import Record
from .xmltext import one_line

NS = "http://schema.datacite.org/oai/oai-1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
NSMAP = {None: NS, "xsi": XSI}
_SCHEMA_LOCATION_ATTR = f"{{{XSI}}}schemaLocation"
_SCHEMA_LOCATION_VALUE = f"{NS} {SCHEMA_LOCATION}"


def oai_datacite_element(record: Record) -> etree._Element:
    """``<oai_datacite>`` with the record's DataCite ``<resource>`` as payload."""
    resource = datacite_element(record)
    root = etree.Element(f"{{{NS}}}oai_datacite", nsmap=NSMAP)
    root.set(_SCHEMA_LOCATION_ATTR, _SCHEMA_LOCATION_VALUE)
    etree.SubElement(root, f"{{{NS}}}schemaVersion").text = XML_SCHEMA_VERSION
    symbol = one_line(record.facility.datacite_symbol) or one_line(record.facility.name)
    etree.SubElement(root, f"{{{NS}}}datacentreSymbol").text = symbol
    etree.SubElement(root, f"{{{NS}}}payload").append(resource)
    return root


def oai_datacite_xml(record: Record) -> bytes:
    return etree.tostring(
        oai_datacite_element(record), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
