"""The provider's only SQL: published records, their stored metadata, their sets.

Reads ``published_record``, ``published_metadata``, ``published_set`` and ``oai_set`` and no
other table (a test watches the statements). Every list query is a keyset range scan:
``(datestamp, id) > last`` on ``ix_published_record_datestamp`` or, for a set,
``(spec, datestamp, record_id)`` on ``ix_published_set_keyset`` - page 10,000 costs what page 1
does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, exists, func, select, tuple_
from sqlalchemy.sql import Select

from faircat.catalogue.models.published import (
    OaiSet,
    PublishedMetadata,
    PublishedRecord,
    PublishedSet,
)

# Records OAI-PMH exposes: open ones, and withdrawn ones as deleted records (tombstones).
# Embargoed (metadata-only) records are not exposed: they answer idDoesNotExist.
EXPOSED = ("open", "withdrawn")
DELETED = "withdrawn"

_R = PublishedRecord.__table__
_M = PublishedMetadata.__table__
_S = PublishedSet.__table__
_NAMES = OaiSet.__table__


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    pid: str
    datestamp: datetime
    deleted: bool
    set_specs: str  # "<setSpec>..</setSpec>..." ready to embed
    metadata: str | None  # the stored fragment; None for ListIdentifiers or a missing format


@dataclass(frozen=True, slots=True)
class Window:
    """A list request's selection: format, set and ``[lo, hi)`` datestamp interval."""

    prefix: str
    set_spec: str | None
    lo: datetime | None
    hi: datetime


def _row(values: Any, with_metadata: bool) -> Row:
    return Row(
        values[0],
        values[1],
        values[2],
        values[3] == DELETED,
        values[4],
        values[5] if with_metadata else None,
    )


class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _bounded(self, window: Window, with_metadata: bool) -> tuple[Select[Any], Any, Any]:
        columns = [_R.c.id, _R.c.pid, _R.c.datestamp, _R.c.status, _R.c.set_specs]
        if window.set_spec is None:
            source: Any = _R
            key_ds, key_id = _R.c.datestamp, _R.c.id
        else:
            source = _S.join(_R, _R.c.id == _S.c.record_id)
            key_ds, key_id = _S.c.datestamp, _S.c.record_id
        if with_metadata:
            source = source.outerjoin(
                _M, and_(_M.c.record_id == _R.c.id, _M.c.format == window.prefix)
            )
            columns.append(_M.c.content)
        query = select(*columns).select_from(source).where(key_ds < window.hi)
        if window.set_spec is None:
            query = query.where(_R.c.status.in_(EXPOSED))
        else:
            query = query.where(_S.c.spec == window.set_spec)
        if window.lo is not None:
            query = query.where(key_ds >= window.lo)
        return query, key_ds, key_id

    def page(
        self,
        window: Window,
        after: tuple[datetime, int] | None,
        limit: int,
        *,
        with_metadata: bool,
    ) -> list[Row]:
        """Up to ``limit`` records of ``window`` after keyset position ``after``."""
        query, key_ds, key_id = self._bounded(window, with_metadata)
        if after is not None:
            query = query.where(tuple_(key_ds, key_id) > tuple_(*after))
        query = query.order_by(key_ds, key_id).limit(limit)
        with self.engine.connect() as connection:
            return [_row(values, with_metadata) for values in connection.execute(query)]

    def count(self, window: Window) -> int:
        if window.set_spec is None:
            query = (
                select(func.count())
                .select_from(_R)
                .where(_R.c.status.in_(EXPOSED), _R.c.datestamp < window.hi)
            )
            if window.lo is not None:
                query = query.where(_R.c.datestamp >= window.lo)
        else:
            query = (
                select(func.count())
                .select_from(_S)
                .where(_S.c.spec == window.set_spec, _S.c.datestamp < window.hi)
            )
            if window.lo is not None:
                query = query.where(_S.c.datestamp >= window.lo)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def record(self, pid: str, prefix: str | None) -> Row | None:
        """The exposed record ``pid`` (a DOI, matched case-insensitively as DOIs are)."""
        columns = [_R.c.id, _R.c.pid, _R.c.datestamp, _R.c.status, _R.c.set_specs]
        source: Any = _R
        if prefix is not None:
            source = _R.outerjoin(_M, and_(_M.c.record_id == _R.c.id, _M.c.format == prefix))
            columns.append(_M.c.content)
        query = (
            select(*columns)
            .select_from(source)
            .where(_R.c.pid.in_(sorted({pid, pid.lower()})), _R.c.status.in_(EXPOSED))
            .limit(1)
        )
        with self.engine.connect() as connection:
            values = connection.execute(query).first()
        return None if values is None else _row(values, prefix is not None)

    def earliest_datestamp(self) -> datetime | None:
        query = select(func.min(_R.c.datestamp)).where(_R.c.status.in_(EXPOSED))
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one()

    def sets(self) -> list[tuple[str, str]]:
        """``(setSpec, setName)`` of every set with at least one exposed record."""
        used = exists().where(_S.c.spec == _NAMES.c.spec)
        query = select(_NAMES.c.spec, _NAMES.c.name).where(used).order_by(_NAMES.c.spec)
        with self.engine.connect() as connection:
            return [(spec, name) for spec, name in connection.execute(query)]

    def set_exists(self, spec: str) -> bool:
        query = select(exists().where(_S.c.spec == spec))
        with self.engine.connect() as connection:
            return bool(connection.execute(query).scalar_one())
