"""Read-ahead: fetch the page a harvester will ask for next while it parses this one.

A harvest is a chain: request, page, parse, next request. The next page's keyset position is
known as soon as a page is sent (it is in the resumption token), so a worker can read it from
the database while the harvester is busy parsing, and the chain costs the longer of the two
instead of their sum. Only the rows are read ahead; the response (datestamps, token, XML) is
built when the request arrives, so tokens, expiry and errors behave exactly as without it.

Freshness: rows read ahead are used only if the read started less than ``ttl`` seconds before
the request (a harvester that pauses gets a fresh read). A record withdrawn or amended within
that second may be served as it was; its datestamp moved, so the next incremental harvest
(``from=``) returns it again with its new state.

One background thread per process, created lazily (after gunicorn forks its workers); at most
``capacity`` pages held, oldest dropped first. A failed read ahead is dropped: the request then
reads directly and reports the error as usual.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from faircat.oaipmh.repository import Repository, Row, Window

Key = tuple[Window, tuple[datetime, int], int, bool]


class ReadAhead:
    def __init__(self, repository: Repository, ttl: float = 1.0, capacity: int = 8) -> None:
        self.repository = repository
        self.ttl = ttl
        self.capacity = capacity
        self._lock = threading.Lock()
        self._pending: OrderedDict[Key, tuple[float, Future[list[Row]]]] = OrderedDict()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    def schedule(
        self, window: Window, after: tuple[datetime, int], limit: int, with_metadata: bool
    ) -> None:
        """Start reading the page after ``after`` in the background."""
        key = (window, after, limit, with_metadata)
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                # Threads do not survive fork: a pool made before gunicorn forked is unusable.
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="oai-read-ahead")
                self._pending.clear()
                self._pid = os.getpid()
            if key in self._pending:
                return
            future = self._pool.submit(
                self.repository.page, window, after, limit, with_metadata=with_metadata
            )
            self._pending[key] = (time.monotonic(), future)
            while len(self._pending) > self.capacity:
                _, (_, dropped) = self._pending.popitem(last=False)
                dropped.cancel()

    def take(
        self, window: Window, after: tuple[datetime, int], limit: int, with_metadata: bool
    ) -> list[Row] | None:
        """The rows read ahead for this page, or None (never read, too old, or failed)."""
        with self._lock:
            entry = self._pending.pop((window, after, limit, with_metadata), None)
        if entry is None:
            return None
        started, future = entry
        if time.monotonic() - started > self.ttl:
            future.cancel()
            return None
        try:
            return future.result(timeout=self.ttl)
        except Exception:
            return None

    def pending(self) -> list[Any]:
        """Keys of the pages held (for tests)."""
        with self._lock:
            return list(self._pending)
