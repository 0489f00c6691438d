"""Tests of the dev tools; helpers shared by the dev DataCite tests.

Metadata is written here by hand (kernel-4 XML and DataCite REST JSON) so that these tests do not
move when the crosswalks change; one contract test also sends the crosswalks' own output.
"""

from __future__ import annotations

import base64
from typing import Any

NS = "http://datacite.org/schema/kernel-4"


def xml_record(
    doi: str,
    *,
    title: str | None = "Lysozyme crystal, collection 1",
    resource_type_general: str = "Dataset",
    year: str = "2024",
) -> bytes:
    """A small kernel-4 record; ``title=None`` leaves out <titles> (invalid for DataCite)."""
    titles = f"<titles><title>{title}</title></titles>" if title is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<resource xmlns="{NS}">\n'
        f'  <identifier identifierType="DOI">{doi.upper()}</identifier>\n'
        f'  <creators><creator><creatorName nameType="Personal">García, Anna</creatorName>'
        f"<givenName>Anna</givenName><familyName>García</familyName></creator></creators>\n"
        f"  {titles}\n"
        f"  <publisher>ALBA Synchrotron</publisher>\n"
        f"  <publicationYear>{year}</publicationYear>\n"
        f'  <resourceType resourceTypeGeneral="{resource_type_general}">Scan</resourceType>\n'
        f"</resource>\n"
    ).encode()


def xml_attribute(xml: bytes) -> str:
    """The REST API's ``xml`` attribute: base64 of the XML."""
    return base64.b64encode(xml).decode("ascii")


def json_metadata(title: str = "Scan 1", **changes: Any) -> dict[str, Any]:
    """Complete DataCite REST JSON metadata (the mandatory properties); ``changes`` override,
    a value None removes the key."""
    data: dict[str, Any] = {
        "creators": [
            {
                "name": "García, Anna",
                "nameType": "Personal",
                "givenName": "Anna",
                "familyName": "García",
            }
        ],
        "titles": [{"title": title}],
        "publisher": {"name": "ALBA Synchrotron"},
        "publicationYear": "2024",
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Scan"},
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}
