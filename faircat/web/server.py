"""Run the web app under gunicorn from ``faircat serve`` (the Dockerfile's command)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

# gthread workers keep HTTP/1.1 connections alive: a harvester walking 10,000 OAI-PMH pages, or a
# browser loading a page's assets, reuses one connection instead of a TCP connect and a lingering
# close per request (sync workers close after every response). Idle kept-alive connections wait
# in the worker's poller, not in a thread; the threads bound the requests served at once, as
# oai_max_concurrent (4) does for OAI-PMH.
WORKER_CLASS = "gthread"
THREADS = 4
# gunicorn's maximum (its default is 4094): the OAI-PMH provider's own, smaller limit on the
# query string (faircat.oaipmh.form.MAX_QUERY) then answers an over-long GET with an OAI
# badArgument harvesters can read, instead of gunicorn's HTML 400 page.
LIMIT_REQUEST_LINE = 8190


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with options from the CLI instead of a config file."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def options(host: str, port: int, workers: int, threads: int = THREADS) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "threads": threads,
        "accesslog": "-",
        "timeout": 60,
        "limit_request_line": LIMIT_REQUEST_LINE,
    }


def serve(app: Flask, host: str, port: int, workers: int, threads: int = THREADS) -> None:
    GunicornServer(app, options(host, port, workers, threads)).run()
