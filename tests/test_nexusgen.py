"""The NeXus writer: valid structure for every technique, reproducible bytes, cheap big files."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import pytest

from faircat.demo.nexusgen import (
    DEFINITIONS,
    example_spec,
    truncate_file,
    write_nexus,
    write_not_hdf5,
)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@pytest.mark.parametrize("style", ["variable", "fixed"])
@pytest.mark.parametrize("technique", sorted(DEFINITIONS))
def test_structure_is_valid_nexus(tmp_path: Path, technique: str, style: str) -> None:
    spec = example_spec(technique, string_style=style)  # type: ignore[arg-type]
    path = write_nexus(tmp_path / f"{technique}.nxs", spec)
    with h5py.File(path, "r") as f:
        groups: list[str] = []
        f.visititems(lambda name, obj: groups.append(name) if isinstance(obj, h5py.Group) else None)
        assert all("NX_class" in f[name].attrs for name in groups)
        assert _text(f.attrs["default"]) == "entry"
        entry = f["entry"]
        assert _text(entry["definition"][()]) == DEFINITIONS[technique]
        assert _text(entry["experiment_identifier"][()]) == spec.experiment_identifier
        assert _text(entry["user_01/ORCID"][()]) == "0000-0002-1825-0097"
        assert _text(entry["instrument/name"].attrs["short_name"])
        nxdata = entry[_text(entry.attrs["default"])]
        assert _text(nxdata.attrs["NX_class"]) == "NXdata"
        signal = nxdata[_text(nxdata.attrs["signal"])]
        axes = [_text(axis) for axis in nxdata.attrs["axes"]]
        assert len(axes) == signal.ndim
        for index, axis in enumerate(axes):
            if axis != ".":
                assert nxdata.attrs[f"{axis}_indices"] == index
                assert nxdata[axis].shape[0] == signal.shape[index]


def test_same_spec_same_bytes(tmp_path: Path) -> None:
    spec = example_spec("mx", 2)
    first = write_nexus(tmp_path / "scan.nxs", spec).read_bytes()
    assert write_nexus(tmp_path / "scan.nxs", spec).read_bytes() == first
    other = write_nexus(tmp_path / "scan.nxs", example_spec("mx", 3)).read_bytes()
    assert other != first


@pytest.mark.parametrize("technique", sorted(DEFINITIONS))
def test_big_bytes_makes_a_sparse_file(tmp_path: Path, technique: str) -> None:
    path = write_nexus(tmp_path / "big.nxs", example_spec(technique, big_bytes=256 << 20))  # type: ignore[arg-type]
    info = os.stat(path)
    assert info.st_size >= 256 << 20
    assert info.st_blocks * 512 < 16 << 20


def test_helpers_for_broken_files(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "cut.nxs", example_spec("xas"))
    assert truncate_file(path, 1000).stat().st_size == 1000
    text = write_not_hdf5(tmp_path / "log.nxs")
    assert not h5py.is_hdf5(text) and text.stat().st_size > 0
