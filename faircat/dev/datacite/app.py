"""The WSGI app: DataCite's REST API for DOIs, plus dev-only controls under ``/_dev/``.

DataCite API (HTTP Basic auth with the repository id and password):

    GET    /heartbeat          "OK"
    GET    /dois               listing: prefix, state, client-id, sort, page[size], page[number]
                               or page[cursor], detail=true (adds xml)
    POST   /dois               create: 201; 422 if taken; 403 outside the repository's prefixes
    GET    /dois/{doi}         200 / 404
    PUT    /dois/{doi}         update 200, or create 201 when absent (PATCH does the same)
    DELETE /dois/{doi}         204 for a draft, 405 for a registered or findable DOI

Requests without credentials are anonymous, as at DataCite: they may read findable DOIs only and
every write answers 401; wrong credentials answer 401 everywhere. Errors are JSON:API
``{"errors": [...]}`` documents.

Dev controls (NO authentication: bind the server to localhost; never expose it):

    GET    /_dev/faults        the current fault plan and its counters
    POST   /_dev/faults        set a plan (JSON, see faults.FaultPlan); DELETE clears it
    GET    /_dev/dois          every record with its state, url, xml and event history
    GET    /_dev/dois/{doi}    one record
    GET    /_dev/requests      the last API requests (method, path, status, fault)
    POST   /_dev/reset         forget every DOI, fault and logged request
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import jsonapi
from .faults import FaultPlan
from .registry import NOT_FOUND, Repository
from .store import DoiRecord, Refused

if TYPE_CHECKING:
    from .server import DevDataCite

JSONAPI_TYPE = "application/vnd.api+json; charset=utf-8"
DEV_PREFIX = "/_dev"
MAX_PAGE_SIZE = 1000  # DataCite's documented maximum
DEFAULT_PAGE_SIZE = 25
BAD_CREDENTIALS = "Bad credentials."
NO_PAYLOAD = "You need to provide a payload following the JSONAPI spec"


def create_app(server: DevDataCite) -> Flask:
    """The Flask app serving ``server``'s registry."""
    app = Flask(__name__)
    app.extensions["faircat_dev_datacite"] = server
    registry = server.registry

    # -- faults and the request log ----------------------------------------------------------

    @app.before_request
    def inject_fault_before() -> Response | None:
        g.fault = None
        if _is_dev(request.path):
            return None
        fault = g.fault = server.faults.draw(request.method)
        if fault is None or fault.after:
            return None
        server.faults.sleep(fault.delay)
        return _fault_response(fault.status) if fault.status is not None else None

    @app.after_request
    def inject_fault_after(response: Response) -> Response:
        if _is_dev(request.path):
            return response
        fault = g.get("fault")
        if fault is not None and fault.after:
            server.faults.sleep(fault.delay)  # the change is already made
            if fault.status is not None:
                response = _fault_response(fault.status)
        path = request.full_path.rstrip("?")
        server.log_request(request.method, path, response.status_code, fault=fault is not None)
        return response

    # -- errors ------------------------------------------------------------------------------

    @app.errorhandler(Refused)
    def refused(exc: Refused) -> Response:
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="faircat dev DataCite"'
        if exc.status == 405:
            headers["Allow"] = "HEAD, GET, POST, PATCH, PUT, OPTIONS"  # as DataCite says
        return _json({"errors": exc.errors}, exc.status, headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        title = NOT_FOUND if status == 404 else None
        return _json(jsonapi.error(status, title), status)

    # -- the DataCite API --------------------------------------------------------------------

    @app.get("/heartbeat")
    def heartbeat() -> Response:
        return Response("OK", content_type="text/plain; charset=utf-8")

    @app.get("/dois")
    def list_dois() -> Response:
        caller = _caller(server.repository)
        args = request.args
        size = _int_arg("page[size]", DEFAULT_PAGE_SIZE, minimum=0)
        size = min(size, MAX_PAGE_SIZE)
        number = _int_arg("page[number]", 1, minimum=1)
        cursor = args.get("page[cursor]")
        client_id = args.get("client-id") or args.get("client_id")
        page = registry.page(
            visible=_visibility(caller),
            prefix=args.get("prefix") or None,
            state=args.get("state") or None,
            client_id=client_id or None,
            sort=args.get("sort") or None,
            size=size,
            number=number,
            cursor=cursor,
        )
        detail = args.get("detail") == "true"
        publisher_object = args.get("publisher") == "true"
        total_pages = math.ceil(page.total / size) if size else 0
        meta: dict[str, Any] = {"total": page.total, "totalPages": total_pages}
        query = {
            key: value
            for key in ("prefix", "state", "client-id", "sort", "detail", "publisher")
            if (value := args.get(key))
        }
        next_link = None
        if cursor is not None:
            if page.next_cursor is not None:
                next_link = {**query, "page[cursor]": page.next_cursor, "page[size]": size}
        else:
            meta["page"] = number
            if len(page.records) == size and size > 0 and number < total_pages:
                next_link = {**query, "page[number]": number + 1, "page[size]": size}
        links = {"self": request.url}
        if next_link is not None:
            links["next"] = f"{request.host_url}dois?{urlencode(next_link)}"
        data = [
            jsonapi.doi_resource(r, detail=detail, publisher_object=publisher_object)
            for r in page.records
        ]
        return _json({"data": data, "meta": meta, "links": links})

    @app.post("/dois")
    def create_doi() -> Response:
        _writer(server.repository)
        record = registry.create(_attributes())
        headers = {"Location": f"{request.host_url}dois/{record.doi}"}
        return _json(_document(record), 201, headers)

    @app.get("/dois/<path:doi>")
    def get_doi(doi: str) -> Response:
        caller = _caller(server.repository)
        record = registry.get(doi)
        if record is None or not _visibility(caller)(record):
            raise Refused.plain(404, NOT_FOUND)
        return _json(_document(record))

    @app.route("/dois/<path:doi>", methods=["PUT", "PATCH"])
    def put_doi(doi: str) -> Response:
        _writer(server.repository)
        record, created = registry.put(doi, _attributes())
        return _json(_document(record), 201 if created else 200)

    @app.delete("/dois/<path:doi>")
    def delete_doi(doi: str) -> Response:
        _writer(server.repository)
        registry.delete(doi)
        return Response(status=204)

    # -- dev controls (no authentication) ----------------------------------------------------

    @app.get(f"{DEV_PREFIX}/faults")
    def get_faults() -> Response:
        return _json(server.faults.state())

    @app.post(f"{DEV_PREFIX}/faults")
    def set_faults() -> Response:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            raise Refused.plain(400, 'Send a JSON object, e.g. {"status": 503, "count": 2}.')
        try:
            plan = FaultPlan.from_json(body)
        except ValueError as exc:
            raise Refused.plain(400, str(exc)) from None
        server.faults.set(plan)
        return _json(server.faults.state())

    @app.delete(f"{DEV_PREFIX}/faults")
    def clear_faults() -> Response:
        server.faults.clear()
        return _json(server.faults.state())

    @app.get(f"{DEV_PREFIX}/dois")
    def dump_dois() -> Response:
        return _json({"data": [r.to_json() for r in registry.all()]})

    @app.get(f"{DEV_PREFIX}/dois/<path:doi>")
    def dump_doi(doi: str) -> Response:
        record = registry.get(doi)
        if record is None:
            raise Refused.plain(404, NOT_FOUND)
        return _json({"data": record.to_json()})

    @app.get(f"{DEV_PREFIX}/requests")
    def request_log() -> Response:
        return _json({"data": server.requests()})

    @app.post(f"{DEV_PREFIX}/reset")
    def reset() -> Response:
        server.reset()
        return Response(status=204)

    return app


def _is_dev(path: str) -> bool:
    return path == DEV_PREFIX or path.startswith(DEV_PREFIX + "/")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, content_type=JSONAPI_TYPE, headers=headers)


def _document(record: DoiRecord) -> dict[str, Any]:
    publisher_object = request.args.get("publisher") == "true"
    return {"data": jsonapi.doi_resource(record, publisher_object=publisher_object)}


def _fault_response(status: int) -> Response:
    title = f"{jsonapi.error(status)['errors'][0]['title']} (fault injected by faircat dev server)"
    return _json(jsonapi.error(status, title), status)


def _caller(repository: Repository) -> Repository | None:
    """The repository the request authenticates as; None when anonymous; 401 for bad ones."""
    if not request.headers.get("Authorization"):
        return None
    auth = request.authorization
    if auth is None or auth.type != "basic" or auth.username is None or auth.password is None:
        raise Refused.plain(401, BAD_CREDENTIALS)
    # Repository ids are case-insensitive at DataCite; compare in constant time anyway.
    same_user = hmac.compare_digest(
        auth.username.upper().encode(), repository.symbol.upper().encode()
    )
    same_password = hmac.compare_digest(auth.password.encode(), repository.password.encode())
    if not (same_user and same_password):
        raise Refused.plain(401, BAD_CREDENTIALS)
    return repository


def _writer(repository: Repository) -> Repository:
    """Writes need credentials: anonymous requests answer 401 as DataCite's do."""
    caller = _caller(repository)
    if caller is None:
        raise Refused.plain(401, BAD_CREDENTIALS)
    return caller


def _visibility(caller: Repository | None) -> Callable[[DoiRecord], bool]:
    """Who sees what: everybody findable DOIs, a repository its own in every state."""
    client_id = caller.client_id if caller is not None else None
    return lambda r: r.state == "findable" or r.client_id == client_id


def _attributes() -> dict[str, Any]:
    """``data.attributes`` of a JSON:API body; 400 as DataCite answers a body it cannot use."""
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw) if raw else None
    except ValueError as exc:
        raise Refused.plain(400, f"The request body is not JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise Refused.plain(400, NO_PAYLOAD)
    attributes = body["data"].get("attributes") or {}
    if not isinstance(attributes, dict):
        raise Refused.plain(400, NO_PAYLOAD)
    return attributes


def _int_arg(name: str, default: int, *, minimum: int) -> int:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    try:
        return max(int(value), minimum)
    except ValueError:
        raise Refused.plain(400, f"{name} must be an integer, not {value!r}") from None
