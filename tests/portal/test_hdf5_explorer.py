"""The HDF5 explorer (h5grove behind our checks) and the preview frames, on real files:
gzip and bitshuffle/LZ4 detector stacks, slices as JSON and binary, bounded slice sizes."""

from __future__ import annotations

import io

import h5py
import hdf5plugin
import numpy as np
import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import update

from faircat.catalogue.models import Dataset
from faircat.catalogue.workspace import frames
from faircat.web.hdf5 import MAX_BINARY, MAX_TEXT, selection_size
from tests.portal.conftest import login
from tests.portal.dataworld import DataWorld, data_client, dataworld

__all__ = ["data_client", "dataworld"]


def test_selection_sizes():
    assert selection_size((10, 20, 30), None) == 6000
    assert selection_size((10, 20, 30), "0") == 600
    assert selection_size((10, 20, 30), "0,::2,5:15") == 100
    assert selection_size((10, 20, 30), "2:5") == 1800
    assert selection_size((10, 20, 30), "-1,0,:") == 30
    with pytest.raises(ValueError):
        selection_size((10,), "0,0")


def test_frame_pooling_keeps_a_hot_pixel_and_scales_by_percentiles():
    image = np.zeros((4096, 4096), dtype=np.uint32)
    image[1234, 3210] = 60_000
    pooled = frames.pool(image, 800)
    assert pooled.shape == (682, 682) and pooled.max() == 60_000
    scale = frames.scale_of(np.arange(1, 10_001, dtype=np.float64).reshape(100, 100))
    assert 100 < scale.low < 102 and 9950 < scale.high < 9951 and not scale.log
    assert frames.scale_of(np.logspace(0, 6, 10_000)).log
    assert frames.scale_of(np.full((3, 3), np.nan)) == frames.Scale(0.0, 1.0, False)
    floats = np.full((4, 4), np.nan)
    floats[0, 0], floats[3, 3] = 5.0, -1.0
    pooled = frames.pool(floats, 2)
    assert pooled[0, 0] == 5.0 and pooled[1, 1] == -1.0 and np.isnan(pooled[0, 1])


def test_the_tree_attributes_and_slices(data_client: FlaskClient, dataworld: DataWorld):
    scan = dataworld.file_id("public", "scan_0001.nxs")
    h5 = f"/data/files/{scan}/h5"
    root = data_client.get(f"{h5}/meta?path=/")  # public: anonymous reads it
    assert root.status_code == 200 and root.mimetype == "application/json"
    assert [c["name"] for c in root.json["children"]] == ["entry"]
    data = data_client.get(f"{h5}/meta?path=/entry/data/data").json
    assert data["kind"] == "dataset" and data["shape"] == [5, 48, 64]
    assert data["type"]["dtype"] == "<u2"
    assert {a["name"] for a in data_client.get(f"{h5}/meta?path=/entry").json["attributes"]} >= {
        "NX_class",
        "default",
        "operator_note",
    }
    assert data_client.get(f"{h5}/attr?path=/entry").json["operator_note"] == "open note"
    with h5py.File(dataworld.root / "PUB-1" / "scan_0001.nxs") as handle:
        frame = handle["entry/data/data"][2]
    sliced = data_client.get(f"{h5}/data?path=/entry/data/data&selection=2,0:3,0:4").json
    assert sliced == frame[0:3, 0:4].tolist()
    binary = data_client.get(f"{h5}/data?path=/entry/data/data&selection=2&format=bin")
    assert binary.mimetype == "application/octet-stream"
    assert np.frombuffer(binary.data, dtype="<u2").reshape(48, 64).tolist() == frame.tolist()
    stats = data_client.get(f"{h5}/stats?path=/entry/data/data&selection=2").json
    assert stats["max"] == int(frame.max())


def test_the_client_never_names_the_file(data_client: FlaskClient, dataworld: DataWorld, tmp_path):
    scan = dataworld.file_id("public", "scan_0001.nxs")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as handle:
        handle["mine"] = 1
    response = data_client.get(f"/data/files/{scan}/h5/meta?path=/&file={other}")
    assert [c["name"] for c in response.json["children"]] == ["entry"]
    restricted = dataworld.file_id("active", "scan_0001.nxs")
    response = data_client.get(f"/data/files/{restricted}/h5/meta?path=/&file={other}")
    assert response.status_code == 404


def test_wrong_arguments_are_client_errors_not_server_errors(
    data_client: FlaskClient, dataworld: DataWorld
):
    h5 = f"/data/files/{dataworld.file_id('public', 'scan_0001.nxs')}/h5"
    cases = {
        f"{h5}/data?path=/entry": 422,  # a group is not a dataset
        f"{h5}/data?path=/entry/data/data&selection=x": 422,
        f"{h5}/data?path=/entry/data/data&selection=0,0,0,0": 422,
        f"{h5}/data?path=/entry/data/data&selection=9": 422,  # past the end
        f"{h5}/data?path=/entry/data/data&selection=0&format=pdf": 422,
        f"{h5}/attr?path=/entry&attr_keys=nope": 422,
        f"{h5}/meta?path=/nope": 404,
        f"{h5}/meta?path=/&resolve_links=maybe": 422,
        f"{h5}/paths?path=/entry/title": 422,
    }
    for url, status in cases.items():
        response = data_client.get(url)
        assert (response.status_code, response.mimetype) == (status, "application/json"), url
        assert "message" in response.json


def test_slices_are_bounded(catalogue, data_client: FlaskClient, dataworld: DataWorld):
    folder = dataworld.root / "PUB-1"
    with h5py.File(folder / "curve.h5", "a") as handle:
        # a large stack costs nothing to declare: only written chunks take space
        handle.create_dataset(
            "entry/stack", shape=(64, 4096, 4096), dtype="u2", chunks=(1, 512, 512)
        )
    h5 = f"/data/files/{dataworld.file_id('public', 'curve.h5')}/h5"
    whole = data_client.get(f"{h5}/data?path=/entry/stack&format=bin")
    assert whole.status_code == 413 and "at most" in whole.json["message"]
    assert data_client.get(f"{h5}/data?path=/entry/stack&selection=0").status_code == 413  # JSON
    assert data_client.get(f"{h5}/stats?path=/entry/stack").status_code == 413
    frame = data_client.get(f"{h5}/data?path=/entry/stack&selection=0&format=bin")
    assert frame.status_code == 200 and len(frame.data) == 2 * 4096 * 4096 <= 2 * MAX_BINARY
    small = data_client.get(f"{h5}/data?path=/entry/stack&selection=0,0:1024,0:1024")
    assert small.status_code == 200 and len(small.json) == 1024  # 1024 x 1024 <= MAX_TEXT
    rows = MAX_TEXT // 1024 + 1
    bigger = data_client.get(f"{h5}/data?path=/entry/stack&selection=0,0:{rows},0:1024")
    assert bigger.status_code == 413  # as JSON; the same slice is fine in binary
    assert (
        data_client.get(
            f"{h5}/data?path=/entry/stack&selection=0,0:{rows},0:1024&format=bin"
        ).status_code
        == 200
    )


def _bitshuffle_scan(path, frames_: int = 6) -> np.ndarray:
    rng = np.random.default_rng(7)
    stack = rng.poisson(3.0, (frames_, 256, 192)).astype(np.uint32)
    stack[:, 100, 50] = np.arange(frames_) * 1000 + 500
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "data"})
        data.create_dataset(
            "data", data=stack, chunks=(1, 256, 192), **hdf5plugin.Bitshuffle(cname="lz4")
        )
    return stack


def test_bitshuffle_lz4_frames_preview_and_slice(
    catalogue, data_client: FlaskClient, dataworld: DataWorld
):
    path = dataworld.root / "PUB-1" / "scan_0001.nxs"
    stack = _bitshuffle_scan(path)
    with h5py.File(path) as handle:
        plist = handle["entry/data/data"].id.get_create_plist()
        assert plist.get_filter(0)[0] == hdf5plugin.BSHUF_ID  # bitshuffle, really
    experiment = dataworld.experiments["public"]
    with catalogue.transaction() as session:
        session.execute(
            update(Dataset).where(Dataset.id == experiment.raw).values(plot_path="/entry/data")
        )
    h5 = f"/data/files/{experiment.files['scan_0001.nxs']}/h5"
    meta = data_client.get(f"{h5}/meta?path=/entry/data/data").json
    assert meta["filters"][0]["name"].lower().startswith("bitshuffle")
    frame = data_client.get(f"{h5}/data?path=/entry/data/data&selection=4&format=bin&dtype=safe")
    assert np.frombuffer(frame.data, dtype="<u4").reshape(256, 192).tolist() == stack[4].tolist()
    png = data_client.get(f"/data/datasets/{experiment.raw}/preview/4.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    assert image.mode == "P" and image.width > 256
    assert png.headers["X-Colour-Scale"].endswith("linear")
    # the last frame exists, the one after does not
    assert data_client.get(f"/data/datasets/{experiment.raw}/preview/5.png").status_code == 200
    assert data_client.get(f"/data/datasets/{experiment.raw}/preview/6.png").status_code == 404
    again = data_client.get(
        f"/data/datasets/{experiment.raw}/preview/4.png",
        headers={"If-None-Match": png.headers["ETag"]},
    )
    assert again.status_code == 304


def test_the_dataset_page_offers_the_slider_and_the_explorer(
    data_client: FlaskClient, dataworld: DataWorld
):
    experiment = dataworld.experiments["active"]
    login(data_client, "pia")
    page = data_client.get(f"/portal/datasets/{experiment.raw}?frame=3").get_data(as_text=True)
    assert f'src="/data/datasets/{experiment.raw}/preview/2.png"' in page
    assert 'type="range" id="frame" name="frame" min="1" max="5"' in page
    assert 'value="3"' in page and "3 / 5" in page
    scan = experiment.files["scan_0001.nxs"]
    assert f'value="/data/files/{scan}/h5/"' in page
    processed = data_client.get(f"/portal/datasets/{experiment.processed}").get_data(as_text=True)
    assert f"/data/datasets/{experiment.processed}/preview/0.png" in processed
    assert 'type="range"' not in processed  # a line: no frames to step through
