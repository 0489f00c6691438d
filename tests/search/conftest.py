"""Search fixtures: the search world, and the portal app and client over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from faircat.catalogue.store import Catalogue
from tests.portal.conftest import portal_app
from tests.search.world import SearchWorld, build


@pytest.fixture
def world(catalogue: Catalogue) -> SearchWorld:
    return build(catalogue)


@pytest.fixture
def app(catalogue: Catalogue, world: SearchWorld) -> Iterator[Flask]:
    app = portal_app(catalogue)
    yield app
    app.extensions["faircat"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
