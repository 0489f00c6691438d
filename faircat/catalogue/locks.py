"""Leases in the database: one release job at a time, whatever the number of schedulers.

A lease is a row of ``job_lock`` taken with a single INSERT (or an UPDATE of an expired row), so
two processes racing for it are decided by the database on SQLite and PostgreSQL alike. A
holder that dies leaves a lease that expires by itself; a holder that runs long renews it.
Leases use the wall clock, never the job's simulated ``--now``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from faircat.catalogue.models import JobLock
from faircat.catalogue.store import Catalogue
from faircat.errors import FaircatError

_LOCK = JobLock.__table__


class Busy(FaircatError):
    """Another process holds the lease."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(catalogue: Catalogue, name: str, holder: str, ttl: timedelta) -> bool:
    now = datetime.now(UTC)
    with catalogue.engine.begin() as conn:
        taken = conn.execute(
            update(_LOCK)
            .where(_LOCK.c.name == name, _LOCK.c.expires_at < now)
            .values(holder=holder, expires_at=now + ttl)
        ).rowcount
    if taken:
        return True
    try:
        with catalogue.engine.begin() as conn:
            conn.execute(insert(_LOCK).values(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return _take_from_dead(catalogue, name, holder, ttl)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _take_from_dead(catalogue: Catalogue, name: str, holder: str, ttl: timedelta) -> bool:
    """A holder killed on this host (kill -9, OOM) need not block the rerun until expiry."""
    with catalogue.engine.begin() as conn:
        current = conn.execute(select(_LOCK.c.holder).where(_LOCK.c.name == name)).scalar()
        if current is None:
            return False
        host, _, rest = current.partition(":")
        pid_text = rest.partition(":")[0]
        if host != socket.gethostname() or not pid_text.isdigit() or _alive(int(pid_text)):
            return False
        return bool(
            conn.execute(
                update(_LOCK)
                .where(_LOCK.c.name == name, _LOCK.c.holder == current)
                .values(holder=holder, expires_at=datetime.now(UTC) + ttl)
            ).rowcount
        )


def renew(catalogue: Catalogue, name: str, holder: str, ttl: timedelta) -> bool:
    with catalogue.engine.begin() as conn:
        return bool(
            conn.execute(
                update(_LOCK)
                .where(_LOCK.c.name == name, _LOCK.c.holder == holder)
                .values(expires_at=datetime.now(UTC) + ttl)
            ).rowcount
        )


def release(catalogue: Catalogue, name: str, holder: str) -> None:
    with catalogue.engine.begin() as conn:
        conn.execute(delete(_LOCK).where(_LOCK.c.name == name, _LOCK.c.holder == holder))


@contextmanager
def lease(
    catalogue: Catalogue, name: str, ttl: timedelta = timedelta(minutes=30)
) -> Iterator[str]:
    """Hold lease ``name`` for the block; :class:`Busy` when someone else holds it."""
    holder = holder_name()
    if not try_acquire(catalogue, name, holder, ttl):
        raise Busy(f"another '{name}' job is running (lease in table job_lock); try again later")
    try:
        yield holder
    finally:
        release(catalogue, name, holder)
