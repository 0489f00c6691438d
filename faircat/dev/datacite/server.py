"""One dev DataCite server: its settings, registry, fault injector and request log, and two ways
to serve it: werkzeug's threaded server in a thread of the test process (:mod:`.testing`), and
gunicorn for ``faircat dev datacite``.

The command uses gunicorn because DataCite keeps HTTP/1.1 connections alive and werkzeug's
server closes every one after its response: a client registering 20,000 DOIs would measure
20,000 TCP connects (and the server 20,000 new threads) that DataCite does not cost it. One
worker process (the registry lives in its memory), gthread workers: keep-alive, and as many
requests at once as threads."""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .faults import FaultInjector, FaultPlan
from .registry import Registry, Repository

REQUEST_LOG_SIZE = 1000


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Settings of a dev DataCite server (the CLI options and ``running_datacite`` keywords)."""

    prefix: str = "10.5072"
    username: str = "FAIRCAT.TEST"
    password: str = "secret"
    data: Path | None = None  # JSON file keeping the registry across restarts; None: memory
    fail_rate: float = 0.0  # fraction of requests answered with fail_status from the start
    fail_status: int = 503
    delay: float = 0.0  # seconds every answer waits, from the start
    seed: int | None = None  # for reproducible fail_rate draws

    def initial_faults(self) -> FaultPlan | None:
        if self.fail_rate <= 0 and self.delay <= 0:
            return None
        return FaultPlan(
            status=self.fail_status if self.fail_rate > 0 else None,
            rate=self.fail_rate if self.fail_rate > 0 else 1.0,
            delay=self.delay,
        )


class DevDataCite:
    """Everything one server holds; the WSGI app is :attr:`app`."""

    def __init__(self, config: ServerConfig) -> None:
        from .app import create_app  # app imports this module's types

        self.config = config
        prefixes = tuple(p.strip() for p in config.prefix.split(",") if p.strip())
        self.repository = Repository(config.username, config.password, prefixes)
        self.registry = Registry(self.repository, config.data)
        self.faults = FaultInjector(config.initial_faults(), seed=config.seed)
        self._log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()
        self.app = create_app(self)

    def log_request(self, method: str, path: str, status: int, *, fault: bool) -> None:
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": method,
            "path": path,
            "status": status,
            "fault": fault,
        }
        with self._log_lock:
            self._log.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        """The last requests to the DataCite API (not ``/_dev/``), oldest first."""
        with self._log_lock:
            return list(self._log)

    def reset(self) -> None:
        """Forget every DOI, fault and logged request."""
        self.faults.clear()
        self.registry.reset()
        with self._log_lock:
            self._log.clear()


class QuietRequestHandler(WSGIRequestHandler):
    """No access log on stderr: tests read :meth:`DevDataCite.requests` instead."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def make_wsgi_server(
    server: DevDataCite, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = False
) -> BaseWSGIServer:
    """werkzeug's threaded server for ``server.app``; port 0 picks a free port."""
    handler = QuietRequestHandler if quiet else None
    return make_server(host, port, server.app, threaded=True, request_handler=handler)


def free_port(host: str, port: int) -> int:
    """``port``, or a free one for 0; OSError (with the system's reason) if it cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return int(probe.getsockname()[1])


def serve(
    config: ServerConfig, host: str, port: int, *, threads: int = 16, on_ready: Callable[[], None]
) -> None:
    """Serve until interrupted, under gunicorn (see the module docstring); ``on_ready`` runs
    once the socket listens."""
    from gunicorn.app.base import BaseApplication

    class DevServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": 1,  # the registry is this process's memory
                "worker_class": "gthread",
                "threads": threads,
                "graceful_timeout": 2,  # a dev server: do not wait on --delay sleepers
                "loglevel": "warning",
                "when_ready": lambda _arbiter: on_ready(),
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # In the worker: a worker restarted by gunicorn reloads the registry's data file.
            return DevDataCite(config).app

    DevServer().run()
