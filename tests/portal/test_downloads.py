"""Downloads: one file with ranges and the right media type, zips with a SHA-256 manifest
streamed in constant memory, URL lists for wget; and the pure parts (names, media types)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from faircat.catalogue.models import Datafile, Dataset
from faircat.catalogue.workspace import zipplan
from faircat.catalogue.workspace.files import FileRow, media_type, sha256_hex
from faircat.catalogue.workspace.roots import DataRoots
from faircat.web import downloads
from tests.portal.conftest import login
from tests.portal.dataworld import DataWorld, data_app, data_client, dataworld

__all__ = ["data_client", "dataworld"]


def _row(name: str, dataset: str = "scan_1", experiment: str = "P-1", id: int = 1, **kw) -> FileRow:
    return FileRow(
        id,
        name,
        kw.get("size", 1),
        kw.get("checksum"),
        kw.get("format"),
        kw.get("location", "/x"),
        1,
        dataset,
        experiment,
    )


def test_media_types():
    assert media_type("scan.nxs", "application/x-nexus") == "application/x-hdf5"
    assert media_type("master.h5", None) == "application/x-hdf5"
    assert media_type("notes.txt", "text/plain") == "text/plain"
    assert media_type("image.tiff", None) == "image/tiff"
    assert media_type("odd", "not a type") == "application/octet-stream"
    # what a browser would render or run is served as bytes, whatever the ingest recorded
    assert media_type("page.html", "text/html") == "application/octet-stream"
    assert media_type("logo.svg", None) == "application/octet-stream"


def test_checksums():
    digest = "ab" * 32
    assert sha256_hex(f"sha256:{digest.upper()}") == digest
    assert sha256_hex("md5:abc") is None and sha256_hex("sha256:xyz") is None
    assert sha256_hex(None) is None


def test_zip_entry_names_are_safe_and_unique():
    rows = [
        _row("../../etc/passwd", id=1),
        _row("a.h5", id=2),
        _row("A.h5", id=3),  # the same name on a case-insensitive disk
        _row("a.h5", dataset="..", id=4),
        _row("SHA256SUMS", dataset="x", experiment="", id=5),
        _row("tab\there\nnewline", id=6),
    ]
    names = [entry.arcname for entry in zipplan.plan(rows)]
    assert names == [
        "P-1/scan_1/.._.._etc_passwd",
        "P-1/scan_1/a.h5",
        "P-1/scan_1/A~3.h5",
        "P-1/_/a.h5",
        "_/x/SHA256SUMS",
        "P-1/scan_1/tab_here_newline",
    ]
    assert all(".." not in name.split("/") for name in names)
    assert zipplan.manifest_size(names) == len(
        "".join(zipplan.manifest_line("f" * 64, n) for n in names).encode()
    )


def test_one_file_with_its_media_type_ranges_and_conditions(
    data_client: FlaskClient, dataworld: DataWorld
):
    scan = dataworld.file_id("active", "scan_0001.nxs")
    path = dataworld.root / "ACT-1" / "scan_0001.nxs"
    login(data_client, "pia")
    whole = data_client.get(f"/data/files/{scan}")
    assert whole.status_code == 200 and whole.data == path.read_bytes()
    assert whole.mimetype == "application/x-hdf5"
    assert whole.headers["Content-Disposition"] == "attachment; filename=scan_0001.nxs"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert "private" in whole.headers["Cache-Control"]
    part = data_client.get(f"/data/files/{scan}", headers={"Range": "bytes=8-15"})
    assert part.status_code == 206 and part.data == path.read_bytes()[8:16]
    assert part.headers["Content-Range"] == f"bytes 8-15/{path.stat().st_size}"
    tail = data_client.get(f"/data/files/{scan}", headers={"Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.data == path.read_bytes()[-4:]
    assert (
        data_client.get(f"/data/files/{scan}", headers={"Range": "bytes=999999-"}).status_code
        == 416
    )
    again = data_client.get(f"/data/files/{scan}", headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304
    head = data_client.head(f"/data/files/{scan}")
    assert head.status_code == 200 and head.headers["Content-Length"] == str(path.stat().st_size)
    assert data_client.get(f"/data/files/{scan}/scan_0001.nxs").data == whole.data
    assert data_client.get(f"/data/files/{scan}/other.nxs").status_code == 404
    note = dataworld.file_id("active", "ZQXJ-restricted-sentinel-notes.txt")
    assert data_client.get(f"/data/files/{note}").mimetype == "text/plain"


def test_a_dataset_zip_holds_its_files_and_a_manifest_that_checks(
    data_client: FlaskClient, dataworld: DataWorld
):
    raw = dataworld.experiments["embargoed"].raw
    login(data_client, "cora")
    response = data_client.get(f"/data/datasets/{raw}/files.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert response.headers["Content-Disposition"] == 'attachment; filename="scan_0001.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    lines = archive.read("SHA256SUMS").decode().splitlines()
    assert len(lines) == 3
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        assert name.startswith("EMB-1/scan_0001/")


def test_a_file_without_a_stored_checksum_is_hashed_while_it_streams(
    catalogue, data_client: FlaskClient, dataworld: DataWorld
):
    experiment = dataworld.experiments["active"]
    with catalogue.transaction() as session:
        session.execute(update(Datafile).values(checksum=None))
    login(data_client, "pia")
    response = data_client.get(f"/data/experiments/{experiment.label}/files.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = dict(
        reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS").decode().splitlines()
    )
    assert sorted(manifest) == sorted(n for n in archive.namelist() if n != "SHA256SUMS")
    assert len(manifest) == 4  # raw scan, note and log, processed curve
    for name, digest in manifest.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest


def test_a_selection_and_the_url_lists(data_client: FlaskClient, dataworld: DataWorld):
    active = dataworld.experiments["active"]
    ids = list(active.files.values())
    login(data_client, "pia")
    archive = zipfile.ZipFile(
        io.BytesIO(data_client.get("/data/files.zip?" + "&".join(f"file={i}" for i in ids)).data)
    )
    assert len(archive.namelist()) == 5  # four files and the manifest
    listing = data_client.get(f"/data/datasets/{active.raw}/files.txt")
    assert listing.mimetype == "text/plain"
    urls = listing.get_data(as_text=True).splitlines()
    assert urls == sorted(urls, key=lambda u: u.rsplit("/", 1)[1])
    assert all(u.startswith("http://localhost/data/files/") for u in urls)
    for url in urls:  # each URL downloads, and under the file's own name
        response = data_client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].endswith(url.rsplit("/", 1)[1])
    experiment = data_client.get(f"/data/experiments/{active.label}/files.txt").get_data(
        as_text=True
    )
    assert len(experiment.splitlines()) == 4
    assert data_client.get("/data/files.zip?file=abc").status_code == 400
    assert data_client.get("/data/files.zip?file=-1").status_code == 400
    too_many = "&".join(f"file={i}" for i in range(1, downloads.MAX_SELECTION + 2))
    assert data_client.get(f"/data/files.txt?{too_many}").status_code == 400
    assert data_client.get("/data/experiments/NOPE-1/files.txt").status_code == 404


def test_a_zip_streams_in_constant_memory(catalogue, dataworld: DataWorld, tmp_path: Path):
    """A 256 MiB file (sparse: cheap to make) streams with a few MiB of Python memory."""
    big = dataworld.root / "ACT-1" / "big.h5"
    with big.open("wb") as handle:
        handle.truncate(256 << 20)
    with catalogue.transaction() as session:
        raw = session.get(Dataset, dataworld.experiments["active"].raw)
        session.add(
            Datafile(
                dataset_id=raw.id, name="big.h5", location=str(big), size=256 << 20, checksum=None
            )
        )
    app = data_app(catalogue, dataworld.root)
    client = app.test_client()
    login(client, "pia")
    tracemalloc.start()
    try:
        response = client.get(
            f"/data/datasets/{dataworld.experiments['active'].raw}/files.zip", buffered=False
        )
        total = 0
        for chunk in response.response:
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        app.extensions["faircat"].close()
    assert total == int(response.headers["Content-Length"]) > 256 << 20
    assert peak < 16 << 20, f"peak {peak / 2**20:.1f} MiB"


def test_zip_stream_leaves_out_what_it_cannot_read(tmp_path: Path):
    (tmp_path / "a.txt").write_text("a")
    rows = [
        _row("a.txt", location=str(tmp_path / "a.txt"), id=1),
        _row("b.txt", location=str(tmp_path / "missing.txt"), id=2),
    ]
    flask = Flask(__name__)
    flask.extensions["faircat.data_roots"] = DataRoots.of([tmp_path])
    with flask.app_context():
        zs, length = downloads.zip_stream(rows)
        data = b"".join(zs)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert len(data) == length
    assert archive.namelist() == ["P-1/scan_1/a.txt", "SHA256SUMS", "NOT-INCLUDED.txt"]
    assert "P-1/scan_1/b.txt" in archive.read("NOT-INCLUDED.txt").decode()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_anonymous_downloads_of_public_data(data_client: FlaskClient, dataworld: DataWorld):
    public = dataworld.experiments["public"]
    assert data_client.get(f"/data/files/{public.files['notes.txt']}").status_code == 200
    assert data_client.get(f"/data/datasets/{public.raw}/files.zip").status_code == 200


def test_a_file_that_shrank_breaks_the_zip_instead_of_padding_it(tmp_path: Path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    with pytest.raises(OSError, match="shorter"):
        list(downloads._read(path, 10, None))
