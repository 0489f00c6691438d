"""NeXus ingest: files in, catalogue rows out; one transaction per file.

Reading (:mod:`faircat.catalogue.nexus`) is separate from loading
(:mod:`faircat.catalogue.loader`), so a bad file fails before anything is written, and a file
that reads well but breaks a catalogue rule (unknown instrument, invalid ORCID) rolls back
alone. Loading is an upsert that writes only what differs: ingesting the same file twice
changes nothing, and a file still being written by the acquisition can be ingested again as it
grows.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from faircat.catalogue.loader import Loader, LookupCache
from faircat.catalogue.nexus import NexusMetadata, read_nexus
from faircat.errors import FaircatError, IngestError

Status = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class IngestResult:
    path: Path
    status: Status
    investigation: str
    dataset_id: int
    # What the reader skipped (links it could not follow): the file was read without it.
    warnings: tuple[str, ...] = ()


@dataclass
class BatchReport:
    results: list[IngestResult] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def warned(self) -> int:
        return sum(1 for r in self.results if r.warnings)


def ingest_file(
    engine: Engine,
    path: str | os.PathLike[str],
    *,
    checksum: bool = True,
    cache: LookupCache | None = None,
) -> IngestResult:
    """Ingest one file in its own transaction; IngestError names the file and the problem."""
    return load_metadata(engine, read_nexus(path), checksum=checksum, cache=cache)


def load_metadata(
    bind: Engine | Connection,
    meta: NexusMetadata,
    *,
    checksum: bool = True,
    cache: LookupCache | None = None,
) -> IngestResult:
    """Load one file's metadata in its own transaction. A batch passes one open Connection for
    all its files (a transaction each): checking a connection out of the pool for every file
    costs as much as a statement, and on PostgreSQL a pre-ping round trip more."""
    cache = cache or LookupCache()
    try:
        with bind.begin() as transaction:
            connection = transaction if isinstance(bind, Engine) else bind
            status, label, dataset_id = Loader(connection, cache, checksum=checksum).load(meta)
    except FaircatError as exc:
        cache.discard()
        if isinstance(exc, IngestError):
            raise
        raise IngestError(meta.path, str(exc)) from None
    except SQLAlchemyError as exc:
        cache.discard()
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise IngestError(meta.path, f"database refused the record: {message}") from None
    except BaseException:
        cache.discard()
        raise
    cache.commit()
    return IngestResult(
        meta.path, status, label, dataset_id, meta.warnings  # type: ignore[arg-type]
    )


def _read_chunk(paths: list[Path]) -> list[NexusMetadata | tuple[str, str]]:
    """Runs in a reader process; errors travel back as (path, problem) tuples."""
    out: list[NexusMetadata | tuple[str, str]] = []
    for path in paths:
        try:
            out.append(read_nexus(path))
        except IngestError as exc:
            out.append((str(exc.path), exc.problem))
    return out


def read_ahead(
    paths: list[Path], *, workers: int = 1, chunk: int = 16, window: int | None = None
) -> Iterator[NexusMetadata | IngestError]:
    """Read metadata in ``workers`` other processes while the caller loads into the database.

    h5py serialises all HDF5 calls behind one lock, so threads would not overlap reading with
    loading; a reader process does, and uses the second core. At most ``window`` chunks (default
    two per reader) are in flight, so memory stays bounded on million-file batches. While the
    readers start (and always, with fewer readers than cores), the calling process reads the
    next chunk itself rather than wait for one. In file order.
    """
    if workers <= 0 or len(paths) < 2 * chunk:
        yield from _items(_read_chunk(paths))
        return
    todo = deque(paths[i : i + chunk] for i in range(0, len(paths), chunk))
    window = window or 2 * workers
    context = multiprocessing.get_context("forkserver")
    # The forkserver's default preload, __main__, does nothing on Python 3.11 (the main path it
    # needs is filtered out of its start data), so every reader process would import h5py,
    # numpy and SQLAlchemy itself: ~0.7 s of CPU and ~1.8 s before the first chunk comes back,
    # per reader, per batch. With this module preloaded the forkserver imports them once per
    # process and a reader starts in ~20 ms (docs/perf-nexus.md).
    context.set_forkserver_preload(["__main__", __name__])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        slots: deque[Future[list[NexusMetadata | tuple[str, str]]] | list[Any]] = deque()
        # Reading here too pays only while a core would idle: until the readers have started,
        # or always with fewer readers than cores. With a reader per core it would only move
        # work onto this process, which alone loads every file (measured: slower).
        spare_core = workers < usable_cores()
        started = False
        while slots or todo:
            # Keep ``window`` chunks at the readers; at most 4 x window read and not yet loaded.
            busy = sum(1 for slot in slots if isinstance(slot, Future) and not slot.done())
            started = started or busy < sum(1 for slot in slots if isinstance(slot, Future))
            for _ in range(min(window - busy, 4 * window - len(slots), len(todo))):
                slots.append(pool.submit(_read_chunk, todo.popleft()))
            head = slots[0]
            waiting = isinstance(head, Future) and not head.done()
            if waiting and todo and len(slots) < 4 * window and (spare_core or not started):
                slots.append(_read_chunk(todo.popleft()))  # read here rather than wait
                continue
            slots.popleft()
            yield from _items(head.result() if isinstance(head, Future) else head)


def usable_cores() -> int:
    """Cores this process may run on (the default number of reader processes)."""
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _items(chunk: list[NexusMetadata | tuple[str, str]]) -> Iterator[NexusMetadata | IngestError]:
    for item in chunk:
        yield IngestError(Path(item[0]), item[1]) if isinstance(item, tuple) else item


def ingest_paths(
    engine: Engine,
    paths: Iterable[Path],
    *,
    checksum: bool = True,
    readers: int = 1,
    on_result: Callable[[IngestResult | IngestError], None] | None = None,
) -> BatchReport:
    """Ingest each file; a failing file is reported and the batch goes on."""
    report = BatchReport()
    cache = LookupCache()
    with engine.connect() as connection:
        for item in read_ahead(list(paths), workers=readers):
            try:
                if isinstance(item, IngestError):
                    raise item
                result = load_metadata(connection, item, checksum=checksum, cache=cache)
            except IngestError as exc:
                report.errors.append(exc)
                if on_result:
                    on_result(exc)
                continue
            report.results.append(result)
            if on_result:
                on_result(result)
    return report
