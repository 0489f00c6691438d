"""What every response of the web app shares for safety: headers, bounded ids, error pages.

- **Headers.** Every response says ``nosniff``; every HTML page carries a Content-Security-Policy
  that only allows the site's own scripts, styles and images (the templates have no inline
  script, style or event handler, which the browser tests check), may not be framed
  (clickjacking of the curator's decision form) and leaks no portal URL to other sites.
- **Ids.** ``<id:...>`` in a route accepts only what a 64-bit key column can hold; a larger
  number is a 404 like any other unknown id, never an overflow in the database driver.
- **Errors.** Anything a view did not expect is logged and answered with a styled 500 page that
  says nothing about the cause (no exception text reaches the client).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

from faircat.publisher.headers import COMMON_HEADERS, CONTENT_SECURITY_POLICY, HTML_HEADERS

log = logging.getLogger(__name__)

MAX_ID = 2**63 - 1  # BIGINT keys (datasets, files, notifications: BigIdMixin)
MAX_ID32 = 2**31 - 1  # INTEGER keys on PostgreSQL (requests, samples, users: IdMixin)

PORTAL_CSP = CONTENT_SECURITY_POLICY

NOT_FOUND = "There is no such page, or it belongs to an experiment you are not in."


class IdConverter(IntegerConverter):
    """``<id:...>``: a 64-bit key, 1 to 2**63-1, ASCII digits only (werkzeug's int accepts no
    sign). For the tables of BigIdMixin (datasets, files, notifications)."""

    def __init__(self, map: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID, **kwargs)


class Id32Converter(IntegerConverter):
    """``<id32:...>``: a 32-bit key, 1 to 2**31-1: PostgreSQL refuses a larger value for an
    INTEGER column with an error, not an empty result. For the tables of IdMixin."""

    def __init__(self, map: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID32, **kwargs)


def parse_id(text: str | None, largest: int = MAX_ID) -> int | None:
    """An id typed into a form field, or None when it could not be one (``"²"``, ``"-1"``,
    ``"99999999999999999999"``): ``str.isdigit`` alone lets such values reach the database.
    ``largest=MAX_ID32`` for the keys of 32-bit tables."""
    if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= largest else None


def add_security_headers(response: Response) -> Response:
    for name, value in COMMON_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _server_error(error: Exception) -> ResponseReturnValue:
    original = getattr(error, "original_exception", None) or error
    log.error(
        "unexpected error on %s %s",
        request.method,
        request.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    return error_page(
        500,
        "Something went wrong",
        "The server could not answer this request. It has been logged; please try again in a "
        "moment, and tell the data team if it keeps happening.",
    )


def error_page(status: int, title: str, message: str) -> ResponseReturnValue:
    """A page in the portal's look (the site's 404s use it too)."""
    from faircat.web import context

    settings = context.catalogue().settings
    page = render_template(
        "portal/error.html",
        status=status,
        title=title,
        message=message,
        facility=settings.facility_name,
        site_name=f"{settings.facility_short_name} open data",
    )
    return page, status


def init_security(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["id32"] = Id32Converter
    app.after_request(add_security_headers)
    app.register_error_handler(InternalServerError, _server_error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        # Outside the portal (which has its own wording) keep werkzeug's status and text, in
        # the portal's look, so a 404 or 405 is a page, not a bare default.
        if error.code is None or error.code >= 500:
            return _server_error(error)
        if request.path.startswith("/api/"):  # scripts get JSON, like the API's own errors
            name = (error.name or "error").lower().replace(" ", "_")
            return {"error": name, "message": error.description or error.name}, error.code
        if error.code == 404:  # the portal's words: no hint whether a restricted thing exists
            return error_page(404, "Not found", NOT_FOUND)
        return error_page(error.code, error.name, error.description or error.name)
