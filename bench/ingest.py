"""Ingest benchmark: NeXus files/s for 1 MB and 1 GB files, and SHA-256 throughput.

    .venv/bin/python bench/ingest.py [--files 2000] [--database-url URL] [--dir DIR]

For each size class it writes ``--files`` NeXus files (the 1 GB ones are sparse: HDF5 allocates
the detector dataset without writing it, see faircat.demo.nexusgen), ingests them into a fresh
catalogue with checksums off (the figure the issue asks for: metadata ingest), ingests them a
second time (the no-change path), and reports files/s. Checksum throughput is measured
separately, in MB/s, on a file of real (non-sparse) bytes.

Other jobs on a shared machine make wall-clock rates noisy, so each run also reports the CPU
time per file of the loading (main) process and of the reader processes, and the load average:
CPU per file is what a change to the code moves. With ``--dir`` the files are kept there and a
later run reuses them (``--repeat`` ingests each class several times, alternating nothing else).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from faircat.catalogue.checksum import sha256_file
from faircat.catalogue.ingest import ingest_paths

if TYPE_CHECKING:
    from faircat.catalogue.store import Catalogue

# Every reader process imports __main__ again (multiprocessing does), so this script imports at
# module level only what the `faircat` command does; the demo modules are imported where used.

SIZES = {"1 MB": 1 << 20, "1 GB": 1 << 30}
TECHNIQUES = ("mx", "powder", "xas", "saxs", "tomo")
_TICK = os.sysconf("SC_CLK_TCK")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def write_files(folder: Path, count: int, big_bytes: int) -> list[Path]:
    from faircat.demo.nexusgen import example_spec, write_nexus

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
    from faircat.catalogue.facility import add_instrument
    from faircat.catalogue.store import Catalogue
    from faircat.config import load_settings
    from faircat.demo.builder import reset_catalogue
    from faircat.demo.pools import BEAMLINES

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


class ChildCPU:
    """CPU seconds of this process's descendants (the forkserver and the reader processes),
    sampled from /proc while they run: they are not our direct children, so getrusage cannot
    see them, and they exit when the pool shuts down."""

    def __init__(self, period: float = 0.1) -> None:
        self.seen: dict[int, float] = {}
        self.before: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(period,), daemon=True)

    def __enter__(self) -> ChildCPU:
        self._sample()  # a forkserver outlives a pool: count only what it spends from now
        self.before = dict(self.seen)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def total(self) -> float:
        return sum(self.seen.values()) - sum(self.before.values())

    def _poll(self, period: float) -> None:
        while not self._stop.wait(period):
            self._sample()

    def _sample(self) -> None:
        todo, found = [os.getpid()], []
        while todo:  # children of the forkserver are grandchildren
            pid = todo.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            todo += map(int, children)
            found += map(int, children)
        for pid in found:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            cpu = (int(fields[11]) + int(fields[12])) / _TICK
            self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))


@dataclass
class Run:
    rate: float
    unchanged: int
    main_ms: float  # CPU per file of the loading process
    readers_ms: float  # CPU per file of the reader processes (and the forkserver)
    load: float  # 1-minute load average at the end


def timed_ingest(catalogue: Catalogue, paths: list[Path], readers: int) -> Run:
    cpu = time.process_time()
    started = time.perf_counter()
    with ChildCPU() as children:
        report = ingest_paths(catalogue.engine, paths, checksum=False, readers=readers)
        children._sample()
    elapsed = time.perf_counter() - started
    main_cpu = time.process_time() - cpu
    if report.errors:
        raise SystemExit(f"ingest failed: {report.errors[0]}")
    n = len(paths)
    return Run(n / elapsed, report.count("unchanged"), main_cpu / n * 1e3,
               children.total() / n * 1e3, os.getloadavg()[0])


def checksum_rate(folder: Path, megabytes: int) -> float:
    path = folder / "random.bin"
    with path.open("wb") as fh:
        for _ in range(megabytes):
            fh.write(os.urandom(1 << 20))
    sha256_file(path)  # warm the page cache: we measure hashing, not the disk
    started = time.perf_counter()
    sha256_file(path)
    return megabytes / (time.perf_counter() - started)


def class_files(root: Path, label: str, count: int, size: int, keep: bool) -> list[Path]:
    folder = root / label.replace(" ", "")
    existing = sorted(folder.glob("scan_*.nxs")) if keep else []
    if len(existing) >= count:
        return existing[:count]
    folder.mkdir(parents=True, exist_ok=True)
    return write_files(folder, count, size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="files per size class")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--checksum-mb", type=int, default=512, help="0: skip the checksum run")
    parser.add_argument("--readers", type=int, default=os.cpu_count() or 1,
                        help="reader processes (default: one per core)")
    parser.add_argument("--dir", type=Path, help="keep the files here and reuse them later")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size class")
    parser.add_argument("--sizes", default=",".join(SIZES), help="size classes, e.g. '1 MB'")
    args = parser.parse_args()

    print(f"# ingest benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"# database: {args.database_url or 'SQLite (embedded)'}, {args.readers} reader "
          "process(es) + the loading process, checksums off")
    print(f"# load average at start: {os.getloadavg()[0]:.2f}")
    print("| size class | files | apparent bytes | first ingest files/s | re-ingest files/s "
          "| CPU ms/file first: main + readers | re-ingest: main + readers | load avg |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="faircat-bench-") as tmp:
        root = args.dir or Path(tmp)
        for label in args.sizes.split(","):
            label = label.strip()
            paths = class_files(root, label, args.files, SIZES[label], args.dir is not None)
            apparent = sum(p.stat().st_size for p in paths)
            for _ in range(args.repeat):
                catalogue = fresh_catalogue(args.database_url, Path(tmp) / "instance")
                first = timed_ingest(catalogue, paths, args.readers)
                again = timed_ingest(catalogue, paths, args.readers)
                assert again.unchanged == len(paths), "re-ingest must change nothing"
                catalogue.close()
                print(f"| {label} | {len(paths)} | {apparent / 1e9:.1f} GB | {first.rate:.0f} | "
                      f"{again.rate:.0f} | {first.main_ms:.2f} + {first.readers_ms:.2f} | "
                      f"{again.main_ms:.2f} + {again.readers_ms:.2f} | "
                      f"{first.load:.1f}, {again.load:.1f} |", flush=True)
            if args.dir is None:
                shutil.rmtree(paths[0].parent)
        if args.checksum_mb:
            rate = checksum_rate(Path(tmp), args.checksum_mb)
            print(f"\nSHA-256 (streamed, 1 MiB buffer, page cache warm): {rate:.0f} MB/s")


if __name__ == "__main__":
    main()
