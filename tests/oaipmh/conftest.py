"""Fixtures for the OAI-PMH provider: a published world, a validating client, a live server."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from werkzeug.serving import make_server
from werkzeug.test import Client

from faircat.catalogue.store import Catalogue
from faircat.config import Settings
from faircat.oaipmh.form import MAX_QUERY
from faircat.oaipmh.tokens import TokenCodec
from faircat.oaipmh.wsgi import OaiApp, create_provider
from tests.oaipmh import world as world_module

NS = {"o": "http://www.openarchives.org/OAI/2.0/"}


@pytest.fixture(scope="session")
def oai_schema(schemas_dir: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(schemas_dir / "oai-response.xsd"), parser))


@dataclasses.dataclass
class Response:
    status: int
    headers: Any
    body: bytes
    tree: etree._Element

    def error(self) -> str | None:
        found = self.tree.find("o:error", NS)
        return None if found is None else found.get("code")

    def all(self, path: str) -> list[etree._Element]:
        return self.tree.findall(path, NS)

    def texts(self, path: str) -> list[str]:
        return [element.text or "" for element in self.tree.findall(path, NS)]

    def token(self) -> etree._Element | None:
        return self.tree.find(".//o:resumptionToken", NS)

    def request_attributes(self) -> dict[str, str]:
        return dict(self.tree.find("o:request", NS).attrib)


class Oai:
    """Requests through the WSGI app; every 200 answer is checked against the strict schema."""

    def __init__(self, app: OaiApp, schema: etree.XMLSchema) -> None:
        self.app = app
        self.client = Client(app)
        self.schema = schema

    def _check(self, response: Any) -> Response:
        body = response.get_data()
        tree = etree.fromstring(body) if response.status_code == 200 else None
        if tree is not None:
            assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
            if not self.schema.validate(tree):
                raise AssertionError(
                    f"schema-invalid response: {self.schema.error_log}\n{body[:2000]!r}"
                )
        return Response(response.status_code, response.headers, body, tree)

    def get(self, query: str | None = None, **args: str) -> Response:
        if query is None:
            return self._check(self.client.get("/", query_string=args))
        return self._check(self.client.get("/?" + query))

    def post(self, **args: str) -> Response:
        return self._check(self.client.post("/", data=args))

    def send(self, method: str = "POST", body: bytes = b"", **environ: str) -> Response:
        """A request whose environ entries are set as given, after the test client's own: raw
        query strings, Content-Type and Content-Length headers a client library would fix."""
        return self._check(
            self.client.open("/", method=method, data=body, environ_overrides=environ)
        )

    def harvest(self, verb: str = "ListRecords", **args: str) -> list[Response]:
        """Every page of a list, following tokens."""
        pages = [self.get(verb=verb, **args)]
        while True:
            token = pages[-1].token()
            if token is None or not token.text:
                return pages
            pages.append(self.get(verb=verb, resumptionToken=token.text))


@pytest.fixture
def small_pages(settings: Settings) -> Settings:
    return dataclasses.replace(settings, oai_page_size=3)


@pytest.fixture
def world(catalogue: Catalogue, small_pages: Settings) -> Catalogue:
    world_module.build(catalogue, small_pages)
    return catalogue


@pytest.fixture
def make_oai(
    world: Catalogue, small_pages: Settings, oai_schema: etree.XMLSchema
) -> Callable[..., Oai]:
    def make(clock: Callable[[], datetime] | None = None, **changes: Any) -> Oai:
        app = create_provider(dataclasses.replace(small_pages, **changes), world)
        if clock is not None:
            app.clock = clock
        return Oai(app, oai_schema)

    return make


@pytest.fixture
def oai(make_oai: Callable[..., Oai]) -> Oai:
    return make_oai()


@pytest.fixture
def live_server(world: Catalogue, small_pages: Settings) -> Iterator[tuple[str, Settings]]:
    """The provider over real HTTP (threaded werkzeug server) on a free port."""
    settings = dataclasses.replace(small_pages, oai_page_size=4)
    server = make_server("127.0.0.1", 0, create_provider(settings, world), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", settings
    finally:
        server.shutdown()
        thread.join(5)


# Resumption tokens signed with a known secret: hand-built bodies pass the signature check, so
# tests reach the checks of the fields behind it.
SECRET = "token-test-secret"
CODEC = TokenCodec(SECRET)


def sign(body: Any) -> str:
    """A token of ``body`` (any JSON value) that the provider made by ``signed`` accepts as its
    own; ``_sign`` is private, and reused so that the test does not copy the key derivation."""
    return sign_raw(json.dumps(body).encode())


def sign_raw(data: bytes) -> str:
    text = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return f"{text}.{CODEC._sign(text)}"


def fields_of(token: str) -> list[Any]:
    body = token.split(".")[0]
    return list(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


@pytest.fixture
def signed(make_oai: Callable[..., Oai]) -> tuple[Oai, list[Any]]:
    """The provider with the known secret, and the fields of a genuine second-page token."""
    oai = make_oai(secret_key=SECRET)
    token = oai.get(verb="ListRecords", metadataPrefix="oai_dc").token().text
    return oai, fields_of(token)


def resume(oai: Oai, token: str, verb: str = "ListRecords") -> Response:
    """The answer to a token, in a POST body when too long for a query string; HTTP 200."""
    send = oai.get if len(token) + 100 < MAX_QUERY else oai.post
    response = send(verb=verb, resumptionToken=token)
    assert response.status == 200
    return response


def utcnow() -> datetime:
    return datetime.now(UTC)
