"""JSON:API documents in DataCite's shapes: DOI resources, listings and error objects."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from .store import DoiRecord, iso_time


def doi_resource(
    record: DoiRecord, *, detail: bool = True, publisher_object: bool = False
) -> dict[str, Any]:
    """One ``dois`` resource as DataCite serialises it.

    ``detail`` adds ``xml`` (DataCite includes it for a single DOI and for listings asked with
    ``detail=true``). ``publisher`` is a string unless ``publisher_object`` (DataCite's
    ``publisher=true`` parameter, the 4.5 object with name and identifiers).
    """
    metadata = dict(record.metadata)
    publisher = metadata.get("publisher")
    if isinstance(publisher, dict) and not publisher_object:
        metadata["publisher"] = publisher.get("name")
    year = metadata.get("publicationYear")
    if isinstance(year, str) and year.isdigit():
        metadata["publicationYear"] = int(year)  # DataCite answers a number
    attributes: dict[str, Any] = {
        "doi": record.doi,
        "prefix": record.prefix,
        "suffix": record.suffix,
        "identifiers": metadata.pop("identifiers", []),
        **metadata,
        "url": record.url,
        "state": record.state,
        "isActive": record.state == "findable",
        "metadataVersion": record.metadata_version,
        "created": iso_time(record.created),
        "registered": iso_time(record.registered) if record.registered else None,
        "updated": iso_time(record.updated),
    }
    if detail:
        attributes["xml"] = record.xml_base64
    return {
        "id": record.doi,
        "type": "dois",
        "attributes": attributes,
        "relationships": {"client": {"data": {"id": record.client_id, "type": "clients"}}},
    }


def error(status: int, title: str | None = None) -> dict[str, Any]:
    """``{"errors": [{"status": "404", "title": ...}]}``; the title defaults to the reason."""
    return {"errors": [{"status": str(status), "title": title or HTTPStatus(status).phrase}]}
