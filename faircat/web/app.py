"""Flask app factory: the published static site, public file downloads, health, portal.

The static site is served as the export wrote it (same media types as the generated nginx
configuration); dynamic parts live under their own prefixes and never shadow site paths.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, abort, jsonify, render_template, send_file, send_from_directory
from sqlalchemy import func, select

from faircat.catalogue.lifecycle import public_clause
from faircat.catalogue.models import Dataset, Instrument, Investigation
from faircat.catalogue.public import public_file
from faircat.catalogue.store import Catalogue
from faircat.config import Settings, load_settings
from faircat.crosswalks.registry import metadata_files
from faircat.publisher.nginx import landing_link_header, mime_types


def _media_type(name: str) -> str | None:
    types = mime_types()
    if name in types:
        return types[name]
    suffix = Path(name).suffix
    return types.get(suffix) or types.get(suffix.lstrip("."))


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, template_folder="../templates", static_folder=None)
    app.config["SECRET_KEY"] = settings.secret_key or None
    catalogue = Catalogue.open(settings)
    app.extensions["faircat"] = catalogue
    site = settings.site_dir

    @app.get("/healthz")
    def health():  # type: ignore[no-untyped-def]
        catalogue.check_schema()
        return jsonify(status="ok")

    @app.get("/files/<path:doi>/<name>")
    def download(doi: str, name: str):  # type: ignore[no-untyped-def]
        with catalogue.transaction() as session:
            location = public_file(session, doi, name, datetime.now(UTC))
        if location is None or not Path(location).is_file():
            abort(404)
        return send_file(location, as_attachment=True, download_name=name)

    @app.get("/portal/")
    def portal():  # type: ignore[no-untyped-def]
        now = datetime.now(UTC)
        with catalogue.transaction() as session:
            public = session.scalars(
                select(Investigation)
                .where(public_clause(now))
                .order_by(Investigation.release_date.desc())
                .limit(20)
            ).all()
            counts = {
                "public": session.scalar(
                    select(func.count(Investigation.id)).where(public_clause(now))
                ),
                "datasets": session.scalar(
                    select(func.count(Dataset.id)).join(Investigation).where(public_clause(now))
                ),
                "instruments": session.scalar(select(func.count(Instrument.id))),
            }
            rows = [(inv.label, inv.title, inv.release_date.date().isoformat()) for inv in public]
        return render_template(
            "home.html", facility=settings.facility_name, counts=counts, rows=rows
        )

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def static_site(path: str):  # type: ignore[no-untyped-def]
        if path.startswith(".faircat") or "/." in f"/{path}":
            abort(404)
        target = site / path
        if path == "" or path.endswith("/") or target.is_dir():
            path = path.rstrip("/") + "/index.html" if path else "index.html"
        if not (site / path).is_file():
            abort(404)
        response = send_from_directory(site, path, mimetype=_media_type(Path(path).name))
        if path.endswith("index.html") and path.startswith("doi/"):
            # the same header as the generated nginx configuration
            doi = path[len("doi/") : -len("/index.html")]
            response.headers["Link"] = landing_link_header(
                settings.facility_base_url, doi, metadata_files()
            )
        return response

    return app
