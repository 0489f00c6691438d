"""The OAI-PMH WSGI application: mounted at ``/oai`` by the web app, or run on its own.

    gunicorn --limit-request-line 8190 'faircat.oaipmh.wsgi:application'   # FAIRCAT_* settings

GET and POST (``application/x-www-form-urlencoded``) give identical answers. Protocol errors are
HTTP 200 with an ``<error>`` (harvesters such as Sickle treat any 4xx as fatal). Overload - more
concurrent requests than ``oai_max_concurrent`` in this worker, or a database that refuses
connections - is answered 503 with ``Retry-After``, which harvesters honour and retry.

Limits (see :mod:`faircat.oaipmh.form`): a query string over ``form.MAX_QUERY`` bytes or more than
``form.MAX_ARGUMENTS`` arguments is a badArgument. gunicorn refuses request lines over its
``limit_request_line`` (4094 by default) with an HTML 400 page of its own, so it must run with
``--limit-request-line 8190`` (its maximum; ``faircat serve`` sets it) for this OAI answer to
come first. What is not a form at all is a plain HTTP error: 405 for another method, 415 for a
POST of another content type, 400 for an invalid Content-Length, 413 for a body over
``MAX_BODY``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from faircat.catalogue.db import make_engine
from faircat.catalogue.store import Catalogue
from faircat.config import Settings
from faircat.errors import ConfigError
from faircat.instance import secret_key
from faircat.oaipmh import form
from faircat.oaipmh.errors import OaiError
from faircat.oaipmh.provider import Provider, ProviderConfig
from faircat.oaipmh.readahead import ReadAhead
from faircat.oaipmh.repository import Repository
from faircat.oaipmh.tokens import TokenCodec

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/xml; charset=utf-8"
RETRY_AFTER_SECONDS = 10
# A POSTed OAI request is a few hundred bytes; the body is where requests too long for a GET
# query string (form.MAX_QUERY) go, so it stays generous.
MAX_BODY = 64 * 1024
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
        except OaiError as exc:
            # Refused before any database work: no slot needed.
            return _xml(start_response, method, self.provider.refuse(exc, self.clock()))
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
        return _xml(start_response, method, data)


class _BadRequest(Exception):
    """A transport error, answered with its HTTP status: the request is not form-encoded OAI."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def _arguments(environ: dict[str, Any], method: str) -> list[tuple[str, str]]:
    """The request's arguments; badArgument (OaiError) for what is too long, too many or not
    UTF-8, _BadRequest for a body that is not a form."""
    query = _wsgi_bytes(environ.get("QUERY_STRING", ""))
    if method != "POST":
        return form.arguments(query)
    kind = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", ""):
        raise _BadRequest(
            "415 Unsupported Media Type",
            "POST OAI-PMH requests as application/x-www-form-urlencoded",
        )
    declared = (environ.get("CONTENT_LENGTH") or "0").strip().lstrip("0") or "0"
    # Checked before int(), which also takes "+5", "1_000" and other scripts' digits, and
    # refuses strings of more than 4300 digits with a ValueError.
    if not (declared.isascii() and declared.isdigit()):
        raise _BadRequest("400 Bad Request", "invalid Content-Length")
    if len(declared) > len(str(MAX_BODY)) or int(declared) > MAX_BODY:
        raise _BadRequest("413 Content Too Large", f"request body over {MAX_BODY} bytes")
    length = int(declared)
    stream = environ.get("wsgi.input")
    body = stream.read(length) if length and stream is not None else b""
    return form.arguments(query, body)


def _wsgi_bytes(value: str) -> bytes:
    # PEP 3333: environ strings carry the request's bytes as latin-1. A server that decoded them
    # otherwise gets its text back as UTF-8 (lone surrogates included, so they fail to decode
    # as UTF-8 later and are a badArgument rather than an exception here).
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def _xml(start_response: StartResponse, method: str, data: bytes) -> list[bytes]:
    start_response(
        "200 OK",
        [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(data)))],
    )
    return [] if method == "HEAD" else [data]


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
