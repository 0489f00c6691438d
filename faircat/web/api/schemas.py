"""JSON Schemas of the API's answers (OpenAPI 3.1 uses JSON Schema 2020-12 as it is)."""

from __future__ import annotations

from typing import Any

NULLABLE_STRING = {"type": ["string", "null"]}
DATETIME = {"type": ["string", "null"], "format": "date-time"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return _object(
        {
            "items": {"type": "array", "items": item},
            "total": {"type": "integer", "minimum": 0},
            "next": NULLABLE_STRING,
        }
    )


EXPERIMENT_SUMMARY = _object(
    {
        "label": {"type": "string"},
        "title": {"type": "string"},
        "state": {
            "type": "string",
            "enum": ["scheduled", "active", "embargoed", "public", "withdrawn"],
        },
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "release": {"type": "string", "format": "date-time"},
        "doi": NULLABLE_STRING,
        "beamlines": {"type": "array", "items": {"type": "string"}},
        "datasets": {"type": "integer", "minimum": 0},
    }
)
EXPERIMENT = _object(
    {
        **EXPERIMENT_SUMMARY["properties"],
        "summary": NULLABLE_STRING,
        "kept_until": {"type": "string", "format": "date-time"},
        "members": {
            "type": "array",
            "items": _object(
                {"name": {"type": "string"}, "role": {"type": "string"}, "orcid": NULLABLE_STRING}
            ),
        },
    }
)
DATASET_ROW = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "display_name": {"type": "string"},
        "type": {"type": "string", "enum": ["raw", "processed", "calibration"]},
        "sample": NULLABLE_STRING,
        "start": DATETIME,
        "end": DATETIME,
        "size": {"type": "integer", "minimum": 0},
        "file_count": {"type": "integer", "minimum": 0},
        "doi": NULLABLE_STRING,
        "techniques": {"type": "array", "items": {"type": "string"}},
    }
)
DATASET = _object(
    {
        **DATASET_ROW["properties"],
        "experiment": {"type": "string"},
        "title": NULLABLE_STRING,
        "description": NULLABLE_STRING,
        "complete": {"type": "boolean"},
        "inputs": {"type": "array", "items": {"type": "integer"}},
        "outputs": {"type": "array", "items": {"type": "integer"}},
    }
)
FILE = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "checksum": NULLABLE_STRING,
        "format": NULLABLE_STRING,
        "modified": DATETIME,
    }
)
PARAMETER = _object(
    {
        "name": {"type": "string"},
        "value": {"type": ["number", "string", "null"]},
        "unit": {"type": "string"},
        "error": {"type": ["number", "null"]},
    }
)
SAMPLE = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "description": NULLABLE_STRING,
        "formula": NULLABLE_STRING,
        "datasets": {"type": "integer", "minimum": 0},
    }
)
