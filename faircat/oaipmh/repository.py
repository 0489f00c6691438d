"""The provider's only SQL: published records, their stored metadata, their sets.

Reads ``published_record``, ``published_metadata``, ``published_set`` and ``oai_set`` and no
other table (a test watches the statements). Every list query is a keyset range scan:
``(datestamp, id) > last`` on ``ix_published_record_datestamp`` or, for a set,
``(spec, datestamp, record_id)`` on ``ix_published_set_keyset`` - page 10,000 costs what page 1
does.

Stored fragments and set specs come back as UTF-8 bytes, embedded in the response as they are: a
page is ~480 kB, and decoding it to ``str`` only to encode it again cost more than building the
page's XML (any non-ASCII character widens the whole joined document to 2 or 4 bytes a
character). SQLite returns them as bytes with ``CAST(.. AS BLOB)``; on PostgreSQL, where that cast
would read backslashes as escapes, psycopg loads the ``text`` columns of these queries as bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Engine,
    LargeBinary,
    and_,
    bindparam,
    cast,
    event,
    exists,
    func,
    select,
    tuple_,
)
from sqlalchemy.sql import ColumnElement, Select

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
_RAW = "faircat_oai_raw_text"  # execution option: load text columns as bytes (psycopg)


class Row(NamedTuple):
    # A NamedTuple, not a frozen dataclass: 100 are built per page, and a frozen dataclass's
    # __init__ (one object.__setattr__ per field) costs twice as much.
    id: int
    pid: str
    datestamp: datetime
    deleted: bool
    set_specs: bytes  # b"<setSpec>..</setSpec>..." ready to embed
    metadata: bytes | None  # the stored fragment; None for ListIdentifiers or a missing format


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
        _bytes(values[4]),
        _bytes(values[5]) if with_metadata else None,
    )


def _bytes(value: bytes | str | None) -> Any:
    # Drivers other than sqlite3 and psycopg give str (see the module docstring): encode it.
    return value.encode("utf-8") if isinstance(value, str) else value


def _psycopg_text_as_bytes() -> type:
    """A psycopg loader: a ``text`` value's UTF-8 bytes, not decoded (see the module docstring)."""
    from psycopg.adapt import Loader  # psycopg comes with the postgres extra only

    class TextAsBytes(Loader):  # type: ignore[misc]
        def load(self, data: Any) -> bytes:
            return bytes(data)

    return TextAsBytes


class Repository:
    def __init__(self, engine: Engine) -> None:
        # Reads need no transaction: AUTOCOMMIT spares the BEGIN/ROLLBACK round trips.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._pages: dict[tuple[bool, bool, str, bool], Select[Any]] = {}
        self._blob = self.engine.dialect.name == "sqlite"
        if self.engine.dialect.driver == "psycopg":
            # Listening on this option engine only: the catalogue's other users of the same
            # engine (the web app) keep str.
            loader = _psycopg_text_as_bytes()

            def raw_text(conn: Any, cursor: Any, statement: Any, params: Any, context: Any,
                         executemany: bool) -> None:  # fmt: skip
                if context.execution_options.get(_RAW):
                    cursor.adapters.register_loader("text", loader)

            event.listen(self.engine, "before_cursor_execute", raw_text)

    def _raw(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return cast(column, LargeBinary) if self._blob else column

    def _page_statement(self, window: Window, after: str, with_metadata: bool) -> Select[Any]:
        """The page query for this shape of request, built once with bind parameters: no
        Select construction, coercion or cache-key generation per page. ``after`` is "" (first
        page), "row" (``(datestamp, id) > last``), "same" (the rest of the last datestamp) or
        "later" (the datestamps after it)."""
        shape = (window.set_spec is not None, window.lo is not None, after, with_metadata)
        statement = self._pages.get(shape)
        if statement is not None:
            return statement
        columns = [_R.c.id, _R.c.pid, _R.c.datestamp, _R.c.status, self._raw(_R.c.set_specs)]
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
            columns.append(self._raw(_M.c.content))
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
        statement = (
            query.order_by(key_ds, key_id)
            .limit(bindparam("limit"))
            .execution_options(**{_RAW: True})
        )
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
                    _row(values, with_metadata)
                    for values in connection.execute(statement, params).all()
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
        columns = [_R.c.id, _R.c.pid, _R.c.datestamp, _R.c.status, self._raw(_R.c.set_specs)]
        source: Any = _R
        if prefix is not None:
            source = _R.outerjoin(_M, and_(_M.c.record_id == _R.c.id, _M.c.format == prefix))
            columns.append(self._raw(_M.c.content))
        query = (
            select(*columns)
            .select_from(source)
            .where(_R.c.pid.in_(sorted({pid, pid.lower()})), _R.c.status.in_(EXPOSED))
            .limit(1)
            .execution_options(**{_RAW: True})
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
