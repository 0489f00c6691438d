"""The ``oai_datacite`` wrapper (schemaVersion, datacentreSymbol, payload) around DataCite XML.

Written with :mod:`.xmlwriter`; :func:`reference_element` (lxml) is the reference for the tests.
"""

from __future__ import annotations

from lxml import etree

from . import datacite_xml
from .datacite import XML_SCHEMA_VERSION, to_datacite
from .view import Record
from .xmltext import one_line
from .xmlwriter import Dialect

NS = "http://schema.datacite.org/oai/oai-1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
NSMAP = {None: NS, "xsi": XSI}
_SCHEMA_LOCATION_ATTR = f"{{{XSI}}}schemaLocation"
_SCHEMA_LOCATION_VALUE = f"{NS} {SCHEMA_LOCATION}"


DIALECT = Dialect(NSMAP)
_ROOT_ATTRS = {"xsi:schemaLocation": _SCHEMA_LOCATION_VALUE}


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
    w = DIALECT.writer("oai_datacite", _ROOT_ATTRS)
    w.leaf("schemaVersion", XML_SCHEMA_VERSION)
    w.leaf("datacentreSymbol", _symbol(record))
    w.start("payload")
    w.start("resource", datacite_xml.ROOT_ATTRS, xmlns=datacite_xml.NS)
    datacite_xml.write_resource(w, data)
    w.end("resource")
    w.end("payload")
    return w.finish()


def oai_datacite_xml(record: Record) -> bytes:
    return xml_from_json(record, to_datacite(record))


def oai_datacite_element(record: Record) -> etree._Element:
    """``<oai_datacite>`` with the record's DataCite ``<resource>`` as payload."""
    return datacite_xml.parse_fragment(oai_datacite_xml(record))
