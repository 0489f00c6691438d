"""Engines and sessions. One engine per database URL; one transaction per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from faircat.config import mask_url
from faircat.errors import ConfigError


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while ingest writes; NORMAL is durable across application
    # crashes (only an OS crash can lose the last commits, never corrupt the file).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; creates the folder of an SQLite file."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a terse message
        # Its message quotes the URL again: both are masked, the password is not for the log.
        raise ConfigError(mask_url(f"invalid database URL {url!r}: {exc}")) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// would pick psycopg2, which we do not depend on.
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with factory() as session, session.begin():
        yield session


def lock_row(session: Session, model: Any, row_id: int) -> None:
    """Hold the row ``row_id`` of ``model``'s table until the session's transaction ends, so that a
    check-then-write (is a request already pending? is this one still undecided?) is not raced
    by another worker doing the same.

    PostgreSQL: ``SELECT .. FOR UPDATE``; the second worker waits, then reads the first one's
    committed rows. SQLite ignores ``FOR UPDATE`` and only locks on a write, and its reads
    before a write see an older snapshot: a write that changes nothing takes the database's
    write lock first, so the reads after it see every commit and no other writer gets in. As
    the transaction's first statement SQLite retries it until the lock is free (busy_timeout)
    rather than failing on a stale snapshot. Raw SQL, so no ``onupdate`` timestamp moves.
    """
    name = model.__tablename__
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"UPDATE {name} SET id = id WHERE id = :id"), {"id": row_id})
    else:
        session.execute(text(f"SELECT id FROM {name} WHERE id = :id FOR UPDATE"), {"id": row_id})
