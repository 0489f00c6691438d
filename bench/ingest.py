"""Ingest benchmark: NeXus files/s for 1 MB and 1 GB files, and SHA-256 throughput.

    .venv/bin/python bench/ingest.py [--files 2000] [--database-url URL]

For each size class it writes ``--files`` NeXus files (the 1 GB ones are sparse: HDF5 allocates
the detector dataset without writing it, see faircat.demo.nexusgen), ingests them into a fresh
catalogue with checksums off (the figure the issue asks for: metadata ingest), ingests them a
second time (the no-change path), and reports files/s. Checksum throughput is measured
separately, in MB/s, on a file of real (non-sparse) bytes.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from faircat.catalogue.checksum import sha256_file
from faircat.catalogue.facility import add_instrument
from faircat.catalogue.ingest import ingest_paths
from faircat.catalogue.store import Catalogue
from faircat.config import load_settings
from faircat.demo.builder import reset_catalogue
from faircat.demo.nexusgen import example_spec, write_nexus
from faircat.demo.pools import BEAMLINES

SIZES = {"1 MB": 1 << 20, "1 GB": 1 << 30}
TECHNIQUES = ("mx", "powder", "xas", "saxs", "tomo")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def write_files(folder: Path, count: int, big_bytes: int) -> list[Path]:
    paths = []
    instruments = {"mx": "XALOC", "powder": "MSPD", "xas": "CLAESS", "saxs": "NCD-SWEET",
                   "tomo": "MISTRAL"}
    for n in range(count):
        technique = TECHNIQUES[n % len(TECHNIQUES)]
        spec = example_spec(technique, n + 1, proposal=f"P{n // 50:05d}", visit=1,
                            instrument=instruments[technique],
                            big_bytes=big_bytes, compression=False)
        paths.append(write_nexus(folder / f"scan_{n:06d}.nxs", spec))
    return paths


def fresh_catalogue(url: str | None, instance: Path) -> Catalogue:
    overrides = {"instance_path": str(instance)}
    if url:
        overrides["database_url"] = url
    catalogue = Catalogue.open(load_settings(environ={}, overrides=overrides))
    reset_catalogue(catalogue)
    catalogue.upgrade()
    with catalogue.transaction() as session:
        for beamline in BEAMLINES:
            add_instrument(session, beamline.name, beamline.full_name, [beamline.technique])
    return catalogue


def timed_ingest(catalogue: Catalogue, paths: list[Path], readers: int) -> tuple[float, int]:
    started = time.perf_counter()
    report = ingest_paths(catalogue.engine, paths, checksum=False, readers=readers)
    elapsed = time.perf_counter() - started
    if report.errors:
        raise SystemExit(f"ingest failed: {report.errors[0]}")
    return len(paths) / elapsed, report.count("unchanged")


def checksum_rate(folder: Path, megabytes: int) -> float:
    path = folder / "random.bin"
    with path.open("wb") as fh:
        for _ in range(megabytes):
            fh.write(os.urandom(1 << 20))
    sha256_file(path)  # warm the page cache: we measure hashing, not the disk
    started = time.perf_counter()
    sha256_file(path)
    return megabytes / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="files per size class")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--checksum-mb", type=int, default=512)
    parser.add_argument("--readers", type=int, default=os.cpu_count() or 1,
                        help="reader processes (default: one per core)")
    args = parser.parse_args()

    print(f"# ingest benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"# database: {args.database_url or 'SQLite (embedded)'}, {args.readers} reader "
          "process(es) + the loading process, checksums off")
    print("| size class | files | apparent bytes | first ingest files/s | re-ingest files/s |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="faircat-bench-") as tmp:
        root = Path(tmp)
        for label, size in SIZES.items():
            folder = root / label.replace(" ", "")
            folder.mkdir()
            paths = write_files(folder, args.files, size)
            apparent = sum(p.stat().st_size for p in paths)
            catalogue = fresh_catalogue(args.database_url, root / "instance")
            first, _ = timed_ingest(catalogue, paths, args.readers)
            again, unchanged = timed_ingest(catalogue, paths, args.readers)
            assert unchanged == len(paths), "re-ingest must change nothing"
            catalogue.close()
            print(f"| {label} | {len(paths)} | {apparent / 1e9:.1f} GB | {first:.0f} | "
                  f"{again:.0f} |")
            shutil.rmtree(folder)
        rate = checksum_rate(root, args.checksum_mb)
        print(f"\nSHA-256 (streamed, 1 MiB buffer, page cache warm): {rate:.0f} MB/s")


if __name__ == "__main__":
    main()
