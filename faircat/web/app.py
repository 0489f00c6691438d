"""Flask app factory. Later issues mount the portal, the OAI-PMH provider and the PaNOSC API."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, jsonify, render_template
from sqlalchemy import func, select

from faircat.catalogue.lifecycle import public_clause
from faircat.catalogue.models import Dataset, Instrument, Investigation
from faircat.catalogue.store import Catalogue
from faircat.config import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config["SECRET_KEY"] = settings.secret_key or None
    catalogue = Catalogue.open(settings)
    app.extensions["faircat"] = catalogue

    @app.get("/healthz")
    def health():  # type: ignore[no-untyped-def]
        catalogue.check_schema()
        return jsonify(status="ok")

    @app.get("/")
    def home():  # type: ignore[no-untyped-def]
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

    return app
