"""The nginx snippet: escaping, MIME map, and (when nginx is installed) a real server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest

from faircat.crosswalks import linkset, registry, urls
from faircat.crosswalks.view import FileView
from faircat.publisher.headers import COMMON_HEADERS, HTML_HEADERS
from faircat.publisher.nginx import (
    MAX_ITEM_LINKS,
    generic_config,
    link_header,
    media_type,
    mime_types,
    nginx_config,
    nginx_uri,
)
from tests.crosswalks import cases

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
)
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx-light)"
)

DATACITE_XML = "application/vnd.datacite.datacite+xml"
ODD_DOI = "10.5072/odd$x;y{z}"  # legal in a DOI; "$" would start an nginx variable


def _page(record) -> tuple[str, list[tuple[str, str, str]]]:
    return "/" + urls.doi_path(record.doi), linkset.page_links(record, registry.metadata_files())


def _records():
    return [cases.full(), cases.public(), replace(cases.minimal(), doi=ODD_DOI)]


# -- pure parts ---------------------------------------------------------------------------------


def test_mime_types_cover_every_file_the_export_writes() -> None:
    types = mime_types()
    expected = {
        "datacite.xml": "application/vnd.datacite.datacite+xml",
        "datacite.json": "application/vnd.datacite.datacite+json",
        "schemaorg.jsonld": "application/ld+json",
        "citation.bib": "application/x-bibtex",
        "citation.ris": "application/x-research-info-systems",
        "citation.csl.json": "application/vnd.citationstyles.csl+json",
        "citation.txt": "text/x-bibliography",
        "linkset.json": "application/linkset+json",
        "preview.png": "image/png",
        ".html": "text/html",
        ".css": "text/css",
        ".js": "text/javascript",
        ".json": "application/json",
        ".png": "image/png",
        ".nxs": "application/x-hdf5",
        ".h5": "application/x-hdf5",
    }
    assert expected.items() <= types.items()
    for fmt in registry.file_formats():
        assert types[fmt.file_name] == fmt.media_type
    assert (
        media_type("doi/10.5072/x/citation.csl.json") == "application/vnd.citationstyles.csl+json"
    )
    assert media_type("search/index.json") == "application/json"
    assert media_type("files/scan_0001.NXS") == "application/x-hdf5"
    assert media_type("README") == "application/octet-stream"


def test_link_header_is_rfc8288_and_nginx_safe() -> None:
    value = link_header(
        [
            ("cite-as", 'https://doi.org/10.5072/a$b"c d', ""),
            ("describedby", "https://x.example/a/datacite.xml", DATACITE_XML),
            ("item", "https://x.example/a/é.h5", "application/x-hdf5"),
        ]
    )
    assert value == (
        '<https://doi.org/10.5072/a%24b%22c%20d>; rel=\\"cite-as\\", '
        '<https://x.example/a/datacite.xml>; rel=\\"describedby\\"; '
        'type=\\"application/vnd.datacite.datacite+xml\\", '
        '<https://x.example/a/%C3%A9.h5>; rel=\\"item\\"; type=\\"application/x-hdf5\\"'
    )
    assert "$" not in value
    with pytest.raises(ValueError, match="media type"):
        link_header([("item", "https://x.example/f", 'text/plain"; rel="evil')])
    with pytest.raises(ValueError, match="relation"):
        link_header([("cite as", "https://x.example/", "")])


def test_many_items_go_to_the_linkset_only() -> None:
    files = tuple(FileView(f"f{i}.h5", f"files/f{i}.h5", 10) for i in range(MAX_ITEM_LINKS + 1))
    record = replace(cases.public(), files=files)
    value = link_header(linkset.page_links(record, registry.metadata_files()))
    assert 'rel=\\"item\\"' not in value and 'rel=\\"linkset\\"' in value
    few = replace(cases.public(), files=files[:MAX_ITEM_LINKS])
    assert link_header(linkset.page_links(few, registry.metadata_files())).count("item") == 20


def test_nginx_uri_is_what_nginx_matches() -> None:
    assert nginx_uri("doi/10.5072/a%24b%3Bc/") == "/doi/10.5072/a$b;c/"
    assert nginx_uri("/doi/10.5072/a%2F%2Fb/") == "/doi/10.5072/a/b/"  # merge_slashes
    assert nginx_uri("/doi/10.5072/%2E%2E/") is None  # nginx would resolve ".." away
    with pytest.raises(ValueError):
        nginx_uri("https://x.example/doi/1/")


def test_snippet_has_one_compact_location_per_page() -> None:
    pages = [_page(r) for r in _records()]
    config = nginx_config("/srv/faircat/site", pages)
    assert config.count("\nlocation = ") == len(pages)
    line = next(x for x in config.splitlines() if "odd" in x)
    assert line.startswith('location = "/doi/10.5072/odd$x;y{z}/" {')
    assert "<https://doi.org/10.5072/odd%24x;y%7Bz%7D>" in line
    assert line.count("\n") == 0 and line.endswith('" always; }')
    assert 'root "/srv/faircat/site";' in config and "charset utf-8;" in config
    assert "try_files $uri $uri/index.html =404;" in config
    assert 'max-age=300"' in config and 'max-age=3600"' in config and 'max-age=86400"' in config
    assert re.search(
        r'location ~ "/linkset\\\.json\$" \{ types \{ \} default_type '
        r"application/linkset\+json;",
        config,
    )


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        nginx_config("relative/site", [])
    with pytest.raises(ValueError):
        nginx_config("/srv/$site", [])
    with pytest.raises(ValueError, match="control"):
        nginx_config("/srv/site", [("/doi/10.5072/a%0Ab/", [])])
    with pytest.raises(ValueError, match="two landing pages"):
        nginx_config("/srv/site", [("/doi/1/", []), ("doi/1/", [])])


def test_hundred_thousand_pages_join_fast() -> None:
    page, links = _page(cases.full())
    pages = ((f"{page}{i:06d}/", links) for i in range(100_000))
    start = time.perf_counter()
    config = nginx_config("/srv/site", pages)
    elapsed = time.perf_counter() - start
    assert config.count("\nlocation = ") == 100_000
    print(f"100k pages: {elapsed * 1000:.0f} ms, {len(config) / 1e6:.1f} MB")


# -- real nginx ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_site(root: Path) -> None:
    for record in _records():
        # nginx serves the decoded URI from disk: "odd$x;y{z}" is a folder of that name
        page = root / nginx_uri(urls.doi_path(record.doi)).lstrip("/")
        page.mkdir(parents=True, exist_ok=True)
        (page / "index.html").write_text("<!doctype html><title>page</title>\n")
        for name, data in registry.render_files(record).items():
            (page / name).write_bytes(data)
        (page / "preview.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "static").mkdir()
    (root / "static" / "site.css").write_text("body { margin: 0 }\n")


def _server_config(tmp: Path, snippet: Path, port: int, user: str | None = None) -> Path:
    config = tmp / "nginx.conf"
    temp = tmp / "temp"
    temp.mkdir()
    # as root with a user: a master process and workers as that user, as nginx is deployed
    processes = f"user {user};" if user else "master_process off;"
    config.write_text(
        f"""daemon off;
{processes}
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        include {snippet};
    }}
}}
"""
    )
    return config


@contextmanager
def _running_nginx(tmp_path: Path, snippet_text: str, user: str | None = None) -> Iterator[str]:
    """nginx serving ``snippet_text`` inside a server block on a free port; yields its URL.
    ``user``: its workers' (as root only), else one process as the test's user."""
    assert NGINX is not None
    snippet = tmp_path / "faircat.conf"
    snippet.write_text(snippet_text)
    port = _free_port()
    config = _server_config(tmp_path, snippet, port, user)
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    # master_process off: one process, as the test's user, so it can read the temp folder
    server = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {server.stderr.read()!r}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def nginx_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    site = tmp_path / "site"
    _write_site(site)
    snippet = nginx_config(str(site), [_page(r) for r in _records()])
    with _running_nginx(tmp_path, snippet) as base:
        yield base, site


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


@needs_nginx
def test_nginx_serves_link_headers_and_types(nginx_site: tuple[str, Path]) -> None:
    base, _site = nginx_site
    full = cases.full()
    page = "/" + urls.doi_path(full.doi)
    status, headers = _get(base + page)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=300"
    link = headers["Link"]
    assert link.startswith(f'<https://doi.org/{full.doi}>; rel="cite-as", ')
    assert '; rel="describedby"; type="application/vnd.datacite.datacite+xml"' in link
    assert link == link_header(_page(full)[1]).replace('\\"', '"')
    # the same security headers as faircat serve, on pages and on every other file
    for name, value in {**COMMON_HEADERS, **HTML_HEADERS}.items():
        assert headers[name] == value, name
    assert _get(base + "/static/site.css")[1]["X-Content-Type-Options"] == "nosniff"

    expected = {
        "datacite.xml": "application/vnd.datacite.datacite+xml; charset=utf-8",
        "datacite.json": "application/vnd.datacite.datacite+json",
        "linkset.json": "application/linkset+json",
        "citation.csl.json": "application/vnd.citationstyles.csl+json",
        "citation.txt": "text/x-bibliography; charset=utf-8",
        "schemaorg.jsonld": "application/ld+json",
        "citation.bib": "application/x-bibtex; charset=utf-8",
    }
    for name, content_type in expected.items():
        status, headers = _get(base + page + name)
        assert (status, headers["Content-Type"]) == (200, content_type), name
        assert headers["Cache-Control"] == "public, max-age=3600"
        assert headers["Access-Control-Allow-Origin"] == "*"
    status, headers = _get(base + page + "preview.png")
    assert (headers["Content-Type"], headers["Cache-Control"]) == (
        "image/png",
        "public, max-age=86400",
    )
    status, headers = _get(base + "/static/site.css")
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=86400"
    assert _get(base + "/doi/10.5072/missing/")[0] == 404


@needs_nginx
def test_nginx_odd_doi_keeps_its_link_header(nginx_site: tuple[str, Path]) -> None:
    base, _site = nginx_site
    path = urls.doi_path(ODD_DOI).replace("{", "%7B").replace("}", "%7D")  # as a client sends it
    status, headers = _get(f"{base}/{path}")
    assert status == 200
    assert headers["Link"].startswith('<https://doi.org/10.5072/odd%24x;y%7Bz%7D>; rel="cite-as"')


@needs_nginx
def test_generic_config_serves_signposting_for_any_number_of_pages(tmp_path: Path) -> None:
    """The constant-size snippet the export writes: Link header built from the DOI in the path."""
    site = tmp_path / "site"
    _write_site(site)
    (site / ".faircat").mkdir()
    (site / ".faircat" / "manifest.json").write_text("{}")
    snippet = generic_config(str(site), "https://data.example.org", registry.metadata_files())
    with _running_nginx(tmp_path, snippet) as base:
        full = cases.full()
        status, headers = _get(f"{base}/" + urls.doi_path(full.doi))
        assert status == 200
        link = headers["Link"]
        assert f'<https://doi.org/{full.doi}>; rel="cite-as"' in link
        assert (
            f'<https://data.example.org/doi/{full.doi}/datacite.xml>; rel="describedby"; '
            'type="application/vnd.datacite.datacite+xml"'
        ) in link
        assert 'rel="linkset"' in link
        status, headers = _get(f"{base}/" + urls.doi_path(full.doi) + "datacite.xml")
        assert status == 200
        assert headers["Content-Type"].startswith("application/vnd.datacite.datacite+xml")
        assert _get(f"{base}/.faircat/manifest.json")[0] == 404


def _scratch_beside(site: Path, page: Path) -> list[str]:
    """What an export in progress or killed leaves in the site (faircat.publisher.writer), as
    URL paths."""
    staged = page.with_name(f".{page.name}.new-abcd1234")
    shutil.copytree(page, staged)
    for path in (site / ".tmp-abcd1234", site / "static" / ".tmp-0123abcd"):
        path.write_text("half a file")
    (site / ".faircat").mkdir(exist_ok=True)
    (site / ".faircat" / "nginx.conf").write_text("# the export's own")
    url = "/" + quote(str(staged.relative_to(site)))
    return [f"{url}/", f"{url}/index.html", f"{url}/datacite.xml", f"{url}/preview.png",
            "/.tmp-abcd1234", "/static/.tmp-0123abcd", "/.faircat/nginx.conf", "/%2Efaircat/"]


@needs_nginx
@pytest.mark.parametrize("generic", [True, False], ids=["generic", "per-page"])
def test_nginx_never_serves_dot_names(tmp_path: Path, generic: bool) -> None:
    """Scratch folders of an export (a page built aside) and half-written files are never
    served, whichever location would otherwise match (a metadata file's regex, /static/)."""
    site = tmp_path / "site"
    _write_site(site)
    full = cases.full()
    page_url = "/" + urls.doi_path(full.doi)
    hidden = _scratch_beside(site, site / page_url.strip("/"))
    if generic:
        snippet = generic_config(str(site), "https://data.example.org", registry.metadata_files())
    else:
        snippet = nginx_config(str(site), [_page(r) for r in _records()])
    with _running_nginx(tmp_path, snippet) as base:
        assert _get(base + page_url)[0] == 200
        assert _get(base + page_url + "datacite.xml")[0] == 200
        assert _get(base + "/static/site.css")[0] == 200
        assert {path: _get(base + path)[0] for path in hidden} == dict.fromkeys(hidden, 404)


@needs_nginx
@pytest.mark.skipif(os.geteuid() != 0, reason="nginx workers as another user need root")
def test_nginx_workers_as_another_user_serve_an_export(world, tmp_path: Path) -> None:
    """The deployment: nginx's workers run as their own user. A site root made by mkdtemp
    (0700) got 403 for every page."""
    from faircat.publisher.export import export_site
    from tests.publisher.exportworld import NOW

    base_folder = Path(tempfile.mkdtemp(prefix="faircat-nginx-"))  # pytest's are 0700
    try:
        base_folder.chmod(0o755)
        site = base_folder / "site"
        old = os.umask(0o022)
        try:
            export_site(world, out=site, now=NOW)
        finally:
            os.umask(old)
        snippet = (site / ".faircat" / "nginx.conf").read_text()
        with _running_nginx(tmp_path, snippet, user="nobody nogroup") as base:
            for path in ("/", "/doi/10.80100/tls.pub-1/", "/doi/10.80100/tls.pub-1/datacite.xml",
                         "/search/index.json", "/static/site.css"):
                assert _get(base + path)[0] == 200, path
            assert _get(base + "/.faircat/manifest.sqlite")[0] == 404
    finally:
        shutil.rmtree(base_folder, ignore_errors=True)

