"""Portal fixtures: a small world of people and experiments, an app with a fixed clock.

The clock stands at ``factories.NOW``; the experiments sit in different lifecycle states at that
instant, so every request form has an experiment it makes sense for.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from faircat.catalogue.models import DataPublication, Dataset
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import DatasetType, MemberRole, PublicationKind, Role
from faircat.web.app import create_app
from tests.catalogue import factories as f
from tests.catalogue.factories import NOW

PASSWORD = "correct horse battery staple"
SECRET = "portal-test-secret-key"


@functools.cache
def password_hash() -> str:
    """One argon2 hash for everybody: hashing is slow on purpose, and tests build many worlds."""
    return PasswordHasher().hash(PASSWORD)


@dataclass(frozen=True)
class World:
    embargoed: str  # experiment labels
    active: str
    public: str
    scheduled: str
    other: str  # an embargoed experiment the PI is not in
    dataset_ids: dict[str, int]


def build_world(catalogue: Catalogue) -> World:
    with catalogue.transaction() as session:
        f.instrument(session)
        people = {
            "pia": {
                "full_name": "Pia Ibáñez",
                "orcid": "0000-0002-1825-0097",
                "affiliation": "Universitat de Barcelona",
            },
            "cora": {"full_name": "Cora Oduya"},
            "paul": {"full_name": "Paul Tran"},
            "otto": {"full_name": "Otto Sider"},
        }
        for username, details in people.items():
            f.user(session, username, **details).password_hash = password_hash()
        f.user(
            session, "cure", Role.CURATOR, full_name="Carla Curator"
        ).password_hash = password_hash()
        team = (
            ("pia", MemberRole.PI),
            ("cora", MemberRole.CO_PROPOSER),
            ("paul", MemberRole.PARTICIPANT),
        )
        embargoed = f.investigation(
            session,
            "EMB1",
            start=NOW - timedelta(days=60),
            members=team,
            title="Lysozyme soaks under embargo",
        )
        active = f.investigation(
            session, "ACT1", start=NOW - timedelta(days=1), days=5, members=team
        )
        public = f.investigation(
            session,
            "PUB1",
            start=NOW - timedelta(days=4 * 365),
            members=team,
            title="Public thaumatin",
        )
        scheduled = f.investigation(session, "SCH1", start=NOW + timedelta(days=30), members=team)
        other = f.investigation(
            session,
            "OTH1",
            start=NOW - timedelta(days=60),
            members=(("otto", MemberRole.PI),),
            title="Otto's secret",
        )
        datasets = {}
        for inv in (embargoed, public):
            for name in ("native", "soak-1", "soak-2"):
                dataset = Dataset(
                    investigation_id=inv.id, name=f"{inv.proposal}-{name}", type=DatasetType.RAW
                )
                session.add(dataset)
                session.flush()
                datasets[dataset.name] = dataset.id
        session.add(
            DataPublication(
                kind=PublicationKind.INVESTIGATION,
                investigation_id=public.id,
                doi="10.80100/tls.pub1-1",
                title="Public thaumatin",
                abstract="Old abstract",
                licence="CC-BY-4.0",
            )
        )
        return World(
            embargoed.label, active.label, public.label, scheduled.label, other.label, datasets
        )


@pytest.fixture
def world(catalogue: Catalogue) -> World:
    return build_world(catalogue)


def portal_app(catalogue: Catalogue, **config: Any) -> Flask:
    settings = dataclasses.replace(catalogue.settings, secret_key=SECRET)
    return create_app(settings, {"TESTING": True, "FAIRCAT_NOW": lambda: NOW, **config})


@pytest.fixture
def app(catalogue: Catalogue, world: World) -> Iterator[Flask]:
    app = portal_app(catalogue)
    yield app
    app.extensions["faircat"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_TOKEN = re.compile(r'name="(?:[\w-]*-)?csrf_token"[^>]*value="([^"]+)"')


def csrf_token(page: str) -> str:
    match = _TOKEN.search(page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/portal/login").get_data(as_text=True)
    return client.post(
        "/portal/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
    )


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, Any]) -> Any:
    """POST ``data`` to ``action`` with the CSRF token of the page at ``page_url``."""
    page = client.get(page_url).get_data(as_text=True)
    return client.post(action, data={"csrf_token": csrf_token(page), **data})


def text_of(response: Any) -> str:
    """The page with whitespace collapsed (templates wrap lines freely) and entities decoded."""
    return html.unescape(" ".join(response.get_data(as_text=True).split()))


def logout(client: FlaskClient) -> None:
    page = client.get("/portal/").get_data(as_text=True)
    client.post("/portal/logout", data={"csrf_token": csrf_token(page)})
