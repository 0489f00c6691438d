"""Micro-benchmark of the NeXus metadata reader and of SHA-256.

Writes N files (mixed techniques; half "1 MB" with real uncompressed detector frames, half
"1 GB" sparse files whose detector dataset is allocated but never written), then reports
read_nexus files/s per size class, in one process and in a pool of one process per core, and
sha256 MB/s. The page cache is warm (the files were just written): this measures CPU cost, which
is what the reader controls; a cold NFS read adds latency per file, not per byte.

    .venv/bin/python bench/nexus_read.py [--files 2000] [--dir DIR] [--keep]

With ``--dir`` the files are kept, and a later run on the same folder reuses them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from itertools import cycle
from pathlib import Path

from faircat.catalogue.checksum import Throughput, sha256_file
from faircat.catalogue.nexus import read_nexus
from faircat.demo.nexusgen import DEFINITIONS, example_spec, write_nexus

SIZES = {"1MB": 1 << 20, "1GB-sparse": 1 << 30}


def write_files(folder: Path, count: int) -> dict[str, list[Path]]:
    classes: dict[str, list[Path]] = {name: [] for name in SIZES}
    techniques = cycle(sorted(DEFINITIONS))
    for n in range(count):
        size_class = "1MB" if n % 2 == 0 else "1GB-sparse"
        technique = next(techniques)
        if size_class == "1MB":  # 16 frames of 128x256 uint16 = 1 MiB, written and uncompressed
            overrides: dict[str, object] = {
                "frames": 16,
                "detector_shape": (128, 256),
                "compression": False,
                # powder and XAS only keep an image stack (raw frames) when big_bytes is set
                "big_bytes": SIZES["1MB"] if technique in ("powder", "xas") else None,
            }
        else:
            overrides = {"big_bytes": SIZES["1GB-sparse"]}
        spec = example_spec(technique, n, **overrides)  # type: ignore[arg-type]
        classes[size_class].append(write_nexus(folder / f"{technique}_{n:05d}.nxs", spec))
    return classes


def time_reads(paths: list[Path], workers: int) -> Throughput:
    nbytes = sum(path.stat().st_size for path in paths)
    start = time.perf_counter()
    if workers == 1:
        for path in paths:
            read_nexus(path)
    else:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(read_nexus, paths, chunksize=max(1, len(paths) // (workers * 8))))
    return Throughput(len(paths), nbytes, time.perf_counter() - start)


def time_sha256(paths: list[Path]) -> Throughput:
    start = time.perf_counter()
    for path in paths:
        sha256_file(path)
    nbytes = sum(path.stat().st_size for path in paths)
    return Throughput(len(paths), nbytes, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the files")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="faircat-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    workers = os.cpu_count() or 1
    try:
        existing = sorted(folder.glob("*.nxs"))
        if existing:  # --dir from a previous --keep run: measure again without rewriting
            classes = {
                name: [p for p in existing if (p.stat().st_size >= 1 << 29) == (size > 1 << 29)]
                for name, size in SIZES.items()
            }
            print(f"reusing {len(existing)} files in {folder}")
        else:
            start = time.perf_counter()
            classes = write_files(folder, args.files)
            print(f"wrote {args.files} files in {time.perf_counter() - start:.1f} s to {folder}")
        for name, paths in classes.items():
            read_nexus(paths[0])  # import and first-call costs out of the timing
            print(f"read_nexus {name:>10}, 1 process:   {time_reads(paths, 1)}")
            print(f"read_nexus {name:>10}, {workers} processes: {time_reads(paths, workers)}")
        print(f"sha256 1MB files:         {time_sha256(classes['1MB'])}")
        print(f"sha256 one 1GB sparse:    {time_sha256(classes['1GB-sparse'][:1])}")
    finally:
        if not args.keep and args.dir is None:  # never delete a folder the caller named
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
