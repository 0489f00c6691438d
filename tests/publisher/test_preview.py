"""Previews of the default NeXus plot, and their cache."""

from __future__ import annotations

import io
import os
import stat
import struct
import tracemalloc
from pathlib import Path

import h5py
import matplotlib
import numpy as np
import pytest

from faircat.catalogue.nexus import NexusPlot, read_nexus
from faircat.demo.nexusgen import example_spec, write_nexus
from faircat.errors import FaircatError
from faircat.publisher.preview import PreviewCache, PreviewError, preview_key, render_preview
from faircat.publisher.writer import file_mode

TECHNIQUES = ("mx", "powder", "xas", "saxs", "tomo")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk (Pillow would do, but this needs nothing)."""
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def _nexus(tmp_path: Path, technique: str = "mx", **overrides: object) -> tuple[Path, NexusPlot]:
    path = write_nexus(tmp_path / f"{technique}.nxs", example_spec(technique, 1, **overrides))  # type: ignore[arg-type]
    plot = read_nexus(path).plot
    assert plot is not None
    return path, plot


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_every_technique_gives_a_png(tmp_path: Path, technique: str) -> None:
    path, plot = _nexus(tmp_path, technique)
    png = render_preview(path, plot)
    assert _size(png) == (800, 500)
    assert b"Software" not in png and b"tIME" not in png  # no version, no date
    pil = pytest.importorskip("PIL.Image")
    with pil.open(io.BytesIO(png)) as image:
        image.load()  # decodes: the file is whole
        assert image.format == "PNG" and image.size == (800, 500)
        assert len(image.convert("L").getcolors(1 << 16) or ()) > 10  # something is drawn


def test_width_sets_the_size(tmp_path: Path) -> None:
    path, plot = _nexus(tmp_path, "xas")
    assert _size(render_preview(path, plot, width_px=400)) == (400, 250)
    with pytest.raises(ValueError):
        render_preview(path, plot, width_px=10)


def test_same_input_same_bytes_whatever_the_rc_params(tmp_path: Path) -> None:
    path, plot = _nexus(tmp_path, "saxs")
    first = render_preview(path, plot)
    assert render_preview(path, plot) == first
    with matplotlib.rc_context({"font.size": 20, "lines.linewidth": 5, "image.cmap": "gray"}):
        assert render_preview(path, plot) == first
    copy = tmp_path / "copy" / "saxs.nxs"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert render_preview(copy, plot) == first  # the path is not drawn


def _chunk_spans(path: Path, dataset: str) -> list[tuple[int, int]]:
    with h5py.File(path, "r") as f:
        dsid = f[dataset].id
        infos = [dsid.get_chunk_info(i) for i in range(dsid.get_num_chunks())]
    return [(info.chunk_offset[0], info.byte_offset, info.size) for info in infos]


def _corrupt_chunks(path: Path, dataset: str, frames: set[int] | None = None) -> None:
    """Overwrite the gzip chunks of the given frames (all when None): reading them can only
    fail."""
    with open(path, "r+b") as handle:
        for frame, offset, size in _chunk_spans(path, dataset):
            if frames is None or frame in frames:
                handle.seek(offset)
                handle.write(b"\xff" * size)


def test_only_the_first_frame_is_read(tmp_path: Path) -> None:
    """Structural proof: every frame but the first is garbage, so reading any of them raises."""
    path, plot = _nexus(tmp_path, "mx", frames=6)
    _corrupt_chunks(path, "entry/instrument/detector/data", frames={1, 2, 3, 4, 5})
    with h5py.File(path, "r") as f, pytest.raises(OSError):
        f["entry/data/data"][1]
    assert _size(render_preview(path, plot)) == (800, 500)
    # and the converse: a garbage first frame is reported, not drawn
    _corrupt_chunks(path, "entry/instrument/detector/data", frames={0})
    with pytest.raises(PreviewError, match="cannot read /entry/data/data"):
        render_preview(path, plot)


def _bytes_read() -> int | None:
    try:
        text = Path("/proc/self/io").read_text()
    except OSError:
        return None
    return int(next(line for line in text.splitlines() if line.startswith("rchar:")).split()[1])


@pytest.mark.parametrize("technique", ["tomo", "mx"])
def test_big_stack_reads_one_frame(tmp_path: Path, technique: str) -> None:
    """A 1 GiB (sparse) stack: the bytes the process reads and the memory it allocates stay
    a tiny fraction of the dataset."""
    path, plot = _nexus(tmp_path, technique, big_bytes=1 << 30)
    assert os.stat(path).st_size >= 1 << 30
    render_preview(path, plot)  # warm up: fonts, imports
    before = _bytes_read()
    tracemalloc.start()
    try:
        png = render_preview(path, plot)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _size(png) == (800, 500)
    assert peak < 64 << 20
    if before is not None:
        assert _bytes_read() - before < 16 << 20


# -- plots built by hand ------------------------------------------------------------------------


def _write(path: Path, build) -> NexusPlot:
    with h5py.File(path, "w") as f:
        group = f.create_group("entry/data")
        group.attrs["NX_class"] = "NXdata"
        build(group)
    return NexusPlot("/entry/data", "signal", ("y", "x"))


def test_two_d_signal_with_axes_and_bin_edges(tmp_path: Path) -> None:
    def build(group: h5py.Group) -> None:
        data = group.create_dataset("signal", data=np.outer(np.arange(30.0), np.arange(40.0)))
        data.attrs["long_name"] = "intensity"
        group.create_dataset("y", data=np.linspace(0, 1, 31)).attrs["units"] = "mm"  # edges
        group.create_dataset("x", data=np.linspace(0, 2, 40)).attrs["units"] = "mm"

    plot = _write(tmp_path / "map.h5", build)
    assert _size(render_preview(tmp_path / "map.h5", plot)) == (800, 500)


def test_huge_dynamic_range_and_nan_are_drawn(tmp_path: Path) -> None:
    def build(group: h5py.Group) -> None:
        values = np.geomspace(1e-3, 1e5, 200)
        values[10] = np.nan
        group.create_dataset("signal", data=values)
        group.create_dataset("x", data=np.arange(200.0))

    plot = _write(tmp_path / "curve.h5", build)
    assert _size(render_preview(tmp_path / "curve.h5", plot)) == (800, 500)


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda g: g.create_dataset("other", data=[1.0]), "no signal dataset /entry/data/signal"),
        (lambda g: g.create_dataset("signal", shape=(0,), dtype="f8"), "empty"),
        (lambda g: g.create_dataset("signal", data=3.0), "scalar"),
        (lambda g: g.create_dataset("signal", data=[b"a", b"b"]), "not numeric"),
        (lambda g: g.create_dataset("signal", data=[np.nan, np.inf]), "no finite values"),
        (lambda g: g.create_group("signal"), "no signal dataset"),
    ],
)
def test_nothing_to_plot_is_a_preview_error(tmp_path: Path, build, problem: str) -> None:
    plot = _write(tmp_path / "bad.h5", build)
    with pytest.raises(PreviewError, match=problem) as caught:
        render_preview(tmp_path / "bad.h5", plot)
    assert isinstance(caught.value, FaircatError) and not caught.value.retry
    assert caught.value.path == tmp_path / "bad.h5"


def test_files_that_cannot_be_opened(tmp_path: Path) -> None:
    plot = NexusPlot("/entry/data", "data", ())
    with pytest.raises(PreviewError, match="no such file") as caught:
        render_preview(tmp_path / "missing.nxs", plot)
    assert caught.value.retry  # it may appear: a cache must not remember this
    (tmp_path / "text.nxs").write_text("not HDF5\n")
    with pytest.raises(PreviewError, match="cannot open as HDF5") as caught:
        render_preview(tmp_path / "text.nxs", plot)
    assert not caught.value.retry
    path, _ = _nexus(tmp_path, "xas")
    with pytest.raises(PreviewError, match="no NXdata group at /entry/nothing"):
        render_preview(path, NexusPlot("/entry/nothing", "mu", ()))


@pytest.mark.parametrize(
    ("link", "problem", "retry"),
    [
        (h5py.SoftLink("/entry/data/sig"), "/entry/data/sig is a soft link to /entry/data/sig "
         "that cannot be followed: Special link traversal failed (too many links)", False),
        (h5py.SoftLink("/entry/nothing"), "/entry/data/sig is a soft link to /entry/nothing "
         "that cannot be followed: no such object", False),
        # the other file may come back: a cache must not remember this
        (h5py.ExternalLink("missing.h5", "/x"), "/entry/data/sig is an external link to "
         "missing.h5:/x that cannot be opened", True),
    ],
)
def test_a_signal_behind_a_broken_link_is_a_preview_error(
    tmp_path: Path, link: object, problem: str, retry: bool
) -> None:
    """h5py raises RuntimeError for a cycle: unhandled, it stopped the whole export."""
    path, _ = _nexus(tmp_path, "xas")
    with h5py.File(path, "a") as f:
        f["entry/data/sig"] = link
    with pytest.raises(PreviewError) as caught:
        render_preview(path, NexusPlot("/entry/data", "sig", ("energy",)))
    assert (caught.value.problem, caught.value.retry) == (problem, retry)


def test_a_default_group_behind_a_broken_link_is_a_preview_error(tmp_path: Path) -> None:
    path, plot = _nexus(tmp_path, "xas")
    with h5py.File(path, "a") as f:
        f["entry/plot"] = h5py.SoftLink("/entry/plot")
        f["entry/a"] = h5py.SoftLink("/entry/b")
        f["entry/b"] = h5py.SoftLink("/entry/a")
        f["entry/data/energy_alias"] = h5py.SoftLink("/entry/data/energy_alias")
    with pytest.raises(PreviewError) as caught:
        render_preview(path, NexusPlot("/entry/plot", "mu", ()))
    assert caught.value.problem.startswith("/entry/plot is a soft link to /entry/plot that ")
    with pytest.raises(PreviewError) as caught:
        render_preview(path, NexusPlot("/entry/a/data", "mu", ()))
    assert caught.value.problem.startswith("/entry/a/data cannot be followed (Special link")
    # an axis that cannot be followed: the curve is drawn against its index
    index = render_preview(path, NexusPlot(plot.path, plot.signal, ()))
    assert render_preview(path, NexusPlot(plot.path, plot.signal, ("energy_alias",))) == index


def test_the_export_skips_the_preview_of_a_file_with_a_looped_signal(tmp_path: Path) -> None:
    from faircat.catalogue.public import PreviewSource
    from faircat.publisher.previews import Previews

    path, plot = _nexus(tmp_path, "xas")
    with h5py.File(path, "a") as f:
        f["entry/data/looped"] = h5py.SoftLink("/entry/data/looped")
        f["entry/data"].attrs["signal"] = "looped"
    previews = Previews(tmp_path / "cache")
    source = PreviewSource(str(path), plot.path, "5" * 64)
    assert previews.get(source) is None  # and no exception: the export goes on
    [none] = (tmp_path / "cache").rglob("*.none")
    assert none.read_text() == "no default NXdata plot\n"


# -- cache --------------------------------------------------------------------------------------


class CountingRenderer:
    def __init__(self, result: bytes | PreviewError = b"\x89PNG fake") -> None:
        self.calls: list[tuple[Path, NexusPlot]] = []
        self.result = result

    def __call__(self, path: Path, plot: NexusPlot) -> bytes:
        self.calls.append((path, plot))
        if isinstance(self.result, PreviewError):
            raise self.result
        return self.result


PLOT = NexusPlot("/entry/data", "data", ())


def test_cache_hit_does_not_render_again(tmp_path: Path) -> None:
    renderer = CountingRenderer()
    cache = PreviewCache(tmp_path / "cache", render=renderer)
    key = "ab" + "0" * 62
    assert cache.get_or_render("scan.nxs", PLOT, key) == b"\x89PNG fake"
    assert cache.get_or_render("scan.nxs", PLOT, key) == b"\x89PNG fake"
    again = PreviewCache(tmp_path / "cache", render=renderer)  # a later export
    assert again.get_or_render("elsewhere.nxs", PLOT, key) == b"\x89PNG fake"
    assert renderer.calls == [(Path("scan.nxs"), PLOT)]
    stored = tmp_path / "cache" / "ab" / f"{key}.png"
    assert stored.read_bytes() == b"\x89PNG fake"
    assert sorted(p.name for p in stored.parent.iterdir()) == [stored.name]  # no temp left over
    assert stat.S_IMODE(stored.stat().st_mode) == file_mode()  # 0666 less the umask


def test_cache_remembers_nothing_to_plot(tmp_path: Path) -> None:
    renderer = CountingRenderer(PreviewError("scan.nxs", "signal is empty"))
    cache = PreviewCache(tmp_path, render=renderer)
    assert cache.get_or_render("scan.nxs", PLOT, "cd01") is None
    assert cache.get_or_render("scan.nxs", PLOT, "cd01") is None
    assert len(renderer.calls) == 1
    assert (tmp_path / "cd" / "cd01.none").read_text() == "signal is empty\n"


def test_cache_retries_files_that_could_not_be_opened(tmp_path: Path) -> None:
    renderer = CountingRenderer(PreviewError("scan.nxs", "no such file", retry=True))
    cache = PreviewCache(tmp_path, render=renderer)
    assert cache.get_or_render("scan.nxs", PLOT, "ef01") is None
    assert cache.get_or_render("scan.nxs", PLOT, "ef01") is None
    assert len(renderer.calls) == 2
    assert not (tmp_path / "ef").exists()


def test_cache_rejects_keys_that_are_not_file_names(tmp_path: Path) -> None:
    cache = PreviewCache(tmp_path, render=CountingRenderer())
    for key in ("../../etc/passwd", "a/b", ".hidden", "", "x"):
        with pytest.raises(ValueError):
            cache.get_or_render("scan.nxs", PLOT, key)


def test_cache_with_the_real_renderer(tmp_path: Path) -> None:
    path, plot = _nexus(tmp_path, "powder")
    digest = "5" * 64  # the data file's sha256
    key = preview_key(digest, plot)
    assert key != preview_key(digest, plot, width_px=400)
    assert key != preview_key(digest, NexusPlot(plot.path, "other", plot.axes))
    cache = PreviewCache(tmp_path / "cache")
    png = cache.get_or_render(path, plot, key)
    assert png == render_preview(path, plot)
    assert cache.get_or_render(path, NexusPlot(plot.path, "missing", ()), "0" * 64) is None
