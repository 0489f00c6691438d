"""The comparison provider: the ``oaipmh`` package's ``BatchingServer`` over faircat's tables.

    OAI_BENCH_DATABASE_URL=sqlite:///... gunicorn -w 2 --pythonpath bench 'oai_pyoai:application'

What a provider built on the ``oaipmh`` package (PyPI ``oaipmh``, the maintained pyoai fork)
looks like when it serves the same published tables as faircat: a backend implementing the
package's batching interface (``listRecords(metadataPrefix, set, from_, until, cursor,
batch_size)``), offset paging (the package's resumption tokens carry the arguments and a
cursor), and a metadata writer that embeds the stored fragment by parsing it with lxml and
appending it to the response tree the package builds and serialises. ``identify`` is computed
once per worker (the package asks for it on every request, for the ``<request>`` base URL).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from lxml import etree
from oaipmh import common, error
from oaipmh.metadata import MetadataRegistry
from oaipmh.server import BatchingServer
from sqlalchemy import Engine, and_, func, select
from sqlalchemy.sql import Select

from faircat.catalogue.db import make_engine
from faircat.catalogue.models.published import (
    OaiSet,
    PublishedMetadata,
    PublishedRecord,
    PublishedSet,
)
from faircat.crosswalks import registry

BASE_URL = "https://data.example.org/oai"
PREFIX = "oai:data.example.org:"
PAGE_SIZE = 100
EXPOSED = ("open", "withdrawn")
FORMATS = [(f.oai_prefix, f.schema, f.namespace) for f in registry.oai_formats()]
_R = PublishedRecord.__table__
_M = PublishedMetadata.__table__
_S = PublishedSet.__table__
_SPEC = re.compile(r"<setSpec>([^<]*)</setSpec>")


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


class Backend:
    """The ``oaipmh`` package's batching server interface over the published tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._identify: common.Identify | None = None

    def identify(self) -> common.Identify:
        if self._identify is None:
            with self.engine.connect() as conn:
                earliest = conn.execute(
                    select(func.min(_R.c.datestamp)).where(_R.c.status.in_(EXPOSED))
                ).scalar_one()
            self._identify = common.Identify(
                repositoryName="ALBA Synchrotron open data",
                baseURL=BASE_URL,
                protocolVersion="2.0",
                adminEmails=["data-curation@alba.example.org"],
                earliestDatestamp=_naive(earliest) if earliest else datetime(1970, 1, 1),
                deletedRecord="persistent",
                granularity="YYYY-MM-DDThh:mm:ssZ",
                compression=["identity"],
            )
        return self._identify

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:
        return FORMATS

    def listSets(self, cursor: int = 0, batch_size: int = 10) -> list[tuple[str, str, None]]:
        query = select(OaiSet.spec, OaiSet.name).order_by(OaiSet.spec)
        query = query.offset(cursor).limit(batch_size)
        with self.engine.connect() as conn:
            return [(spec, name, None) for spec, name in conn.execute(query)]

    def _query(
        self,
        prefix: str | None,
        set_spec: str | None,
        from_: datetime | None,
        until: datetime | None,
    ) -> Select[Any]:
        columns = [_R.c.pid, _R.c.datestamp, _R.c.status, _R.c.set_specs]
        source: Any = _R
        if prefix is not None:
            source = source.outerjoin(_M, and_(_M.c.record_id == _R.c.id, _M.c.format == prefix))
            columns.append(_M.c.content)
        query = select(*columns).select_from(source).where(_R.c.status.in_(EXPOSED))
        if set_spec is not None:
            query = query.where(_R.c.id.in_(select(_S.c.record_id).where(_S.c.spec == set_spec)))
        if from_ is not None:
            query = query.where(_R.c.datestamp >= _aware(from_))
        if until is not None:
            query = query.where(_R.c.datestamp <= _aware(until))
        return query.order_by(_R.c.datestamp, _R.c.id)

    def _rows(self, query: Select[Any]) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    @staticmethod
    def _header(row: Any) -> common.Header:
        return common.Header(
            None,
            PREFIX + row.pid,
            _naive(row.datestamp),
            _SPEC.findall(row.set_specs),
            row.status == "withdrawn",
        )

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[Any, Any, None]:
        self._check(metadataPrefix)
        query = self._query(metadataPrefix, None, None, None).where(
            _R.c.pid == identifier.removeprefix(PREFIX)
        )
        rows = self._rows(query.limit(1))
        if not rows:
            raise error.IdDoesNotExistError(identifier)
        return self._header(rows[0]), rows[0].content, None

    def listIdentifiers(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: datetime | None = None,
        until: datetime | None = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[common.Header]:
        self._check(metadataPrefix)
        query = self._query(None, set, from_, until).offset(cursor).limit(batch_size)
        return [self._header(row) for row in self._rows(query)]

    def listRecords(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: datetime | None = None,
        until: datetime | None = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[tuple[common.Header, str | None, None]]:
        self._check(metadataPrefix)
        query = self._query(metadataPrefix, set, from_, until).offset(cursor).limit(batch_size)
        return [(self._header(row), row.content, None) for row in self._rows(query)]

    @staticmethod
    def _check(prefix: str) -> None:
        if prefix not in {p for p, _, _ in FORMATS}:
            raise error.CannotDisseminateFormatError(prefix)


def embed_fragment(element: etree._Element, fragment: str) -> None:
    """The metadata writer: the stored XML, parsed and appended under ``<metadata>``."""
    element.append(etree.fromstring(fragment))


def make_server(engine: Engine) -> BatchingServer:
    metadata = MetadataRegistry()
    for prefix, _, _ in FORMATS:
        metadata.registerWriter(prefix, embed_fragment)
    return BatchingServer(Backend(engine), metadata, resumption_batch_size=PAGE_SIZE)


_SERVER: list[BatchingServer] = []


def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """WSGI: the query string's arguments to ``server.handleRequest``."""
    if not _SERVER:
        _SERVER.append(make_server(make_engine(os.environ["OAI_BENCH_DATABASE_URL"])))
    args = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    body = _SERVER[0].handleRequest(args)
    start_response(
        "200 OK",
        [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
