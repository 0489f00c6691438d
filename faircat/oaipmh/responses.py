"""The XML of every response, built by concatenating strings.

Stored metadata fragments are embedded as they are, as the UTF-8 bytes the repository returns
(they were serialised and validated at publish time); everything else that reaches the output -
arguments echoed back, error messages, set names, tokens - goes through :func:`text` /
:func:`attr`, which escape markup and drop the characters XML 1.0 forbids, so the response is
well-formed whatever a client sends. Bodies and whole documents are UTF-8 bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from faircat.crosswalks.xmlwriter import safe_attr, safe_text
from faircat.oaipmh.dates import format_datestamp
from faircat.oaipmh.repository import Row

_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/'
    ' http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
)
_CLOSE = b"</OAI-PMH>\n"


# Character data and attribute values: cleaned of what XML 1.0 forbids, escaped.
text = safe_text
attr = safe_attr


def envelope(
    now: datetime, base_url: str, request: Iterable[tuple[str, str]], body: bytes | list[bytes]
) -> bytes:
    """The response document; ``body`` may be the parts of a list response, joined only here
    (a ListRecords page is ~480 kB: every intermediate join would copy it once more)."""
    attributes = "".join(f' {key}="{attr(value)}"' for key, value in request)
    head = (
        f"{_OPEN}<responseDate>{format_datestamp(now)}</responseDate>"
        f"<request{attributes}>{text(base_url)}</request>"
    ).encode()
    if isinstance(body, bytes):
        return b"".join((head, body, _CLOSE))
    body.insert(0, head)
    body.append(_CLOSE)
    return b"".join(body)


def error(code: str, message: str) -> bytes:
    return f'<error code="{code}">{text(message)}</error>'.encode()


def _header_open(row: Row, identifier_prefix: str, datestamp: str) -> bytes:
    """The header up to its setSpecs."""
    status = ' status="deleted"' if row.deleted else ""
    return (
        f"<header{status}><identifier>{identifier_prefix}{text(row.pid)}</identifier>"
        f"<datestamp>{datestamp}</datestamp>"
    ).encode()


def header(row: Row, identifier_prefix: str) -> bytes:
    head = _header_open(row, identifier_prefix, format_datestamp(row.datestamp))
    return b"".join((head, row.set_specs, b"</header>"))


def record(row: Row, identifier_prefix: str) -> bytes:
    return records([row], identifier_prefix)


def records(rows: Iterable[Row], identifier_prefix: str) -> bytes:
    """The ``<record>`` elements of ``rows``."""
    return b"".join(record_parts(rows, identifier_prefix))


def record_parts(rows: Iterable[Row], identifier_prefix: str) -> list[bytes]:
    """The ``<record>`` elements of ``rows`` as parts, for :func:`envelope` to join once."""
    parts: list[bytes] = []
    moment, datestamp = None, ""
    for row in rows:
        if row.datestamp != moment:  # a release gives many records one datestamp
            moment, datestamp = row.datestamp, format_datestamp(row.datestamp)
        parts += (b"<record>", _header_open(row, identifier_prefix, datestamp), row.set_specs)
        if row.deleted:
            parts.append(b"</header></record>")
        else:
            parts += (b"</header><metadata>", row.metadata or b"", b"</metadata></record>")
    return parts


def resumption_token(token: str | None, total: int, cursor: int, expires: datetime | None) -> bytes:
    """The token element; an empty one (no expiry) closes the list (protocol 3.5)."""
    if token is None:
        return f'<resumptionToken completeListSize="{total}" cursor="{cursor}"/>'.encode()
    return (
        f'<resumptionToken completeListSize="{total}" cursor="{cursor}" '
        f'expirationDate="{format_datestamp(expires)}">{token}</resumptionToken>'  # type: ignore[arg-type]
    ).encode()


def identify(
    *,
    name: str,
    base_url: str,
    admin_email: str,
    earliest: datetime,
    repository_identifier: str,
    sample_identifier: str,
) -> bytes:
    return (
        "<Identify>"
        f"<repositoryName>{text(name)}</repositoryName>"
        f"<baseURL>{text(base_url)}</baseURL>"
        "<protocolVersion>2.0</protocolVersion>"
        f"<adminEmail>{text(admin_email)}</adminEmail>"
        f"<earliestDatestamp>{format_datestamp(earliest)}</earliestDatestamp>"
        "<deletedRecord>persistent</deletedRecord>"
        "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
        "<description>"
        '<oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier'
        ' http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">'
        "<scheme>oai</scheme>"
        f"<repositoryIdentifier>{text(repository_identifier)}</repositoryIdentifier>"
        "<delimiter>:</delimiter>"
        f"<sampleIdentifier>{text(sample_identifier)}</sampleIdentifier>"
        "</oai-identifier>"
        "</description>"
        "</Identify>"
    ).encode()


def metadata_formats(formats: Iterable[tuple[str, str, str]]) -> bytes:
    """``formats``: (prefix, schema URL, namespace)."""
    items = "".join(
        f"<metadataFormat><metadataPrefix>{prefix}</metadataPrefix>"
        f"<schema>{text(schema)}</schema>"
        f"<metadataNamespace>{text(namespace)}</metadataNamespace></metadataFormat>"
        for prefix, schema, namespace in formats
    )
    return f"<ListMetadataFormats>{items}</ListMetadataFormats>".encode()


def list_sets(sets: Iterable[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<set><setSpec>{spec}</setSpec><setName>{text(name)}</setName></set>"
        for spec, name in sets
    )
    return f"<ListSets>{items}</ListSets>".encode()
