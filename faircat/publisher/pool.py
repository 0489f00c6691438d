"""Work of an export spread over worker processes: a full export of a large catalogue is
CPU-bound (crosswalks, Jinja) and file-creation-bound, and its records are independent.

The export's process keeps everything that must happen once (the database, the manifest,
checking that no two pages claim a path) and hands out batches: records whose published
metadata must be rendered (:func:`ordered_map`, for publish) and landing pages to build and
write (:class:`Pages`). A run with only a few records or pages (the usual incremental export)
never starts a worker: they cost ~0.1 s to start.

Workers are forked from the export (templates already compiled, nothing to import) and die
with it: a kill -9 of the export leaves no orphan writing into the site or holding its lock.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from faircat.catalogue.public import PublicItem
from faircat.publisher.pages import Site
from faircat.publisher.plan import PREVIEW, landing_files
from faircat.publisher.previews import Previews
from faircat.publisher.publish import STORED, Rendered, Task, render_task
from faircat.publisher.writer import Link, file_mode, replace_tail, write_directory

BATCH = 32  # records or pages per task: amortises the task's pickling and round trip
START_AFTER = 2 * BATCH  # done in this process before workers are worth starting
# Tasks queued per worker: enough to keep them busy while the export's process loads the next
# chunk of the public view (~1 s for 10,000 records), little memory (~10 kB a record).
IN_FLIGHT = 32
MAX_LINKS = 60_000  # hard links to one file (ext4 allows 65,000): then write a new copy
_PR_SET_PDEATHSIG = 1

T = TypeVar("T")
R = TypeVar("R")
# (claimed path, item, its render_core() output if known, files digest of the live page)
Job = tuple[str, PublicItem, Mapping[str, bytes] | None, str | None]


@dataclass(frozen=True)
class Target:
    """Where and how pages are written; the same in every process."""

    root: Path
    fresh: bool
    site: Site
    previews: Path  # the preview cache folder
    live: Path | None = None  # a full export's live site, whose unchanged files are linked


def files_digest(files: Mapping[str, bytes], preview: str | None) -> str:
    """What a page directory holds but index.html (the metadata files, the preview's key)."""
    digest = hashlib.blake2b(digest_size=16)
    for name, data in files.items():
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    digest.update(f"{PREVIEW}\0{preview or ''}".encode())
    return digest.hexdigest()


class PageBuilder:
    """Builds a landing page directory and writes it. One per process and target: it
    remembers the preview files it wrote, so the next page with the same preview links them."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.previews = Previews(target.previews)
        self.shared: dict[str, tuple[Path, int] | None] = {}  # preview key -> (file, links)
        self.mode = file_mode()  # files linked must have it; read once a run, not once a page

    def write(
        self,
        rel: str,
        item: PublicItem,
        core: Mapping[str, bytes] | None,
        live: str | None = None,
    ) -> str:
        """Write the page; its files digest. ``live``: the files digest of the page in the
        live site (full export): when equal, its files are linked, not written again."""
        from faircat.publisher.render import render_landing

        target = self.target
        key = Previews.key(item.preview) if item.preview is not None else None
        shared = self.shared.get(key) if key is not None else None
        shown = shared is not None or (key is not None and key not in self.shared)
        png = self.previews.get(item.preview) if shown and shared is None else None  # type: ignore[arg-type]
        shown = shared is not None or png is not None
        page, files = landing_files(item, target.site, None, core, has_preview=shown)
        digest = files_digest(files, key if shown else None)
        links: dict[str, Link] = {}
        if live == digest and target.live is not None:
            links = {name: (target.live / rel / name, data) for name, data in files.items()}
            if shown:
                links[PREVIEW] = (target.live / rel / PREVIEW, png)
            files = {}
        elif shared is not None:
            links[PREVIEW] = (shared[0], None)
            self.shared[key] = (shared[0], shared[1] + 1)  # type: ignore[index]
            if shared[1] + 1 >= MAX_LINKS:
                del self.shared[key]  # type: ignore[arg-type]
        elif png is not None:
            files[PREVIEW] = png
        if not target.fresh:
            _link_unchanged(target.root / rel, files, links)
        files["index.html"] = render_landing(page).encode("utf-8")  # or the tombstone
        folder = write_directory(target.root, rel, files, links, fresh=target.fresh, mode=self.mode)
        if key is not None and key not in self.shared:
            self.shared[key] = (folder / PREVIEW, 1) if shown else None
        return digest

    def write_all(self, jobs: list[Job]) -> list[str]:
        return [self.write(*job) for job in jobs]


def _link_unchanged(live: Path, files: dict[str, bytes], links: dict[str, Link]) -> None:
    """A page rewritten in place: its files whose bytes the live page already holds become
    hard links to them, not new files. On some disks creating a file costs 10-30x a link
    (docs/performance.md), and a release changes only some of an experiment's files."""
    try:
        present = {entry.name for entry in os.scandir(live)}
    except OSError:  # a new page (a mass release's dataset pages): nothing to compare
        return
    for name in present.intersection(files):
        data = files[name]
        try:
            with open(live / name, "rb") as handle:
                same = handle.read(len(data) + 1) == data
        except OSError:  # removed meanwhile: write it
            continue
        if same:
            links[name] = (live / name, data)
            del files[name]


# -- worker processes ---------------------------------------------------------------------------
_BUILDERS: dict[Target, PageBuilder] = {}  # one per target, for the run of an export


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the export dies (PR_SET_PDEATHSIG)."""
    try:
        prctl = getattr(ctypes.CDLL(None), "prctl", None)
    except OSError:
        return
    if prctl is not None:
        prctl(ctypes.c_int(_PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGKILL))


def _start_worker(parent: int, close_fd: int | None) -> None:
    _die_with_parent()
    if os.getppid() != parent:  # the export died before the line above
        os._exit(1)
    if close_fd is not None:
        # the export's lock: a worker must not keep it held after the export is gone
        os.close(close_fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the export's to handle
    gc.enable()  # the export pauses its own collector (see export._gc_paused), not theirs


def _builder(target: Target) -> PageBuilder:
    builder = _BUILDERS.get(target)
    if builder is None:
        builder = _BUILDERS[target] = PageBuilder(target)
    return builder


def _write_batch(target: Target, jobs: list[Job]) -> list[str]:
    return _builder(target).write_all(jobs)


def publish_and_write(
    target: Target, job: tuple[str, Task, str | None]
) -> tuple[Rendered | None, str]:
    """For publish (:data:`faircat.publisher.publish.Mapper`): what publish needs of the
    record, and its page written at the claimed path (sharing the crosswalk output), with the
    page's files digest."""
    rel, task, live = job
    rendered = render_task(task)
    core = rendered[0] if rendered is not None else None
    digest = _builder(target).write(rel, task[0], core, live)
    if rendered is not None:  # back to the export's process: only what publish stores
        rendered = ({name: rendered[0][name] for name in STORED}, rendered[1])
    return rendered, digest


def publish_and_write_changed(
    target: Target, job: tuple[str, Task, str | None]
) -> tuple[Rendered | None, str | None]:
    """:func:`publish_and_write` for an incremental export: a changed record's metadata and
    page in one pass; nothing for an unchanged one (its page is checked against the manifest
    afterwards, like every record published since the last export)."""
    _, (_, _, changed), _ = job
    return publish_and_write(target, job) if changed else (None, None)


def replace_page_tail(root: Path, old: bytes, new: bytes, rel: str) -> None:
    replace_tail(root / rel / "index.html", old, new)


def _map_batch(fn: Callable[[T], R], items: list[T]) -> list[R]:
    return [fn(item) for item in items]


class Workers:
    """``jobs`` forked worker processes, started when first needed; :meth:`close` stops them.

    ``close_fd``: a descriptor of the export's (the site lock) that workers must not hold.
    """

    def __init__(self, jobs: int, *, close_fd: int | None = None) -> None:
        self.jobs = jobs
        self.close_fd = close_fd
        self._executor: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        if self._executor is None:
            from faircat.publisher import render

            render.warm()  # compile the templates once, before forking
            # fork where it is safe (Linux): nothing to import or pickle again in the workers
            fork = sys.platform == "linux"
            self._executor = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context("fork" if fork else "spawn"),
                initializer=_start_worker,
                # a forked worker holds a copy of the lock's descriptor: it closes it
                initargs=(os.getpid(), self.close_fd if fork else None),
            )
        return self._executor.submit(fn, *args)

    def close(self) -> None:
        """Stop the workers; forget the files this run's pages may link to."""
        _BUILDERS.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def ordered_map(
    workers: Workers | None,
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    start_after: int = START_AFTER,
) -> Iterator[R]:
    """``map(fn, items)``, lazily and in order; past the first ``start_after`` items, in
    batches in the workers with a bounded number in flight. ``fn`` must be picklable."""
    it = iter(items)
    if workers is None or workers.jobs < 2:
        yield from map(fn, it)
        return
    yield from map(fn, islice(it, start_after))
    running: deque[Future[list[R]]] = deque()
    while True:
        batch = list(islice(it, BATCH))
        if batch:
            running.append(workers.submit(_map_batch, fn, batch))
        while running and (not batch or len(running) > IN_FLIGHT * workers.jobs):
            yield from running.popleft().result()
        if not batch:
            return


class Pages:
    """Writes landing pages, in this process or in the workers.

    :meth:`add` queues a page; :meth:`close` waits for every page and re-raises the first
    error of any worker. ``on_written(n)`` is called (in this process) as pages are done;
    :attr:`digests` holds the files digest of every page written, by claimed path.
    """

    def __init__(
        self,
        target: Target,
        workers: Workers | None,
        *,
        on_written: Callable[[int], None] | None = None,
        start_after: int = START_AFTER,
    ) -> None:
        self.local = _builder(target)
        self.target = target
        self.workers = workers if workers is not None and workers.jobs > 1 else None
        self.start_after = start_after
        self.on_written = on_written
        self.queued = 0
        self.batch: list[Job] = []
        self.running: deque[tuple[list[str], Future[list[str]]]] = deque()
        self.digests: dict[str, str] = {}

    def add(self, rel: str, item: PublicItem, core: Mapping[str, bytes] | None) -> None:
        self.batch.append((rel, item, core, None))
        self.queued += 1
        if len(self.batch) >= BATCH:
            self._dispatch()

    def _dispatch(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        rels = [job[0] for job in batch]
        if self.workers is None or self.queued <= self.start_after:
            self._done(rels, self.local.write_all(batch))
            return
        self.running.append((rels, self.workers.submit(_write_batch, self.target, batch)))
        while len(self.running) > IN_FLIGHT * self.workers.jobs:
            self._collect()

    def _collect(self) -> None:
        rels, future = self.running.popleft()
        self._done(rels, future.result())

    def _done(self, rels: list[str], digests: list[str]) -> None:
        self.digests.update(zip(rels, digests, strict=True))
        if self.on_written is not None:
            self.on_written(len(rels))

    def close(self) -> None:
        """Write what is queued and wait for every page."""
        self._dispatch()
        while self.running:
            self._collect()
