"""How the provider is served and stored for speed: kept-alive connections, lz4 fragments.

A harvester walks thousands of pages one after another, so what each page costs besides its
query counts: a TCP connect and close per page (gunicorn's sync workers), or decompressing a
hundred pglz fragments (PostgreSQL's default).
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree
from sqlalchemy import text

from faircat.catalogue.store import Catalogue
from faircat.config import Settings
from faircat.oaipmh import form
from faircat.web import server
from tests.oaipmh.conftest import NS
from tests.oaipmh.test_protocol import EXPOSED

_TOKEN = re.compile(rb"<resumptionToken[^>]*?(?:/>|>([^<]*)</resumptionToken>)")


def test_faircat_serve_keeps_connections_alive():
    options = server.options("127.0.0.1", 8080, 2)
    assert options["worker_class"] == "gthread"
    assert options["threads"] >= 2
    assert options["workers"] == 2


def test_faircat_serve_lets_the_provider_answer_long_requests():
    # gunicorn's own configuration takes the option (a wrong name or value raises here), at
    # its maximum, above the provider's own limit on the query string.
    gunicorn = server.GunicornServer(Flask(__name__), server.options("127.0.0.1", 8080, 1))
    assert gunicorn.cfg.limit_request_line == 8190
    assert len("GET /oai? HTTP/1.1") + form.MAX_QUERY < gunicorn.cfg.limit_request_line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gunicorn_gthread(world: Catalogue, small_pages: Settings, tmp_path: Path) -> Iterator[int]:
    """The standalone provider as docs/oai-pmh.md deploys it, one worker, on a free port."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRCAT_")}
    env.update(
        FAIRCAT_DATABASE_URL=small_pages.database_url,
        FAIRCAT_INSTANCE_PATH=small_pages.instance_path,
        FAIRCAT_FACILITY_BASE_URL=small_pages.facility_base_url,
        FAIRCAT_SECRET_KEY="serving-test-secret",
        FAIRCAT_OAI_PAGE_SIZE="3",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", "4",
         "--limit-request-line", "8190",
         "-b", f"127.0.0.1:{port}", "--error-logfile", str(tmp_path / "gunicorn.log"),
         "faircat.oaipmh.wsgi:application"],
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = (tmp_path / "gunicorn.log").read_text()
                    pytest.fail(f"gunicorn did not start: {log}")
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def test_a_harvest_uses_one_connection(gunicorn_gthread: int):
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn_gthread, timeout=10)
    path = "/?verb=ListRecords&metadataPrefix=oai_datacite"
    records, sockets = 0, set()
    while True:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200 and not response.will_close
        sockets.add(id(conn.sock))
        records += body.count(b"<record>")
        token = _TOKEN.search(body)
        if token is None or not token.group(1):
            break
        path = "/?verb=ListRecords&resumptionToken=" + token.group(1).decode()
    conn.close()
    assert records == EXPOSED
    assert len(sockets) == 1


def _request(port: int, method: str, target: str, body: bytes = b"") -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
    conn.request(method, target, body=body or None, headers=headers)
    response = conn.getresponse()
    answer = response.status, response.getheader("Content-Type") or "", response.read()
    conn.close()
    return answer


def test_a_long_request_line_gets_the_providers_answer(gunicorn_gthread: int, oai_schema):
    """Between the provider's query limit and gunicorn's request-line limit: OAI XML, not
    gunicorn's HTML 400; the same arguments as a POST body are served."""
    identifier = "oai:data.tls.example.org:10.80100/" + "x" * 6000
    query = f"verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}"
    assert form.MAX_QUERY < len(f"GET /?{query} HTTP/1.1") < 8190
    status, kind, body = _request(gunicorn_gthread, "GET", "/?" + query)
    assert (status, kind) == (200, "text/xml; charset=utf-8")
    tree = etree.fromstring(body)
    assert oai_schema.validate(tree), oai_schema.error_log
    error = tree.find("o:error", NS)
    assert error.get("code") == "badArgument" and "POST" in error.text
    status, _, body = _request(gunicorn_gthread, "POST", "/", query.encode())
    assert status == 200 and b'<error code="idDoesNotExist">' in body
    # A query string just under the limit is served as any other.
    padded = "&" * (form.MAX_QUERY - len("verb=Identify")) + "verb=Identify"
    status, _, body = _request(gunicorn_gthread, "GET", "/?" + padded)
    assert status == 200 and b"<Identify>" in body


def test_fragments_are_lz4_compressed_inline_on_postgresql(world: Catalogue):
    if world.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL storage only")
    with world.engine.begin() as conn:
        column = conn.execute(
            text(
                "SELECT attcompression, attstorage FROM pg_attribute "
                "WHERE attrelid = 'published_metadata'::regclass AND attname = 'content'"
            )
        ).one()
        assert tuple(column) == ("l", "m")  # lz4, MAIN (inline unless a row cannot fit)
        # a fragment of the size the crosswalks write (4-5 kB) is stored lz4-compressed
        record_id = conn.execute(text("SELECT min(record_id) FROM published_metadata")).scalar()
        fragment = "".join(f"<title>Title {n} of a long record</title>" for n in range(120))
        conn.execute(
            text(
                "INSERT INTO published_metadata (record_id, format, content) "
                "VALUES (:r, 'bench_size', :c)"
            ),
            {"r": record_id, "c": fragment},
        )
        compression, stored = conn.execute(
            text(
                "SELECT pg_column_compression(content), pg_column_size(content) "
                "FROM published_metadata WHERE format = 'bench_size'"
            )
        ).one()
        assert compression == "lz4" and stored < len(fragment)
        conn.execute(text("DELETE FROM published_metadata WHERE format = 'bench_size'"))
