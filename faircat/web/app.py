"""Flask app factory: the published static site, public file downloads, health, portal.

The static site is served as the export wrote it (same media types as the generated nginx
configuration); dynamic parts live under their own prefixes and never shadow site paths. The
portal (accounts, release requests) is the blueprint in :mod:`faircat.web.portal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, send_file, send_from_directory
from jinja2 import StrictUndefined
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from faircat.catalogue.public import public_file
from faircat.catalogue.store import Catalogue
from faircat.config import Settings, load_settings
from faircat.crosswalks.registry import metadata_files
from faircat.instance import secret_key
from faircat.oaipmh import create_provider
from faircat.publisher.nginx import landing_link_header, mime_types
from faircat.web.api import routes as api_routes
from faircat.web.context import system_clock
from faircat.web.downloads import confine_location, init_downloads
from faircat.web.portal import init_portal
from faircat.web.security import init_security


def _media_type(name: str) -> str | None:
    types = mime_types()
    if name in types:
        return types[name]
    suffix = Path(name).suffix
    return types.get(suffix) or types.get(suffix.lstrip("."))


def create_app(settings: Settings | None = None, config: Mapping[str, Any] | None = None) -> Flask:
    """The web app. ``config`` overrides Flask settings (tests: a fixed clock, plain cookies)."""
    settings = settings or load_settings()
    app = Flask(__name__, template_folder="../templates", static_folder=None)
    # A misspelt variable fails instead of rendering empty.
    app.jinja_options = {
        **app.jinja_options,
        "undefined": StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    app.config.update(
        # FAIRCAT_SECRET_KEY, else a key kept in the instance folder (shared by every worker).
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # Tokens live as long as the session: a long form must not expire while being typed.
        WTF_CSRF_TIME_LIMIT=None,
        FAIRCAT_NOW=system_clock,
    )
    # Deployment knobs for Flask itself, e.g. FLASK_SESSION_COOKIE_SECURE=true behind HTTPS.
    app.config.from_prefixed_env("FLASK")
    app.config.update(config or {})
    if settings.secret_key:
        app.config["SECRET_KEY"] = settings.secret_key  # never overridden by FLASK_*
    catalogue = Catalogue.open(settings)
    app.extensions["faircat"] = catalogue
    init_security(app)  # first: the portal's routes use its <id:...> converter
    init_portal(app)
    init_downloads(app, settings)  # /data/: files, zips, HDF5; confined to data_roots
    app.register_blueprint(api_routes.bp)
    site = settings.site_dir

    @app.get("/healthz")
    def health():  # type: ignore[no-untyped-def]
        catalogue.check_schema()
        return jsonify(status="ok")

    @app.get("/files/<path:doi>/<name>")
    def download(doi: str, name: str):  # type: ignore[no-untyped-def]
        with catalogue.transaction() as session:
            location = public_file(session, doi, name, datetime.now(UTC))
        real = confine_location(location, what=f"public file {doi}/{name}")
        if real is None:  # unknown, restricted, or outside the data roots (logged)
            abort(404)
        return send_file(real, as_attachment=True, download_name=name)

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def static_site(path: str):  # type: ignore[no-untyped-def]
        if path.startswith(".faircat") or "/." in f"/{path}":
            abort(404)
        target = site / path
        try:
            if path == "" or path.endswith("/") or target.is_dir():
                path = path.rstrip("/") + "/index.html" if path else "index.html"
            if not (site / path).is_file():
                abort(404)
        except (OSError, ValueError):  # a name too long for the filesystem, a NUL byte
            abort(404)
        response = send_from_directory(site, path, mimetype=_media_type(Path(path).name))
        if path.endswith("index.html") and path.startswith("doi/"):
            # the same header as the generated nginx configuration
            doi = path[len("doi/") : -len("/index.html")]
            response.headers["Link"] = landing_link_header(
                settings.facility_base_url, doi, metadata_files()
            )
        return response

    # OAI-PMH is a plain WSGI app (no Flask request overhead on a page of 100 records).
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {"/oai": create_provider(settings, catalogue)}
    )
    if settings.web_trusted_proxies:
        # The client address (sign-in throttling) is the X-Forwarded-For entry added by the
        # outermost trusted proxy; entries before it could be forged by the client. With no
        # trusted proxy the header is ignored and the address is the TCP peer's.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.web_trusted_proxies
        )
    return app
