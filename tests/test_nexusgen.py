"""The NeXus writer: valid structure for every technique, reproducible bytes, cheap big files; and
the demo's schedule of experiments."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
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


# -- the demo's schedule (faircat.demo.builder): any number of experiments ------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 48, 800, 5000])
def test_any_number_of_experiments_gets_a_valid_schedule(count: int) -> None:
    """``faircat demo --investigations 800`` failed: the last past experiments started after
    ``now`` and were cut to end before it, before they started."""
    from faircat.catalogue.lifecycle import check_dates
    from faircat.demo.builder import draw_proposal, plan_investigations

    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    for seed in range(10):  # the demo's rng has drawn people before: any state may come
        rng = random.Random(seed)
        plans = plan_investigations(count, rng, now)
        assert len(plans) == count
        for start, end, _ in plans:
            check_dates(start, end)  # what creating the investigation checks
        past = plans[: max(count - 2, 1)]
        # whole days, and the scans (up to 8h40 after the start) inside them, all before now
        assert all(end - start >= timedelta(days=1) and end < now for start, end, _ in past)
        assert past[0][0] < now - timedelta(days=5 * 365)  # spread over the years
        if count >= 3:
            (running, until, _), (scheduled, _, _) = plans[-2:]
            assert running < now < until and scheduled > now
        taken: set[str] = set()
        proposals = [draw_proposal(rng, s.year, n, taken) for n, (s, _, _) in enumerate(plans)]
        assert len(set(proposals)) == count == len(taken)  # proposal-visit is unique


def test_the_schedule_is_the_same_for_a_seed() -> None:
    from faircat.demo.builder import plan_investigations

    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    first = plan_investigations(800, random.Random(7), now)
    assert plan_investigations(800, random.Random(7), now) == first
    assert plan_investigations(800, random.Random(8), now) != first
