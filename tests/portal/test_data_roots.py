"""Files are served only from the data roots: traversal, symlinks out of a root, relative and odd
locations are refused (404, logged), on every route that opens a file; HDF5 files whose links
reach files outside their folder are not opened by the explorer or the previews."""

from __future__ import annotations

import io
import logging
import os
import zipfile
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from faircat.catalogue.models import Datafile
from faircat.catalogue.models.published import PublishedRecord
from faircat.catalogue.workspace.h5links import check_links
from faircat.catalogue.workspace.roots import DataRoots, parse_roots
from faircat.errors import ConfigError
from tests.portal.conftest import login
from tests.portal.dataworld import DataWorld, data_client, dataworld

__all__ = ["data_client", "dataworld"]


@pytest.fixture
def tree(tmp_path: Path) -> tuple[DataRoots, Path, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "exp").mkdir(parents=True)
    outside.mkdir()
    (root / "exp" / "scan.h5").write_bytes(b"inside")
    (outside / "secret.txt").write_text("secret")
    return DataRoots.of([root]), root, outside


def test_a_file_inside_a_root_is_served_by_its_real_path(tree):
    roots, root, _ = tree
    assert roots.confine(str(root / "exp" / "scan.h5")) == (root / "exp" / "scan.h5").resolve()
    # a symlink that stays inside the root is fine, and resolves to its target
    (root / "exp" / "alias.h5").symlink_to(root / "exp" / "scan.h5")
    assert roots.confine(str(root / "exp" / "alias.h5")) == (root / "exp" / "scan.h5").resolve()


def test_traversal_symlinks_and_odd_locations_are_refused(tree, caplog):
    roots, root, outside = tree
    (root / "exp" / "escape.txt").symlink_to(outside / "secret.txt")
    (root / "exp" / "folder-link").symlink_to(outside, target_is_directory=True)
    (root / "exp" / "loop").symlink_to(root / "exp" / "loop")
    (root / "exp" / "dangling").symlink_to(root / "exp" / "gone")
    refused = [
        str(root / "exp" / ".." / ".." / "outside" / "secret.txt"),  # traversal
        str(root / "exp" / "escape.txt"),  # a file symlink out of the root
        str(root / "exp" / "folder-link" / "secret.txt"),  # through a folder symlink
        str(root / "exp" / "loop"),
        str(root / "exp" / "dangling"),
        str(root / "exp"),  # a folder, not a file
        "exp/scan.h5",  # relative: relative to what?
        str(root / "exp" / "scan.h5\0.txt"),
        "/dev/zero",
        "",
        None,
    ]
    with caplog.at_level(logging.WARNING, logger="faircat.catalogue.workspace.roots"):
        assert [roots.confine(location) for location in refused] == [None] * len(refused)
    assert "outside the data roots" in caplog.text


def test_a_root_that_is_a_prefix_of_another_folder_does_not_cover_it(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data-other").mkdir()
    (tmp_path / "data-other" / "f.h5").write_bytes(b"x")
    assert DataRoots.of([tmp_path / "data"]).confine(str(tmp_path / "data-other" / "f.h5")) is None


def test_the_setting(tmp_path: Path):
    instance = tmp_path / "instance"
    assert parse_roots("", instance) == ((instance / "demo-data").resolve(),)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    roots = parse_roots(f"{tmp_path / 'link'}{os.pathsep} {tmp_path / 'b'} ", instance)
    assert roots == ((tmp_path / "real").resolve(), (tmp_path / "b").resolve())
    with pytest.raises(ConfigError, match="not an absolute path"):
        parse_roots("data/visitors", instance)


# -- the routes --------------------------------------------------------------------------------


def _relocate(catalogue, file_id: int, location: Path) -> None:
    with catalogue.transaction() as session:
        session.execute(
            update(Datafile).where(Datafile.id == file_id).values(location=str(location))
        )


def test_every_route_refuses_a_location_outside_the_roots(
    catalogue, data_client: FlaskClient, dataworld: DataWorld, tmp_path: Path
):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "passwd"
    secret.write_text("root:x:0:0\n")
    note = dataworld.file_id("active", "ZQXJ-restricted-sentinel-notes.txt")
    folder = dataworld.root / dataworld.experiments["active"].label
    link = folder / "innocent.txt"
    link.symlink_to(secret)
    _relocate(catalogue, note, link)
    login(data_client, "pia")
    assert data_client.get(f"/data/files/{note}").status_code == 404
    _relocate(catalogue, note, folder / ".." / ".." / "outside" / "passwd")
    assert data_client.get(f"/data/files/{note}").status_code == 404
    raw = dataworld.experiments["active"].raw
    archive = zipfile.ZipFile(io.BytesIO(data_client.get(f"/data/datasets/{raw}/files.zip").data))
    assert sorted(archive.namelist()) == [
        "ACT-1/scan_0001/scan_0001.log",
        "ACT-1/scan_0001/scan_0001.nxs",
        "NOT-INCLUDED.txt",
        "SHA256SUMS",
    ]
    assert "root:x" not in archive.read("NOT-INCLUDED.txt").decode()
    # the HDF5 explorer and the preview of a file moved out of the roots
    scan = dataworld.file_id("active", "scan_0001.nxs")
    moved = outside / "scan.nxs"
    (folder / "scan_0001.nxs").rename(moved)
    (folder / "scan_0001.nxs").symlink_to(moved)
    assert data_client.get(f"/data/files/{scan}/h5/meta?path=/").status_code == 404
    assert data_client.get(f"/data/datasets/{raw}/preview/0.png").status_code == 404
    assert data_client.get(f"/data/files/{scan}").status_code == 404


def test_the_public_files_route_is_confined_too(
    catalogue, data_client: FlaskClient, dataworld: DataWorld, tmp_path: Path
):
    public = dataworld.experiments["public"]
    with catalogue.transaction() as session:
        dataset = session.get(Datafile, public.files["scan_0001.nxs"]).dataset
        session.add(
            PublishedRecord(
                pid="10.80100/tls.pub-1.scan_0001",
                kind="dataset",
                status="open",
                investigation_id=dataset.investigation_id,
                dataset_id=dataset.id,
                datestamp=datetime.fromisoformat("2026-01-01T00:00:00+00:00"),
                content_hash="0" * 64,
                path="/doi/10.80100/tls.pub-1.scan_0001/",
                title="Open lysozyme scan",
            )
        )
    url = "/files/10.80100/tls.pub-1.scan_0001/scan_0001.nxs"
    response = data_client.get(url)
    assert response.status_code == 200 and response.data[:4] == b"\x89HDF"
    outside = tmp_path / "elsewhere.nxs"
    outside.write_bytes(b"\x89HDF not yours")
    _relocate(catalogue, public.files["scan_0001.nxs"], outside)
    assert data_client.get(url).status_code == 404


# -- HDF5 links out of the folder --------------------------------------------------------------


def _h5(path: Path, **links: object) -> Path:
    with h5py.File(path, "w") as handle:
        handle["values"] = np.arange(4)
        for name, link in links.items():
            handle[name] = link
    return path


def test_links_inside_the_folder_are_followed_links_out_are_not(tmp_path: Path):
    root = tmp_path / "root"
    folder, other = root / "exp-a", root / "exp-b"
    folder.mkdir(parents=True)
    other.mkdir()
    roots = DataRoots.of([root])
    _h5(folder / "data_000001.h5")
    _h5(other / "theirs.h5")
    master = _h5(folder / "master.h5", data=h5py.ExternalLink("data_000001.h5", "/values"))
    assert check_links(master.resolve(), roots).safe
    thief = _h5(folder / "thief.h5", loot=h5py.ExternalLink("../exp-b/theirs.h5", "/values"))
    assert not check_links(thief.resolve(), roots).safe
    absolute = _h5(folder / "abs.h5", loot=h5py.ExternalLink(str(other / "theirs.h5"), "/values"))
    assert not check_links(absolute.resolve(), roots).safe
    # a data file beside the master that is itself a symlink to another experiment's file
    (folder / "data_000002.h5").symlink_to(other / "theirs.h5")
    swapped = _h5(folder / "swapped.h5", data=h5py.ExternalLink("data_000002.h5", "/values"))
    assert not check_links(swapped.resolve(), roots).safe
    # and links reached through a linked file count too
    _h5(folder / "hop.h5", loot=h5py.ExternalLink("../exp-b/theirs.h5", "/values"))
    chained = _h5(folder / "chain.h5", next=h5py.ExternalLink("hop.h5", "/"))
    assert not check_links(chained.resolve(), roots).safe
    # a link to a file that is not there cannot be followed by anyone: harmless
    broken = _h5(folder / "broken.h5", data=h5py.ExternalLink("gone.h5", "/values"))
    assert check_links(broken.resolve(), roots).safe


def test_virtual_datasets_and_external_storage(tmp_path: Path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    roots = DataRoots.of([root])
    _h5(root / "a" / "part.h5")
    _h5(root / "b" / "theirs.h5")
    for name, source, safe in (("ok.h5", "part.h5", True), ("out.h5", "../b/theirs.h5", False)):
        layout = h5py.VirtualLayout(shape=(4,), dtype="i8")
        layout[:] = h5py.VirtualSource(source, "values", shape=(4,))
        with h5py.File(root / "a" / name, "w") as handle:
            handle.create_virtual_dataset("v", layout)
        assert check_links((root / "a" / name).resolve(), roots).safe is safe
    with h5py.File(root / "a" / "raw.h5", "w") as handle:
        handle.create_dataset("x", shape=(4,), dtype="u1", external=[("/etc/hostname", 0, 4)])
    assert not check_links((root / "a" / "raw.h5").resolve(), roots).safe
    (root / "a" / "plain.txt").write_text("not HDF5: nothing in it is followed")
    assert check_links((root / "a" / "plain.txt").resolve(), roots).safe


def test_the_explorer_refuses_a_file_that_links_out(
    catalogue, data_client: FlaskClient, dataworld: DataWorld
):
    folder = dataworld.root / dataworld.experiments["active"].label
    other = dataworld.root / dataworld.experiments["embargoed"].label
    curve = dataworld.file_id("active", "curve.h5")
    with h5py.File(folder / "curve.h5", "a") as handle:
        handle["entry/loot"] = h5py.ExternalLink(str(other / "scan_0001.nxs"), "/entry")
    login(data_client, "pia")
    response = data_client.get(f"/data/files/{curve}/h5/meta?path=/entry")
    assert response.status_code == 403
    assert "outside its folder" in response.json["message"]
    assert data_client.get(f"/data/files/{curve}/h5/data?path=/entry/loot/title").status_code == 403
