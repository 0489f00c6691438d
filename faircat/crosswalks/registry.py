"""The metadata formats, as data: what the publisher writes and the OAI-PMH provider offers.

A new format is one module with a ``Record -> bytes`` function (and, for XML that OAI-PMH embeds,
a ``Record -> Element`` one) plus one :class:`Format` entry in :data:`FORMATS`. The publisher writes
every format with a ``file_name`` beside the landing page and links those with ``describes``
set as ``describedby``; the OAI-PMH provider offers every format with an ``oai_prefix``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from . import citations, datacite, datacite_xml, linkset, oai_datacite, oai_dc, schemaorg
from .prepared import Prepared
from .view import Record


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    media_type: str
    render: Callable[[Record], bytes]
    file_name: str = ""  # published beside the landing page under this name; "" for none
    describes: bool = True  # a metadata file linked from the page with rel=describedby
    namespace: str = ""  # XML formats: the root element's namespace
    schema: str = ""  # the official schema's URL (XSD or JSON schema)
    oai_prefix: str = ""  # offered by the OAI-PMH provider under this metadataPrefix
    element: Callable[[Record], etree._Element] | None = None  # XML: the element OAI embeds


def _linkset(record: Record) -> bytes:
    return linkset.linkset_json(record, metadata_files())


FORMATS: tuple[Format, ...] = (
    Format(
        "datacite-xml",
        "application/vnd.datacite.datacite+xml",
        datacite_xml.datacite_xml,
        file_name="datacite.xml",
        namespace=datacite_xml.NS,
        schema=datacite_xml.SCHEMA_LOCATION,
        oai_prefix="datacite",
        element=datacite_xml.datacite_element,
    ),
    Format(
        "datacite-json",
        "application/vnd.datacite.datacite+json",
        datacite.datacite_json,
        file_name="datacite.json",
        schema="https://github.com/inveniosoftware/datacite/blob/master/datacite/schemas/datacite-v4.5.json",
    ),
    Format(
        "schemaorg",
        "application/ld+json",
        schemaorg.schemaorg_jsonld,
        file_name="schemaorg.jsonld",
        namespace="https://schema.org/",
    ),
    Format("bibtex", "application/x-bibtex", citations.bibtex, file_name="citation.bib"),
    Format("ris", "application/x-research-info-systems", citations.ris, file_name="citation.ris"),
    Format(
        "csl-json",
        "application/vnd.citationstyles.csl+json",
        citations.csl_json,
        file_name="citation.csl.json",
        schema="https://resource.citationstyles.org/schema/latest/input/json/csl-data.json",
    ),
    Format("citation", "text/x-bibliography", citations.citation_text, file_name="citation.txt"),
    Format("linkset", linkset.MEDIA_TYPE, _linkset, file_name="linkset.json", describes=False),
    Format(
        "oai_dc",
        "application/xml",
        oai_dc.oai_dc_xml,
        namespace=oai_dc.NS,
        schema=oai_dc.SCHEMA_LOCATION,
        oai_prefix="oai_dc",
        element=oai_dc.oai_dc_element,
    ),
    Format(
        "oai_datacite",
        "application/xml",
        oai_datacite.oai_datacite_xml,
        namespace=oai_datacite.NS,
        schema=oai_datacite.SCHEMA_LOCATION,
        oai_prefix="oai_datacite",
        element=oai_datacite.oai_datacite_element,
    ),
)

BY_NAME = {fmt.name: fmt for fmt in FORMATS}


def get(name: str) -> Format:
    """The format called ``name``; KeyError names the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown metadata format {name!r}; known: {', '.join(BY_NAME)}") from None


def file_formats() -> Iterator[Format]:
    """Formats published as files beside the landing page."""
    return (fmt for fmt in FORMATS if fmt.file_name)


def oai_formats() -> Iterator[Format]:
    """Formats the OAI-PMH provider offers (each has ``oai_prefix``, ``namespace``, ``schema``)."""
    return (fmt for fmt in FORMATS if fmt.oai_prefix)


def oai_format(prefix: str) -> Format | None:
    return next((fmt for fmt in FORMATS if fmt.oai_prefix == prefix), None)


def metadata_files() -> list[tuple[str, str]]:
    """(file name, media type) of every file the landing page links with ``describedby``."""
    return [(fmt.file_name, fmt.media_type) for fmt in FORMATS if fmt.file_name and fmt.describes]


CORE_FILES = ("datacite.xml", "datacite.json", "schemaorg.jsonld", "oai_dc.xml")


def render_core(record: Record) -> dict[str, bytes]:
    """The four hot formats by name (:data:`CORE_FILES`), sharing their intermediate values.

    ``datacite.xml``, ``datacite.json`` and ``schemaorg.jsonld`` (published files) and
    ``oai_dc.xml`` (the OAI-PMH fragment), byte-equal to each format's own function: the mandatory
    check, cleaned names, landing URL and abstract are computed once (:class:`.prepared.Prepared`)
    and the DataCite dict serves both DataCite files. Raises MetadataError when incomplete.
    """
    prepared = Prepared(record)
    return core_files(record, prepared, datacite.to_datacite(record, prepared))


def core_files(record: Record, prepared: Prepared, data: dict[str, Any]) -> dict[str, bytes]:
    """:func:`render_core` for the record's :class:`Prepared` and DataCite dict already built
    (the publisher also makes oai_datacite from the same dict)."""
    return {
        "datacite.xml": datacite_xml.xml_bytes(data),
        "datacite.json": datacite.json_bytes(data),
        "schemaorg.jsonld": schemaorg.jsonld_bytes(schemaorg.to_schemaorg(record, prepared)),
        "oai_dc.xml": oai_dc.xml_from_terms(oai_dc.dc_terms(record, prepared)),
    }


def render_files(record: Record) -> dict[str, bytes]:
    """Every published file of ``record`` by file name; raises MetadataError when incomplete.

    Equal to calling each format's ``render``, but the DataCite and schema.org files come from
    :func:`render_core` (shared intermediate values).
    """
    core = render_core(record)
    return {
        fmt.file_name: core[fmt.file_name] if fmt.file_name in core else fmt.render(record)
        for fmt in file_formats()
    }
