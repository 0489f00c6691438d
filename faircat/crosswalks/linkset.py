"""FAIR Signposting level 2: the ``linkset.json`` beside each landing page (RFC 9264).

Every link context has an absolute ``anchor``. The landing page carries cite-as, type, author,
license, describedby (each metadata file) and item (each public file); each file points back with
``collection``, each metadata file with ``describes``. Also the source of the level-1 ``<link>``
elements: :func:`page_links` gives the page's links as (rel, href, type) triples.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import jsontext, mandatory
from .identifiers import doi_url, orcid_uri
from .rights import licence
from .urls import file_url, landing_url, metadata_url
from .view import Organization, Record
from .xmltext import one_line

MEDIA_TYPE = "application/linkset+json"
PAGE_TYPES = ("https://schema.org/Dataset", "https://schema.org/AboutPage")


def page_links(
    record: Record, metadata_files: Iterable[tuple[str, str]]
) -> list[tuple[str, str, str]]:
    """(rel, href, media type or "") for the landing page, in a stable order.

    ``metadata_files`` are (file name, media type) pairs, from :func:`.registry.metadata_files`.
    """
    mandatory.check(record)
    links = [("cite-as", doi_url(mandatory.doi(record)), "")]
    links += [("type", href, "") for href in PAGE_TYPES]
    for who in record.creators:
        if not isinstance(who, Organization):
            orcid = orcid_uri(who.orcid)
            if orcid:
                links.append(("author", orcid, ""))
    for file_name, media_type in metadata_files:
        links.append(("describedby", metadata_url(record, file_name), media_type))
    if record.access == "open":
        for file in record.files:
            links.append(("item", file_url(record, file), one_line(file.media_type)))
    links.append(("license", licence(record).spdx_url, ""))
    links.append(("linkset", metadata_url(record, "linkset.json"), MEDIA_TYPE))
    return links


def to_linkset(record: Record, metadata_files: Iterable[tuple[str, str]]) -> dict[str, Any]:
    page = landing_url(record)
    metadata_files = list(metadata_files)
    context: dict[str, Any] = {"anchor": page}
    for rel, href, media_type in page_links(record, metadata_files):
        if rel == "linkset":
            continue  # a linkset does not point at itself
        target = {"href": href, "type": media_type} if media_type else {"href": href}
        context.setdefault(rel, []).append(target)
    contexts = [context]
    back = [{"href": page, "type": "text/html"}]
    for file_name, _media_type in metadata_files:
        contexts.append({"anchor": metadata_url(record, file_name), "describes": back})
    if record.access == "open":
        for file in record.files:
            contexts.append({"anchor": file_url(record, file), "collection": back})
    return {"linkset": contexts}


def linkset_json(record: Record, metadata_files: Iterable[tuple[str, str]]) -> bytes:
    data = to_linkset(record, metadata_files)
    return jsontext.indented(data)
