"""Micro-benchmark of previews (and of the other static-publisher building blocks).

For each technique, writes one demo file with the default small detector (64x64) and one with a
realistic frame (2048x2048 uint16, 8 MiB, four frames), then reports the median CPU ms per
``render_preview``, the peak Python memory of one render (tracemalloc: numpy and matplotlib
buffers), a PreviewCache hit in µs, and for comparison a Pillow-only colour-mapped image of the
same frame (no axes, no labels, no colour bar). Also: the time to build the sitemap and the nginx
snippet of 100,000 landing pages.

    .venv/bin/python bench/previews.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import importlib
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.crosswalks.cases

from faircat.catalogue.nexus import NexusPlot, read_nexus
from faircat.demo.nexusgen import example_spec, write_nexus
from faircat.publisher.preview import PreviewCache, preview_key, render_preview

TECHNIQUES = ("mx", "powder", "xas", "saxs", "tomo")


def median_ms(function, repeat: int) -> float:
    """Median CPU time: wall time on a shared machine measures the neighbours."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def peak_mib(function) -> float:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / (1 << 20)
    finally:
        tracemalloc.stop()


def pillow_image(path: Path, plot: NexusPlot) -> bytes:
    """The cheapest possible image preview: first frame, percentile scaling, viridis LUT."""
    from matplotlib import colormaps
    from PIL import Image

    with h5py.File(path, "r") as f:
        signal = f[plot.path][plot.signal]
        frame = np.asarray(signal[(0,) * (signal.ndim - 2)] if signal.ndim > 2 else signal[()])
    low, high = np.percentile(frame, [1, 99.5])
    scaled = np.clip((frame - low) / max(high - low, 1e-12) * 255, 0, 255).astype(np.uint8)
    lut = (colormaps["viridis"](np.arange(256))[:, :3] * 255).astype(np.uint8)
    image = Image.fromarray(lut[scaled]).resize((640, 640), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)  # as render_preview
    return buffer.getvalue()


def previews(folder: Path, repeat: int) -> None:
    print("| technique | frame | ms/preview (median) | peak MiB | PNG KiB | Pillow-only ms |")
    print("|---|---|---:|---:|---:|---:|")
    for technique in TECHNIQUES:
        for label, overrides in (("64x64", {}), ("2048x2048", {"detector_shape": (2048, 2048)})):
            if technique in ("powder", "xas") and label != "64x64":
                continue  # 1-D signals: the detector size does not change the plot
            path = folder / f"{technique}-{label}.nxs"
            write_nexus(path, example_spec(technique, 1, **overrides))  # type: ignore[arg-type]
            plot = read_nexus(path).plot
            assert plot is not None
            png = render_preview(path, plot)  # warm: fonts, mathtext parser
            ms = median_ms(lambda p=path, q=plot: render_preview(p, q), repeat)
            peak = peak_mib(lambda p=path, q=plot: render_preview(p, q))
            pillow = "–"
            if technique in ("mx", "tomo"):  # SAXS plots its 1-D curve, not the frames
                pillow = f"{median_ms(lambda p=path, q=plot: pillow_image(p, q), repeat):.0f}"
            kib = len(png) / 1024
            print(f"| {technique} | {label} | {ms:.0f} | {peak:.1f} | {kib:.0f} | {pillow} |")


def cache_hit(folder: Path) -> None:
    path = write_nexus(folder / "cached.nxs", example_spec("saxs", 1))
    plot = read_nexus(path).plot
    assert plot is not None
    cache = PreviewCache(folder / "cache")
    key = preview_key("0" * 64, plot)
    cache.get_or_render(path, plot, key)
    count = 2000
    start = time.perf_counter()
    for _ in range(count):
        cache.get_or_render(path, plot, key)
    per_hit = (time.perf_counter() - start) / count * 1e6
    start = time.perf_counter()
    for _ in range(count):
        preview_key("0" * 64, plot)
    per_key = (time.perf_counter() - start) / count * 1e6
    print(f"\ncache hit: {per_hit:.0f} µs; preview_key: {per_key:.1f} µs")


def site_files() -> None:
    from faircat.crosswalks import linkset, registry, urls
    from faircat.publisher.nginx import nginx_config
    from faircat.publisher.sitemap import sitemaps

    cases = importlib.import_module("tests.crosswalks.cases")
    record = cases.full()
    page = "/" + urls.doi_path(record.doi)
    links = linkset.page_links(record, registry.metadata_files())
    pages = [(f"{page}{i:06d}/", links) for i in range(100_000)]
    start = time.perf_counter()
    config = nginx_config("/srv/faircat/site", pages)
    ms = (time.perf_counter() - start) * 1000
    print(f"nginx_config, 100,000 pages: {ms:.0f} ms, {len(config) / 1e6:.0f} MB")
    entries = [(p, date(2024, 1, 1)) for p, _ in pages]
    start = time.perf_counter()
    files = sitemaps("https://data.alba.example", entries)
    ms = (time.perf_counter() - start) * 1000
    print(f"sitemaps, 100,000 pages: {ms:.0f} ms, {len(files)} files")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    start = time.perf_counter()
    importlib.import_module("matplotlib.figure")
    importlib.import_module("matplotlib.backends.backend_agg")
    print(f"import matplotlib (Figure, Agg): {(time.perf_counter() - start) * 1000:.0f} ms\n")
    with tempfile.TemporaryDirectory() as temp:
        previews(Path(temp), args.repeat)
        cache_hit(Path(temp))
    site_files()


if __name__ == "__main__":
    main()
