"""A dev DataCite server for tests: ``running_datacite()`` serves one on a free local port.

Use it with the real client over real HTTP::

    from faircat.dev.datacite.testing import running_datacite

    @pytest.fixture
    def datacite():
        with running_datacite() as handle:  # prefix 10.5072, FAIRCAT.TEST / secret
            yield handle

    def test_publish(datacite):
        client = datacite.client()  # datacite.DataCiteRESTClient(..., url=datacite.url)
        client.public_doi(metadata, url="https://example.org/ds/1", doi="10.5072/ds.1")
        assert datacite.get("10.5072/ds.1").state == "findable"

        datacite.faults(503, count=2)  # the next two requests answer 503
        datacite.faults(delay=2.0)  # every answer waits 2 s (client timeout below that)
        datacite.faults(502, rate=0.5, methods=["PUT"])  # half of the PUTs fail
        datacite.faults(503, after=True, count=1)  # the change is made, the answer is lost
        datacite.clear_faults()

To point faircat's own code at it, use ``handle.url``, ``handle.username``, ``handle.password``
and ``handle.prefix`` (settings ``datacite_url``, ``datacite_username``, ``datacite_password``,
``facility_doi_prefix``).

Handle API (:class:`DataCiteHandle`):

- ``url`` (base URL ending in ``/``, the client's ``url=``), ``username``, ``password``,
  ``prefix``; ``timeout`` (seconds, the default of ``client()``);
- ``client(timeout=None, username=None, password=None, prefix=None)``: a configured
  ``datacite.DataCiteRESTClient``; override a field to get a client with wrong credentials;
- ``faults(status=None, *, delay=0, count=None, rate=1.0, methods=(), after=False)``: set the
  fault plan (see :mod:`.faults`; no status and no delay means 503 for everything);
  ``clear_faults()``; ``fault_state()`` (plan and counters);
- ``get(doi)``: the server-side :class:`.store.DoiRecord` (``state``, ``url``, ``xml`` bytes,
  ``metadata``, ``events``, ``created``, ``updated``, ``registered``) or None; ``dois()``: all;
- ``requests()``: the API requests served, oldest first (``method``, ``path``, ``status``,
  ``fault``), e.g. to count a client's retries;
- ``reset()``: forget every DOI, fault and logged request.

Keywords of ``running_datacite`` besides the credentials: ``data`` (a JSON file keeping the
registry; reuse the path in a second ``running_datacite`` to test persistence), ``fail_rate``,
``fail_status``, ``delay`` (faults from the start), ``seed`` (reproducible ``rate`` draws) and
``timeout`` (default for ``client()``, 5 s).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .faults import FaultPlan
from .server import DevDataCite, ServerConfig, make_wsgi_server
from .store import DoiRecord

if TYPE_CHECKING:
    from datacite import DataCiteRESTClient

DEFAULT_TIMEOUT = 5.0


@dataclass
class DataCiteHandle:
    """A running dev DataCite server, as a test sees it (see the module docstring)."""

    url: str
    username: str
    password: str
    prefix: str
    server: DevDataCite
    timeout: float = DEFAULT_TIMEOUT

    def client(
        self,
        *,
        timeout: float | None = None,
        username: str | None = None,
        password: str | None = None,
        prefix: str | None = None,
    ) -> DataCiteRESTClient:
        """The real ``datacite`` REST client, configured for this server."""
        from datacite import DataCiteRESTClient

        return DataCiteRESTClient(
            username=self.username if username is None else username,
            password=self.password if password is None else password,
            prefix=self.prefix if prefix is None else prefix,
            url=self.url,
            timeout=self.timeout if timeout is None else timeout,
        )

    def faults(
        self,
        status: int | None = None,
        *,
        delay: float = 0.0,
        count: int | None = None,
        rate: float = 1.0,
        methods: Iterable[str] = (),
        after: bool = False,
    ) -> None:
        """Make the server fail or be slow (replaces the current plan)."""
        plan = FaultPlan.build(
            status, delay=delay, count=count, rate=rate, methods=methods, after=after
        )
        self.server.faults.set(plan)

    def clear_faults(self) -> None:
        self.server.faults.clear()

    def fault_state(self) -> dict[str, Any]:
        return self.server.faults.state()

    def get(self, doi: str) -> DoiRecord | None:
        return self.server.registry.get(doi)

    def dois(self) -> list[DoiRecord]:
        return self.server.registry.all()

    def requests(self) -> list[dict[str, Any]]:
        return self.server.requests()

    def reset(self) -> None:
        self.server.reset()


@contextmanager
def running_datacite(
    prefix: str = "10.5072",
    username: str = "FAIRCAT.TEST",
    password: str = "secret",
    *,
    data: Path | str | None = None,
    fail_rate: float = 0.0,
    fail_status: int = 503,
    delay: float = 0.0,
    seed: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[DataCiteHandle]:
    """Serve a dev DataCite on 127.0.0.1 (a free port) in a background thread while in the block."""
    config = ServerConfig(
        prefix=prefix,
        username=username,
        password=password,
        data=Path(data) if data is not None else None,
        fail_rate=fail_rate,
        fail_status=fail_status,
        delay=delay,
        seed=seed,
    )
    server = DevDataCite(config)
    wsgi = make_wsgi_server(server, "127.0.0.1", 0, quiet=True)
    # A short poll interval: shutdown() waits for the serving loop to look at its flag.
    thread = threading.Thread(
        target=wsgi.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield DataCiteHandle(
            url=f"http://127.0.0.1:{wsgi.server_port}/",
            username=username,
            password=password,
            prefix=prefix.split(",")[0].strip(),  # several prefixes: clients use the first
            server=server,
            timeout=timeout,
        )
    finally:
        server.faults.wake()  # delayed requests answer now instead of holding the shutdown
        wsgi.shutdown()
        wsgi.server_close()
        thread.join(timeout=5)
