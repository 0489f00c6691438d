"""Where a record's landing page, metadata files and data files live on the public site.

Scheme: ``{base_url}/doi/{prefix}/{suffix}/`` for the page, metadata files beside it under the
file names of the format registry (``datacite.xml``, ``linkset.json``...), data files at their
``path`` relative to the page.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from .identifiers import bare_doi
from .view import FileView, Record

# RFC 3986 unreserved plus the sub-delimiters that are harmless in a path segment.
_SAFE = "/-._~!$'()*+,;=:@"
# Text quote(text, safe=_SAFE) returns unchanged: checked first, since quote() costs ~2 µs.
_PLAIN = re.compile(r"[A-Za-z0-9/\-._~!$'()*+,;=:@]*\Z")


def _quote(text: str) -> str:
    return text if _PLAIN.match(text) else quote(text, safe=_SAFE)


def doi_path(doi: str) -> str:
    """``doi/10.5072/alba.42/`` for ``10.5072/alba.42``: relative path of the landing page.

    Path segments ``.`` and ``..`` (legal in a DOI suffix) are percent-encoded so the page can
    never land outside the ``doi/`` tree.
    """
    segments = []
    for segment in bare_doi(doi).split("/"):
        if segment in (".", ".."):
            segments.append(segment.replace(".", "%2E"))
        else:
            segments.append(_quote(segment))
    return "doi/" + "/".join(segments) + "/"


def landing_url_for(base_url: str, doi: str) -> str:
    return base_url.rstrip("/") + "/" + doi_path(doi)


def landing_url(record: Record) -> str:
    """The record's absolute landing URL: its own, else derived from the facility and DOI."""
    if record.landing_url:
        return record.landing_url
    if record.doi:
        return landing_url_for(record.facility.base_url, record.doi)
    return (
        record.facility.base_url.rstrip("/") + "/records/" + quote(record.local_id, safe="") + "/"
    )


def metadata_url(record: Record, file_name: str) -> str:
    """URL of a metadata file beside the landing page (``file_name`` from the registry)."""
    page = landing_url(record)
    return page + quote(file_name) if page.endswith("/") else page + "/" + quote(file_name)


def file_url(record: Record, file: FileView) -> str:
    """Download URL of a public file."""
    if file.url:
        return file.url
    return file_url_from(landing_url(record), file)


def file_url_from(page: str, file: FileView) -> str:
    """:func:`file_url` for the record's landing URL ``page`` already computed."""
    if file.url:
        return file.url
    if not page.endswith("/"):
        page += "/"
    return page + _quote(file.path.lstrip("/"))
