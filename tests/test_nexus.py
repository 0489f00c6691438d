"""The NeXus reader: round trips through the generator, every failure as one IngestError line,
robust strings, and proof that data is never read."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import h5py
import numpy as np
import pytest

from faircat.catalogue.checksum import sha256_file, sha256_files
from faircat.catalogue.nexus import (
    MAX_PARAMETERS,
    MAX_WARNINGS,
    NexusPlot,
    NexusUser,
    iter_nexus_paths,
    read_nexus,
)
from faircat.demo.nexusgen import (
    DEFINITIONS,
    Param,
    example_spec,
    truncate_file,
    write_nexus,
    write_not_hdf5,
)
from faircat.errors import IngestError

EXPECTED = {  # per technique: (plot signal, axes, one parameter with its value and unit)
    "mx": (
        "data",
        ("omega", ".", "."),
        ("instrument/beam/incident_wavelength", 0.9792, "angstrom"),
    ),
    "powder": (
        "data",
        ("polar_angle",),
        ("instrument/monochromator/wavelength", 0.4246, "angstrom"),
    ),
    "xas": ("mu", ("energy",), ("instrument/monochromator/edge_energy", 8979.0, "eV")),
    "saxs": ("I", ("Q",), ("instrument/detector/distance", 6700.0, "mm")),
    "tomo": ("data", ("rotation_angle", ".", "."), ("instrument/detector/count_time", 0.05, "s")),
}


def _params(meta):
    return {p.name: (p.value, p.unit) for p in meta.parameters}


@pytest.mark.parametrize("style", ["variable", "fixed", "array"])
@pytest.mark.parametrize("technique", sorted(DEFINITIONS))
def test_round_trip(tmp_path: Path, technique: str, style: str) -> None:
    spec = example_spec(technique, 3, string_style=style)  # type: ignore[arg-type]
    meta = read_nexus(write_nexus(tmp_path / "scan.nxs", spec))
    assert meta.path == (tmp_path / "scan.nxs").resolve()
    assert meta.entry == "/entry"
    assert meta.title == spec.title
    assert meta.start_time == spec.start and meta.start_time.tzinfo == UTC
    assert meta.end_time == spec.end
    assert meta.definition == DEFINITIONS[technique]
    assert meta.experiment_identifier == f"{spec.proposal}-{spec.visit}"
    assert (meta.proposal, meta.visit, meta.entry_identifier) == (spec.proposal, "2", "3")
    assert meta.instrument == spec.instrument
    assert (meta.sample_name, meta.sample_formula) == (spec.sample_name, spec.sample_formula)
    assert meta.users == tuple(
        NexusUser(u.name, u.role, u.affiliation, u.orcid, u.email) for u in spec.users
    )
    signal, axes, (name, value, unit) = EXPECTED[technique]
    assert meta.plot == NexusPlot("/entry/data", signal, axes)
    params = _params(meta)
    assert params[name] == (value, unit)
    assert params["sample/temperature"] == (100.0 if technique == "mx" else 295.0, "K")
    assert not any(p.startswith(("data/", "user_")) for p in params)  # NXdata and people skipped
    mapped = {"title", "start_time", "instrument/name", "sample/name", "sample/chemical_formula"}
    assert not mapped & params.keys()
    assert meta.size == os.stat(meta.path).st_size and meta.mtime > 0


def test_extra_parameters_keep_their_types(tmp_path: Path) -> None:
    when = datetime(2024, 3, 5, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    spec = example_spec(
        "xas",
        parameters=(
            Param("instrument/detector_mode/gain", 7),
            Param("instrument/detector_mode/enabled", True),
            Param("instrument/detector_mode/label", "high gain"),
            Param("instrument/detector_mode/collection_time", when),
            Param("instrument/detector_mode/calibration_date", "not a date"),
            Param("instrument/detector_mode/note", "2024-03-05"),  # ISO text, not *time/*date
            Param("instrument/detector_mode/ratio", np.float32(0.1)),  # type: ignore[arg-type]
            Param("instrument/detector_mode/missing", float("nan")),
            Param("instrument/detector_mode/long", "x" * 2000),
        ),
    )
    params = _params(read_nexus(write_nexus(tmp_path / "p.nxs", spec)))
    prefix = "instrument/detector_mode/"
    assert params[prefix + "gain"] == (7, None) and isinstance(params[prefix + "gain"][0], int)
    assert params[prefix + "enabled"][0] is True
    assert params[prefix + "label"] == ("high gain", None)
    assert params[prefix + "collection_time"][0] == when.astimezone(UTC)
    assert params[prefix + "calibration_date"][0] == "not a date"
    assert params[prefix + "note"][0] == "2024-03-05"
    assert params[prefix + "ratio"][0] == 0.1
    assert prefix + "missing" not in params and prefix + "long" not in params


def test_parameter_limits(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "many.nxs", example_spec("powder"))
    with h5py.File(path, "a") as f:
        extra = f.create_group("entry/aaa")
        for i in range(MAX_PARAMETERS + 50):
            extra[f"p{i:03d}"] = float(i)
        f["entry/instrument/vector"] = np.arange(3.0)  # small vector: skipped
        f["entry/instrument/sixteen"] = np.arange(16.0).reshape(4, 4)  # <= 16 but not 1: skipped
        f["entry/instrument/one"] = np.array([[2.5]])  # 1 element: a scalar
    meta = read_nexus(path)
    assert len(meta.parameters) == MAX_PARAMETERS
    assert all(p.name.startswith("aaa/") for p in meta.parameters)  # depth first, name order
    with h5py.File(path, "a") as f:
        del f["entry/aaa"]
    params = _params(read_nexus(path))
    assert params["instrument/one"] == (2.5, None)
    assert "instrument/vector" not in params and "instrument/sixteen" not in params


@pytest.mark.parametrize(
    "field", ["title", "start_time", "experiment_identifier", "instrument/name"]
)
def test_missing_required_field(tmp_path: Path, field: str) -> None:
    path = write_nexus(tmp_path / "m.nxs", example_spec("mx"))
    with h5py.File(path, "a") as f:
        del f[f"entry/{field}"]
    with pytest.raises(IngestError) as caught:
        read_nexus(path)
    assert caught.value.problem == f"missing required field /entry/{field}"
    assert str(caught.value) == f"{path.resolve()}: missing required field /entry/{field}"


def test_empty_title_is_missing(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "e.nxs", example_spec("mx", title=" "))
    with pytest.raises(IngestError, match="missing required field /entry/title"):
        read_nexus(path)


def _rewrite(path: Path, name: str, value: object) -> None:
    with h5py.File(path, "a") as f:
        del f[f"entry/{name}"]
        f[f"entry/{name}"] = value


def test_visit_from_identifier_attribute_or_visit_id(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "v.nxs", example_spec("mx"))
    _rewrite(path, "experiment_identifier", "MX-2345")  # any -N suffix is the visit
    assert (read_nexus(path).proposal, read_nexus(path).visit) == ("MX", "2345")
    _rewrite(path, "experiment_identifier", "ih-ls3321a")
    with pytest.raises(IngestError, match=r"has no visit \(expected PROPOSAL-VISIT\)"):
        read_nexus(path)
    with h5py.File(path, "a") as f:
        f["entry/visit_id"] = "7"
    assert (read_nexus(path).proposal, read_nexus(path).visit) == ("ih-ls3321a", "7")
    with h5py.File(path, "a") as f:
        f["entry/experiment_identifier"].attrs["visit"] = np.bytes_(b"3")
    assert read_nexus(path).visit == "3"
    assert "visit_id" not in _params(read_nexus(path))


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        ("yesterday", None, "/entry/start_time 'yesterday' is not an ISO-8601 time"),
        ("2024-01-01T10:00:00", "soon", "/entry/end_time 'soon' is not an ISO-8601 time"),
        ("2024-01-01T10:00:00Z", "2024-01-01T09:00:00Z", "is before start_time"),
    ],
)
def test_bad_times(tmp_path: Path, start: str, end: str | None, problem: str) -> None:
    path = write_nexus(tmp_path / "t.nxs", example_spec("saxs", end=None))
    _rewrite(path, "start_time", start)
    if end is not None:
        with h5py.File(path, "a") as f:
            f["entry/end_time"] = end
    with pytest.raises(IngestError, match=problem):
        read_nexus(path)


def test_times_become_utc(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "t.nxs", example_spec("saxs", end=None))
    _rewrite(path, "start_time", "2024-01-01 10:00:00")  # naive: taken as UTC
    with h5py.File(path, "a") as f:
        f["entry/end_time"] = "2024-01-01T12:30:00.123456789+02:00"
    meta = read_nexus(path)
    assert meta.start_time == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert meta.end_time == datetime(2024, 1, 1, 10, 30, 0, 123456, tzinfo=UTC)


def test_strings_in_every_storage(tmp_path: Path) -> None:
    """Strings as padded fixed-length bytes, vlen bytes, 1-element arrays, bad UTF-8, numbers."""
    path = tmp_path / "legacy.h5"
    with h5py.File(path, "w") as f:
        entry = f.create_group("scan_0001")  # no root @default: found by class
        entry.attrs["NX_class"] = np.bytes_(b"NXentry")
        f.create_group("aaa").attrs["NX_class"] = "NXcollection"  # sorted first, not an entry
        entry["title"] = np.array(b"Fixed title", dtype="S32")
        entry["start_time"] = np.array(["2024-01-02T03:04:05"], dtype=h5py.string_dtype())
        entry["experiment_identifier"] = np.array(b"mx\xff1-3", dtype=h5py.string_dtype())
        entry["entry_identifier"] = np.int64(42)
        entry["definition"] = np.array([b"NXmx"])
        instrument = entry.create_group("beamline")  # found by NX_class, not by name
        instrument.attrs["NX_class"] = np.array([b"NXinstrument"])
        instrument["name"] = np.array(b"BL13 \x00\x00", dtype="S8")
        instrument["name"].attrs["units"] = np.array(b"\xe9\xff", dtype=h5py.string_dtype())
        user = entry.create_group("zz_user")
        user.attrs["NX_class"] = "NXuser"
        user["name"] = "Zoë"
        user["orcid"] = "https://orcid.org/0000-0002-1825-0097"
        anonymous = entry.create_group("a_user")
        anonymous.attrs["NX_class"] = "NXuser"
        anonymous["email"] = b"x@example.org"
    meta = read_nexus(path)
    assert meta.entry == "/scan_0001"
    assert meta.title == "Fixed title"
    assert meta.start_time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (meta.proposal, meta.visit) == ("mx\ufffd1", "3")
    assert meta.entry_identifier == "42" and meta.definition == "NXmx"
    assert meta.instrument == "BL13"
    assert meta.end_time is None and meta.sample_name is None and meta.plot is None
    assert meta.users == (
        NexusUser("", None, None, None, "x@example.org"),
        NexusUser("Zoë", None, None, "https://orcid.org/0000-0002-1825-0097", None),
    )


def test_root_default_chooses_the_entry(tmp_path: Path) -> None:
    first = write_nexus(tmp_path / "a.nxs", example_spec("mx", 1))
    with h5py.File(first, "a") as f:
        f.copy(f["entry"], "entry2")
        del f["entry2/title"]
        f["entry2/title"] = "second"
        f.attrs["default"] = "entry2"
    meta = read_nexus(first)
    assert (meta.entry, meta.title) == ("/entry2", "second")
    assert meta.plot == NexusPlot("/entry2/data", "data", ("omega", ".", "."))
    with h5py.File(first, "a") as f:
        del f.attrs["default"]
    assert read_nexus(first).entry == "/entry"


def test_legacy_signal_and_default_path(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "l.nxs", example_spec("powder"))
    with h5py.File(path, "a") as f:
        old = f.create_group("entry/instrument/detector/plot")
        old.attrs["NX_class"] = "NXdata"
        old["counts"] = np.arange(20)
        old["counts"].attrs["signal"] = np.int32(1)
        old["counts"].attrs["axes"] = "two_theta:frame"
        f["entry"].attrs["default"] = "instrument/detector/plot"
    assert read_nexus(path).plot == NexusPlot(
        "/entry/instrument/detector/plot", "counts", ("two_theta", "frame")
    )


def test_links_never_break_the_read(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "links.nxs", example_spec("xas"))
    with h5py.File(path, "a") as f:
        f["entry/instrument/dangling"] = h5py.SoftLink("/nowhere")
        f["entry/instrument/external"] = h5py.ExternalLink("missing.h5", "/x")
        f["entry/instrument/crystal_alias"] = h5py.SoftLink(
            "/entry/instrument/monochromator/crystal"
        )
        f["entry/instrument/self"] = h5py.SoftLink("/entry/instrument")
        f["entry/loop"] = f["entry"]  # a hard link making the entry its own child
    params = _params(read_nexus(path))
    assert params["instrument/crystal_alias"] == ("Si(311)", None)
    assert not [name for name in params if name.startswith(("loop/", "instrument/self"))]


def _corrupt_chunks(path: Path, dataset: str) -> None:
    """Overwrite every stored chunk of a compressed dataset: reading it can only fail."""
    with h5py.File(path, "r") as f:
        dsid = f[dataset].id
        spans = [dsid.get_chunk_info(i) for i in range(dsid.get_num_chunks())]
    with open(path, "r+b") as handle:
        for span in spans:
            handle.seek(span.byte_offset)
            handle.write(b"\xff" * span.size)


def test_data_is_never_read(tmp_path: Path) -> None:
    """Structural proof: the detector stack, a big dataset and a small one inside NXdata are
    gzip chunks overwritten with garbage, so any read of them raises; read_nexus does not."""
    path = write_nexus(tmp_path / "poison.nxs", example_spec("mx", frames=6))
    with h5py.File(path, "a") as f:
        f.create_dataset(
            "entry/data/monitor", data=[1.0, 2.0, 3.0], chunks=(3,), compression="gzip"
        )
        f.create_dataset(
            "entry/instrument/detector/flatfield",
            data=np.ones(64),
            chunks=(64,),
            compression="gzip",
        )
    poisoned = [
        "entry/instrument/detector/data",
        "entry/data/monitor",
        "entry/instrument/detector/flatfield",
    ]
    for name in poisoned:
        _corrupt_chunks(path, name)
    with h5py.File(path, "r") as f:
        for name in poisoned:
            with pytest.raises(OSError):
                f[name][()]
    meta = read_nexus(path)
    assert meta.plot == NexusPlot("/entry/data", "data", ("omega", ".", "."))
    assert _params(meta)["instrument/detector/distance"] == (250.0, "mm")


def test_one_gigabyte_sparse_file_reads_as_fast(tmp_path: Path) -> None:
    spec = example_spec("tomo", big_bytes=1 << 30)
    path = write_nexus(tmp_path / "big.nxs", spec)
    info = os.stat(path)
    assert info.st_size >= 1 << 30
    assert info.st_blocks * 512 < 64 << 20  # sparse: the disk holds almost nothing
    start = time.perf_counter()
    meta = read_nexus(path)
    assert time.perf_counter() - start < 1.0
    assert meta.size == info.st_size and meta.plot is not None
    assert meta.title == spec.title


@pytest.mark.parametrize(
    ("keep", "problem"),
    [(0.5, "truncated or corrupt HDF5 file (Unable"), (100, "truncated"), (0, "empty file")],
)
def test_truncated_file(tmp_path: Path, keep: float, problem: str) -> None:
    path = write_nexus(tmp_path / "cut.nxs", example_spec("mx"))
    truncate_file(path, int(path.stat().st_size * keep) if keep < 1 else int(keep))
    with pytest.raises(IngestError) as caught:
        read_nexus(path)
    assert problem in caught.value.problem and "\n" not in str(caught.value)


def test_not_hdf5_directory_missing(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"not an HDF5 file$"):
        read_nexus(write_not_hdf5(tmp_path / "log.nxs"))
    with pytest.raises(IngestError, match="is a directory"):
        read_nexus(tmp_path)
    with pytest.raises(IngestError, match="no such file"):
        read_nexus(tmp_path / "absent.nxs")


def test_no_nxentry(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["data"] = np.arange(4)
        f.create_group("entry")  # named like one, but no NX_class
    with pytest.raises(IngestError, match="no NXentry group"):
        read_nexus(tmp_path / "plain.h5")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "secret.nxs", example_spec("mx"))
    path.chmod(0)
    with pytest.raises(IngestError, match="permission denied"):
        read_nexus(path)


def test_iter_nexus_paths(tmp_path: Path) -> None:
    for name in ["b/2.nxs", "b/1.H5", "a/deep/x.hdf5", "a/y.nx5", "a/z.nexus", "c.txt", "top.nxs"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "b/._2.nxs").write_bytes(b"")  # macOS resource fork
    (tmp_path / ".snapshot").mkdir()
    (tmp_path / ".snapshot/old.nxs").write_bytes(b"")
    (tmp_path / "link").symlink_to(tmp_path / "a")  # symlinked folder: not followed
    explicit = tmp_path / "c.txt"
    found = list(iter_nexus_paths([tmp_path, explicit, tmp_path / "top.nxs", tmp_path / "gone"]))
    relative = [str(p.relative_to(tmp_path)) for p in found]
    assert relative == [
        "a/deep/x.hdf5",
        "a/y.nx5",
        "a/z.nexus",
        "b/1.H5",
        "b/2.nxs",
        "top.nxs",
        "c.txt",
        "gone",
    ]


def test_a_batch_reports_each_bad_file_and_carries_on(tmp_path: Path) -> None:
    write_nexus(tmp_path / "1.nxs", example_spec("mx", 1))
    write_not_hdf5(tmp_path / "2.nxs")
    truncate_file(write_nexus(tmp_path / "3.nxs", example_spec("xas", 3)), 500)
    write_nexus(tmp_path / "4.nxs", example_spec("tomo", 4))
    good, bad = [], []
    for path in iter_nexus_paths([tmp_path]):
        try:
            good.append(read_nexus(path).path.name)
        except IngestError as exc:
            bad.append(exc.path.name)
    assert (good, bad) == (["1.nxs", "4.nxs"], ["2.nxs", "3.nxs"])


def test_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "c.nxs", replace(example_spec("saxs"), frames=8))
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert sha256_file(path) == expected
    assert sha256_file(path, buffer_size=4096) == expected
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()
    digests, rate = sha256_files([path, tmp_path / "empty"])
    assert digests[path] == expected and rate.nbytes == path.stat().st_size
    assert "files/s" in str(rate)
    with pytest.raises(IngestError, match="cannot read file"):
        sha256_file(tmp_path / "absent")


# -- links that cannot be followed: skipped, named, and the file still read -----------------------


def _self_link(f: h5py.File) -> None:
    f["entry/loop"] = h5py.SoftLink("/entry/loop")


def _link_cycle(f: h5py.File) -> None:
    f["entry/instrument/a"] = h5py.SoftLink("/entry/instrument/b")
    f["entry/instrument/b"] = h5py.SoftLink("/entry/instrument/a")


def _missing_external_default(f: h5py.File) -> None:
    f["elsewhere"] = h5py.ExternalLink("missing.h5", "/entry")
    f.attrs["default"] = "elsewhere"  # the root @default names it: it used to be followed


def _self_link_default(f: h5py.File) -> None:
    f["entry/plot"] = h5py.SoftLink("/entry/plot")
    f["entry"].attrs["default"] = "plot"


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (_self_link, ["soft link /entry/loop -> /entry/loop: a cycle of links"]),
        (_link_cycle, ["soft link /entry/instrument/a -> /entry/instrument/b: a cycle",
                       "soft link /entry/instrument/b -> /entry/instrument/a: a cycle"]),
        (_missing_external_default,
         ["external link /elsewhere -> missing.h5:/entry: cannot be opened"]),
        (_self_link_default, ["soft link /entry/plot -> /entry/plot: a cycle of links"]),
    ],
)
def test_links_that_cannot_be_followed_are_skipped_and_named(
    tmp_path: Path, damage, named: list[str]
) -> None:
    path = write_nexus(tmp_path / "links.nxs", example_spec("xas", 2))
    intact = read_nexus(path)
    with h5py.File(path, "a") as f:
        damage(f)
    meta = read_nexus(path)  # not "truncated or corrupt HDF5 file"
    assert (meta.entry, meta.title, meta.start_time) == (
        intact.entry, intact.title, intact.start_time)
    assert meta.parameters == intact.parameters and meta.plot == intact.plot
    assert intact.warnings == ()
    for text in named:
        assert any(text in warning for warning in meta.warnings), meta.warnings
    assert len(meta.warnings) == len(named)


def test_a_default_plot_behind_a_broken_link_is_no_plot(tmp_path: Path) -> None:
    """A signal the preview could not read is no plot (a warning says why), not a crash later."""
    path = write_nexus(tmp_path / "plot.nxs", example_spec("xas", 2))
    with h5py.File(path, "a") as f:
        f["entry/data/looped"] = h5py.SoftLink("/entry/data/looped")
        f["entry/data/gone"] = h5py.SoftLink("/entry/data/nothing")
        f["entry/data"].attrs["signal"] = "looped"
    meta = read_nexus(path)
    assert meta.plot is None
    assert meta.warnings == (
        "skipped soft link /entry/data/looped -> /entry/data/looped: a cycle of links",
    )
    with h5py.File(path, "a") as f:
        f["entry/data"].attrs["signal"] = "gone"
    assert read_nexus(path).warnings == (
        "skipped soft link /entry/data/gone -> /entry/data/nothing: no such object",
    )


def test_a_required_field_behind_a_broken_link_says_so(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "title.nxs", example_spec("mx", 1))
    with h5py.File(path, "a") as f:
        del f["entry/title"]
        f["entry/title"] = h5py.SoftLink("/entry/title")
    with pytest.raises(IngestError) as caught:
        read_nexus(path)
    assert caught.value.problem == (
        "missing required field /entry/title "
        "(soft link /entry/title -> /entry/title: a cycle of links)"
    )


def test_many_broken_links_are_counted_not_listed(tmp_path: Path) -> None:
    path = write_nexus(tmp_path / "many.nxs", example_spec("mx", 1))
    with h5py.File(path, "a") as f:
        for i in range(MAX_WARNINGS + 5):
            f[f"entry/instrument/loop{i:02d}"] = h5py.SoftLink(f"/entry/instrument/loop{i:02d}")
    warnings = read_nexus(path).warnings
    assert len(warnings) == MAX_WARNINGS + 1
    assert warnings[-1] == "skipped 5 more links that cannot be followed"


def test_a_file_with_broken_links_is_ingested(catalogue, tmp_path: Path, caplog) -> None:
    from faircat.catalogue.ingest import ingest_paths
    from tests.catalogue import factories

    with catalogue.transaction() as session:
        factories.instrument(session, "XALOC", "mx")
    path = write_nexus(tmp_path / "scan.nxs", example_spec("mx", 1))
    with h5py.File(path, "a") as f:
        _self_link(f)
        _link_cycle(f)
    report = ingest_paths(catalogue.engine, [path], readers=0)
    assert report.ok, report.errors
    assert [r.status for r in report.results] == ["created"]
    logged = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert f"{path}: skipped soft link /entry/loop -> /entry/loop: a cycle of links" in logged
