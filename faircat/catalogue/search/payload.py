"""A search result as JSON (pure): what the JSON API answers for the query the portal runs.

``items`` are the page's datasets, ``next`` the token of the next page (None on the last),
``total`` and ``facets`` count only what the caller may read. Dates are ISO 8601 in UTC.
"""

from __future__ import annotations

from typing import Any

from faircat.catalogue.search.executor import SearchResult
from faircat.catalogue.search.hits import Hit


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.dataset_id,
        "name": hit.name,
        "display_name": hit.display_name,
        "type": hit.type,
        "experiment": hit.experiment,
        "experiment_title": hit.experiment_title,
        "state": hit.state.value,
        "beamline": hit.beamline,
        "techniques": list(hit.techniques),
        "sample": hit.sample,
        "formula": hit.formula,
        "start": hit.start.isoformat() if hit.start else None,
        "doi": hit.doi,
        "score": hit.score,
    }


def result_json(result: SearchResult) -> dict[str, Any]:
    return {
        "items": [hit_json(h) for h in result.hits],
        "total": result.total,
        "next": result.next,
        "facets": {
            name: [
                {"value": v.key, "label": v.label, "count": v.count, "selected": v.selected}
                for v in values
            ]
            for name, values in result.facets.items()
        },
    }
