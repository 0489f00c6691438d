"""What a failed DataCite call means: its kind (retry, credentials, rejected) and a message for
people, saying what failed and what to do. Pure: exceptions in, text out.

The message is what curators read on their queue and in ``faircat doi status`` (the task's
``last_error``); the exception's own text (urllib3 pool reprs, library class names) goes to the
log only (:func:`technical`). Every URL is shown without its credentials.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from typing import Literal

import requests

from faircat.config import mask_url, split_credentials

Kind = Literal["done", "retry", "auth", "rejected"]

MAX_MESSAGE = 2000  # last_error is shown whole on the curator queue
MAX_REGISTRY_TEXT = 600  # DataCite's own error text, within that
RETRYING = "faircat retries automatically"


class RegistryAnswer(Exception):
    """A registry answer other than success, with its HTTP status and DataCite's message.

    The ``datacite`` client raises ``DataCiteServerError`` for 422 and 405 as well as for 5xx,
    and keeps only the body: it cannot tell "your metadata is wrong" from "try later".
    """

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"HTTP {status}: {registry_message(body)}")


def registry_message(body: str) -> str:
    """DataCite's ``errors[].title`` (with their ``source``), or the start of the body."""
    try:
        errors = json.loads(body).get("errors") or []
        parts = [
            f"{e.get('source')}: {e.get('title')}" if e.get("source") else str(e.get("title"))
            for e in errors
            if isinstance(e, dict)
        ]
    except (ValueError, AttributeError):
        parts = []
    return "; ".join(parts) or body[:300]


def kind(exc: BaseException | None) -> Kind:
    if exc is None:
        return "done"
    if isinstance(exc, RegistryAnswer):
        if exc.status in (401, 403):
            return "auth"
        if exc.status in (408, 429) or exc.status >= 500:
            return "retry"
        return "rejected"  # 400, 404, 405, 409, 422: what we sent is wrong
    return "retry"  # timeouts, refused connections: transient


def endpoint(url: str) -> str:
    """The registry's URL as people may see it: no user, no password."""
    return split_credentials(url)[0]


def explain(exc: BaseException, url: str, doi: str | None = None) -> str:
    """What failed and what to do, for a failed call to the registry at ``url``: about ``doi``
    (the registrar, which retries by itself), or None (a listing, run again by hand)."""
    where = endpoint(url)
    again = RETRYING if doi else "run the command again later"
    if not isinstance(exc, RegistryAnswer):
        reason, advice = _transport(exc)
        return _final(f"could not reach DataCite at {where} ({reason}); {again} - {advice}")
    text = _registry_text(exc)
    status = exc.status
    if status == 401:
        return _final(
            f"DataCite at {where} refused the credentials (HTTP 401): check datacite_username "
            f"and FAIRCAT_DATACITE_PASSWORD; {again} once they are corrected"
        )
    if status == 403:
        return _final(
            f"DataCite at {where} refused access (HTTP 403{text}): the account may not write "
            "these DOIs - check datacite_username, FAIRCAT_DATACITE_PASSWORD and "
            f"facility_doi_prefix; {again} once they are corrected"
        )
    if kind(exc) == "retry":
        busy = " (too many requests)" if status == 429 else ""
        return _final(
            f"DataCite at {where} is unavailable (HTTP {status}{busy}); {again} - see "
            "https://status.datacite.org if this persists"
        )
    retry = f"run 'faircat doi retry {doi}'" if doi else "run the command again"
    if doi and status in (400, 422):
        return _final(
            f"DataCite rejected the metadata of {doi} (HTTP {status}{text}); amend the record, "
            f"or {retry} once the cause is fixed"
        )
    return _final(
        f"DataCite at {where} refused the request (HTTP {status}{text}); check datacite_url "
        f"and facility_doi_prefix, then {retry}"
    )


def _final(message: str) -> str:
    return mask_url(message)[:MAX_MESSAGE]


def technical(exc: BaseException) -> str:
    """The exception chain as Python tells it, credentials masked: for the log."""
    return mask_url(" <- ".join(f"{type(e).__name__}: {e}" for e in _chain(exc)))


def _registry_text(exc: RegistryAnswer) -> str:
    text = " ".join(registry_message(exc.body).split())
    if len(text) > MAX_REGISTRY_TEXT:
        text = text[: MAX_REGISTRY_TEXT - 3] + "..."
    return f": {text}" if text else ""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes: ``raise from``, the exception being handled, urllib3's
    ``reason`` (MaxRetryError keeps the real error there)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        wrapped = current.args[0] if current.args else None  # the datacite library's HttpError
        current = (
            current.__cause__
            or current.__context__
            or (reason if isinstance(reason, BaseException) else None)
            or (wrapped if isinstance(wrapped, BaseException) else None)
        )


def _transport(exc: BaseException) -> tuple[str, str]:
    """(what happened, what to check) for a call that got no HTTP answer."""
    network = "check datacite_url and the network if this persists"
    for error in _chain(exc):
        if isinstance(error, (requests.Timeout, TimeoutError, socket.timeout)):
            return "timed out", network
        if isinstance(error, ConnectionRefusedError):
            return "connection refused", network
        if isinstance(error, socket.gaierror):
            return "host name not found", "check the host in datacite_url and DNS"
        if isinstance(error, ssl.SSLError):
            return "TLS failure: the certificate is not trusted or the handshake failed", network
        if isinstance(error, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            return "connection dropped", network
        if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
            return "invalid URL", "correct datacite_url"
        if isinstance(error, requests.exceptions.InvalidSchema):
            return "unsupported URL scheme", "datacite_url must start with https://"
    return "connection failed", network
