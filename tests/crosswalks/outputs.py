"""Every output of the crosswalks for one record, by golden file name."""

from __future__ import annotations

import json

from faircat.crosswalks import citations, oai_datacite, oai_dc, panosc, registry
from faircat.crosswalks.view import Record


def panosc_json(record: Record) -> bytes:
    data = panosc.dataset(record) if record.kind == "dataset" else panosc.document(record)
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def outputs(record: Record) -> dict[str, bytes]:
    """File name -> bytes: the published files plus the OAI, CSL-style and PaNOSC outputs."""
    result = registry.render_files(record)
    result["oai_dc.xml"] = oai_dc.oai_dc_xml(record)
    result["oai_datacite.xml"] = oai_datacite.oai_datacite_xml(record)
    for style in citations.STYLES:
        result[f"citation.{style}.txt"] = citations.render_style(record, style).encode() + b"\n"
    result["panosc.json"] = panosc_json(record)
    return result


FILE_NAMES = (
    *(fmt.file_name for fmt in registry.file_formats()),
    "oai_dc.xml",
    "oai_datacite.xml",
    *(f"citation.{style}.txt" for style in citations.STYLES),
    "panosc.json",
)
