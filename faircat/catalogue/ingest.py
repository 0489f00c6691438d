"""NeXus ingest: files in, catalogue rows out; one transaction per file.

Reading (:mod:`faircat.catalogue.nexus`) is separate from loading
(:mod:`faircat.catalogue.loader`), so a bad file fails before anything is written, and a file
that reads well but breaks a catalogue rule (unknown instrument, invalid ORCID) rolls back
alone. Loading is an upsert that writes only what differs: ingesting the same file twice
changes nothing, and a file still being written by the acquisition can be ingested again as it
grows.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
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


@dataclass
class BatchReport:
    results: list[IngestResult] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return not self.errors


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
    engine: Engine,
    meta: NexusMetadata,
    *,
    checksum: bool = True,
    cache: LookupCache | None = None,
) -> IngestResult:
    cache = cache or LookupCache()
    try:
        with engine.begin() as connection:
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
    return IngestResult(meta.path, status, label, dataset_id)  # type: ignore[arg-type]


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
    paths: list[Path], *, workers: int = 1, chunk: int = 32, window: int = 4
) -> Iterator[NexusMetadata | IngestError]:
    """Read metadata in ``workers`` other processes while the caller loads into the database.

    h5py serialises all HDF5 calls behind one lock, so threads would not overlap reading with
    loading; a reader process does, and uses the second core. At most ``window`` chunks are in
    flight, so memory stays bounded on million-file batches. In file order.
    """
    if workers <= 0 or len(paths) < 2 * chunk:
        for item in _read_chunk(paths):
            yield IngestError(Path(item[0]), item[1]) if isinstance(item, tuple) else item
        return
    chunks = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[list[NexusMetadata | tuple[str, str]]]] = deque()
        todo = iter(chunks)
        for part in itertools.islice(todo, window):
            pending.append(pool.submit(_read_chunk, part))
        while pending:
            done = pending.popleft().result()
            for part in itertools.islice(todo, 1):
                pending.append(pool.submit(_read_chunk, part))
            for item in done:
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
    for item in read_ahead(list(paths), workers=readers):
        try:
            if isinstance(item, IngestError):
                raise item
            result = load_metadata(engine, item, checksum=checksum, cache=cache)
        except IngestError as exc:
            report.errors.append(exc)
            if on_result:
                on_result(exc)
            continue
        report.results.append(result)
        if on_result:
            on_result(result)
    return report
