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

from sqlalchemy import Engine, and_, bindparam, exists, func, select, tuple_
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
        # Reads need no transaction: AUTOCOMMIT spares the BEGIN/ROLLBACK round trips.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._pages: dict[tuple[bool, bool, str, bool], Select[Any]] = {}

    def _page_statement(self, window: Window, after: str, with_metadata: bool) -> Select[Any]:
        """The page query for this shape of request, built once with bind parameters: no
        Select construction, coercion or cache-key generation per page. ``after`` is "" (first
        page), "row" (``(datestamp, id) > last``), "same" (the rest of the last datestamp) or
        "later" (the datestamps after it)."""
        shape = (window.set_spec is not None, window.lo is not None, after, with_metadata)
        statement = self._pages.get(shape)
        if statement is not None:
            return statement
        columns = [_R.c.id, _R.c.pid, _R.c.datestamp, _R.c.status, _R.c.set_specs]
        if window.set_spec is None:
            source: Any = _R
            key_ds, key_id = _R.c.datestamp, _R.c.id
        else:
            source = _S.join(_R, _R.c.id == _S.c.record_id)
            key_ds, key_id = _S.c.datestamp, _S.c.record_id
        if with_metadata:
            source = source.outerjoin(
                _M, and_(_M.c.record_id == _R.c.id, _M.c.format == bindparam("prefix"))
            )
            columns.append(_M.c.content)
        stamp = _R.c.datestamp.type
        query = select(*columns).select_from(source).where(key_ds < bindparam("hi", type_=stamp))
        if window.set_spec is None:
            query = query.where(_R.c.status.in_(EXPOSED))
        else:
            query = query.where(_S.c.spec == bindparam("spec"))
        if window.lo is not None:
            query = query.where(key_ds >= bindparam("lo", type_=stamp))
        last_ds, last_id = bindparam("last_ds", type_=stamp), bindparam("last_id")
        if after == "row":
            query = query.where(tuple_(key_ds, key_id) > tuple_(last_ds, last_id))
        elif after == "same":
            query = query.where(key_ds == last_ds, key_id > last_id)
        elif after == "later":
            query = query.where(key_ds > last_ds)
        statement = query.order_by(key_ds, key_id).limit(bindparam("limit"))
        self._pages[shape] = statement
        return statement

    def page(
        self,
        window: Window,
        after: tuple[datetime, int] | None,
        limit: int,
        *,
        with_metadata: bool,
    ) -> list[Row]:
        """Up to ``limit`` records of ``window`` after keyset position ``after``."""
        params: dict[str, Any] = {"hi": window.hi, "limit": limit}
        if with_metadata:
            params["prefix"] = window.prefix
        if window.set_spec is not None:
            params["spec"] = window.set_spec
        if window.lo is not None:
            params["lo"] = window.lo
        if after is None:
            steps = [""]
        else:
            params["last_ds"], params["last_id"] = after
            # SQLite seeks a row-value bound on its first column only: inside a mass release
            # (thousands of records sharing a datestamp) every page would rescan the release
            # from its start. Two seeks instead: the rest of this datestamp, then later ones.
            steps = ["same", "later"] if self.engine.dialect.name == "sqlite" else ["row"]
        rows: list[Row] = []
        with self.engine.connect() as connection:
            for step in steps:
                statement = self._page_statement(window, step, with_metadata)
                params["limit"] = limit - len(rows)
                rows += [
                    _row(values, with_metadata) for values in connection.execute(statement, params)
                ]
                if len(rows) == limit:
                    break
        return rows

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
