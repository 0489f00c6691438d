"""The OAI-PMH WSGI application: mounted at ``/oai`` by the web app, or run on its own.

    gunicorn 'faircat.oaipmh.wsgi:application'     # settings from FAIRCAT_* / faircat.toml

GET and POST (``application/x-www-form-urlencoded``) give identical answers. Protocol errors are
HTTP 200 with an ``<error>`` (harvesters such as Sickle treat any 4xx as fatal). Overload - more
concurrent requests than ``oai_max_concurrent`` in this worker, or a database that refuses
connections - is answered 503 with ``Retry-After``, which harvesters honour and retry.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from faircat.catalogue.db import make_engine
from faircat.catalogue.store import Catalogue
from faircat.config import Settings
from faircat.errors import ConfigError
from faircat.instance import secret_key
from faircat.oaipmh.provider import Provider, ProviderConfig
from faircat.oaipmh.readahead import ReadAhead
from faircat.oaipmh.repository import Repository
from faircat.oaipmh.tokens import TokenCodec

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/xml; charset=utf-8"
RETRY_AFTER_SECONDS = 10
MAX_BODY = 64 * 1024  # a POSTed OAI request is a few hundred bytes
_DOMAIN = re.compile(r"\A[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+\Z")
_EMAIL = re.compile(r"\A\S+@(\S+\.)+\S+\Z")

StartResponse = Callable[..., Any]


class OaiApp:
    """WSGI callable around a :class:`Provider`."""

    def __init__(
        self,
        provider: Provider,
        *,
        max_concurrent: int = 4,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.provider = provider
        self.clock = clock
        self._slots = threading.BoundedSemaphore(max(1, max_concurrent))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") not in ("", "/"):
            return _plain(
                start_response, "404 Not Found", "no such resource; the OAI-PMH base URL is /oai"
            )
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD", "POST"):
            return _plain(
                start_response,
                "405 Method Not Allowed",
                "use GET or POST",
                [("Allow", "GET, HEAD, POST")],
            )
        try:
            pairs = _arguments(environ, method)
        except _BadRequest as exc:
            return _plain(start_response, exc.status, str(exc))
        if not self._slots.acquire(blocking=False):
            return _unavailable(start_response, "too many concurrent OAI-PMH requests")
        try:
            data = self.provider.respond(pairs, self.clock())
        except (OperationalError, InterfaceError, PoolTimeout) as exc:
            # Connection refused, database locked, pool exhausted: transient, worth a retry.
            log.warning("OAI-PMH request failed on the database: %s", exc)
            return _unavailable(start_response, "the catalogue database is unavailable")
        finally:
            self._slots.release()
        start_response(
            "200 OK",
            [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(data)))],
        )
        return [] if method == "HEAD" else [data]


class _BadRequest(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def _arguments(environ: dict[str, Any], method: str) -> list[tuple[str, str]]:
    pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True, max_num_fields=64)
    if method != "POST":
        return pairs
    kind = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", ""):
        raise _BadRequest(
            "415 Unsupported Media Type",
            "POST OAI-PMH requests as application/x-www-form-urlencoded",
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _BadRequest("400 Bad Request", "invalid Content-Length") from None
    if length > MAX_BODY:
        raise _BadRequest("413 Content Too Large", f"request body over {MAX_BODY} bytes")
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
    return pairs + parse_qsl(body, keep_blank_values=True, max_num_fields=64)


def _plain(
    start_response: StartResponse,
    status: str,
    message: str,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = (message + "\n").encode("utf-8")
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    start_response(status, headers + (extra or []))
    return [data]


def _unavailable(start_response: StartResponse, message: str) -> list[bytes]:
    return _plain(
        start_response,
        "503 Service Unavailable",
        f"{message}; retry in {RETRY_AFTER_SECONDS} s",
        [("Retry-After", str(RETRY_AFTER_SECONDS))],
    )


def provider_config(settings: Settings) -> ProviderConfig:
    """The provider's identity from the settings; refuses what harvesters would reject."""
    repository_identifier = (
        settings.oai_repository_identifier or urlsplit(settings.facility_base_url).hostname or ""
    )
    if not _DOMAIN.match(repository_identifier):
        raise ConfigError(
            f"OAI-PMH repository identifier {repository_identifier!r} is not a dotted domain "
            "name (e.g. data.example.org): set oai_repository_identifier or facility_base_url"
        )
    email = settings.oai_admin_email
    if not _EMAIL.match(email) or email.lower().endswith("@localhost"):
        raise ConfigError(
            f"oai_admin_email {email!r} is not a real address harvesters can write to"
        )
    if settings.oai_page_size < 1:
        raise ConfigError("oai_page_size must be at least 1")
    return ProviderConfig(
        base_url=f"{settings.facility_base_url}/oai",
        repository_name=f"{settings.facility_name} open data",
        admin_email=email,
        repository_identifier=repository_identifier,
        page_size=settings.oai_page_size,
        token_lifetime=timedelta(hours=max(1, settings.oai_token_hours)),
    )


def create_provider(settings: Settings, catalogue: Catalogue | None = None) -> OaiApp:
    if catalogue is None:
        # Standalone: no pre-ping round trip per page. A connection the server dropped fails
        # one request with OperationalError, answered 503 + Retry-After, and is replaced.
        engine = make_engine(settings.database_url, pool_pre_ping=False)
    else:
        engine = catalogue.engine
    repository = Repository(engine)
    provider = Provider(
        repository,
        provider_config(settings),
        TokenCodec(secret_key(settings)),
        ReadAhead(repository),
    )
    return OaiApp(provider, max_concurrent=settings.oai_max_concurrent)


def __getattr__(name: str) -> Any:
    # `gunicorn faircat.oaipmh.wsgi:application` builds the app on first access, from the
    # environment's settings, so importing this module has no side effects.
    if name == "application":
        from faircat.config import load_settings

        app = create_provider(load_settings())
        globals()["application"] = app
        return app
    raise AttributeError(name)
