"""Benchmark of the dataset page's data routes over HTTP (gunicorn, one worker, four threads):

1. **Preview of a 4096 x 4096 frame** (uint32, one frame per chunk, as an Eiger writes it),
   uncompressed and bitshuffle/LZ4: the full-resolution frame as binary from the HDF5 explorer
   (``/data/files/<id>/h5/data?selection=k&format=bin``, 64 MiB), a 4x strided slice, and the
   preview PNG the frame slider shows (``/data/datasets/<id>/preview/k.png``). Target < 150 ms.
2. **Zip streaming** of a dataset of several GiB (incompressible bytes, not sparse) against the
   disk's read rate of the same files, both read cold (each file dropped from the page cache with
   ``posix_fadvise(DONTNEED)`` first); the server's resident memory is sampled every 50 ms during
   the download. Target >= 80 % of the disk rate, memory flat.

    .venv/bin/python bench/files.py [--gib 4] [--repeat 15] [--folder /var/tmp/faircat-bench]

Prints Markdown tables for docs/performance.md. The folder (default: a temporary one beside the
system's temporary files) needs room for ``--gib`` plus ~0.3 GiB, and is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h5py
import hdf5plugin
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.catalogue.factories

CHUNK = 1 << 20


def _catalogue(folder: Path, data: Path) -> dict[str, str]:
    return {
        "FAIRCAT_CONFIG": "",
        "FAIRCAT_INSTANCE_PATH": str(folder / "instance"),
        "FAIRCAT_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "FAIRCAT_DATA_ROOTS": str(data),
        "FAIRCAT_SECRET_KEY": "bench-secret",
        "FAIRCAT_FACILITY_SHORT_NAME": "TLS",
    }


def write_frames(path: Path, frames: int, compressed: bool) -> None:
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        group = entry.create_group("data")
        group.attrs.update({"NX_class": "NXdata", "signal": "data"})
        options = hdf5plugin.Bitshuffle(cname="lz4") if compressed else {}
        stack = group.create_dataset(
            "data", shape=(frames, 4096, 4096), dtype="u4", chunks=(1, 4096, 4096), **options
        )
        for index in range(frames):
            frame = rng.poisson(2.0, (4096, 4096)).astype(np.uint32)
            frame[rng.integers(0, 4096, 50), rng.integers(0, 4096, 50)] = 60_000  # Bragg spots
            stack[index] = frame


def write_blob(path: Path, size: int, block: bytes) -> None:
    with path.open("wb") as handle:
        for _ in range(size // len(block)):
            handle.write(block)
        os.fsync(handle.fileno())


def build(folder: Path, gib: int) -> tuple[dict[str, int], dict[str, str]]:
    """Files, catalogue rows (one public experiment, so anonymous requests read it)."""
    from faircat.catalogue.checksum import sha256_file
    from faircat.catalogue.models import Datafile, Dataset
    from faircat.catalogue.store import Catalogue
    from faircat.config import load_settings
    from tests.catalogue import factories as f

    data = folder / "data" / "BENCH-1"
    data.mkdir(parents=True)
    env = _catalogue(folder, folder / "data")
    settings = load_settings(environ=env)
    catalogue = Catalogue.open(settings)
    catalogue.upgrade()
    ids: dict[str, int] = {}
    block = np.random.default_rng(2).bytes(64 << 20)
    blobs = [data / f"blob_{i}.bin" for i in range(gib)]
    for blob in blobs:
        write_blob(blob, 1 << 30, block)
    for name, compressed in (("plain.h5", False), ("bitshuffle.h5", True)):
        write_frames(data / name, 4, compressed)
    with catalogue.transaction() as session:
        f.instrument(session)
        start = datetime.now(UTC) - timedelta(days=5 * 365)
        inv = f.investigation(session, "BENCH", start=start)
        for name in ("plain.h5", "bitshuffle.h5"):
            dataset = Dataset(
                investigation_id=inv.id, name=name.split(".")[0], plot_path="/entry/data"
            )
            session.add(dataset)
            session.flush()
            session.add(
                Datafile(
                    dataset_id=dataset.id,
                    name=name,
                    location=str(data / name),
                    size=(data / name).stat().st_size,
                    format="application/x-hdf5",
                )
            )
            session.flush()
            ids[name] = dataset.id
        blobs_set = Dataset(investigation_id=inv.id, name="blobs")
        session.add(blobs_set)
        session.flush()
        for blob in blobs:
            session.add(
                Datafile(
                    dataset_id=blobs_set.id,
                    name=blob.name,
                    location=str(blob),
                    size=blob.stat().st_size,
                    checksum=f"sha256:{sha256_file(blob)}",
                )
            )
        ids["blobs"] = blobs_set.id
        session.flush()
        ids["blob:file"] = blobs_set.files[0].id
    with catalogue.transaction() as session:
        for name in ("plain.h5", "bitshuffle.h5"):
            ids[f"{name}:file"] = session.get(Dataset, ids[name]).files[0].id
    catalogue.close()
    return ids, env


def serve(port: int) -> None:
    from faircat.web.app import create_app
    from faircat.web.server import serve as run

    run(create_app(), "127.0.0.1", port, workers=1, threads=4)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> int:
    total = 0
    with urllib.request.urlopen(url) as response:
        while chunk := response.read(CHUNK):
            total += len(chunk)
    return total


def curl(url: str) -> tuple[float, int]:
    """(seconds, bytes) of one download by curl: a client in C, so that a client written in
    Python does not take the CPU the server needs (two cores are shared by both)."""
    out = subprocess.run(
        ["curl", "-sf", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def timed(url: str, repeat: int) -> tuple[float, float, int]:
    curl(url)  # warm: imports, file handles, the page cache
    times, size = [], 0
    for _ in range(repeat):
        seconds, size = curl(url)
        times.append(seconds)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000, size


def drop_cache(paths: list[Path]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def disk_rate(paths: list[Path]) -> float:
    drop_cache(paths)
    start, total = time.perf_counter(), 0
    for path in paths:
        with path.open("rb", buffering=0) as handle:
            while chunk := handle.read(CHUNK):
                total += len(chunk)
    return total / (time.perf_counter() - start)


def rss_kib(pid: int) -> int:
    """Resident memory of the server: gunicorn's master and its worker(s)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for process in [pid, *map(int, children)]:
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def zip_rate(url: str, paths: list[Path], pid: int) -> tuple[float, list[int]]:
    drop_cache(paths)
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_kib(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    elapsed, size = curl(url)
    done.set()
    sampler.join()
    return size / elapsed, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=int, default=4, help="GiB of data files to zip")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    folder = Path(tempfile.mkdtemp(prefix="faircat-bench-files-", dir=args.folder))
    server = None
    try:
        print(
            f"building {args.gib} GiB of files and 2 x 4 frames of 4096x4096 in {folder} ...",
            file=sys.stderr,
        )
        ids, env = build(folder, args.gib)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                fetch(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        print("\n| file | request | median ms | p95 ms | bytes | load |")
        print("|---|---|---:|---:|---:|---:|")
        for name in ("plain.h5", "bitshuffle.h5"):
            h5 = f"{base}/data/files/{ids[name + ':file']}/h5/data?path=/entry/data/data"
            for label, url in (
                ("full frame, binary", f"{h5}&selection=1&format=bin"),
                ("every 4th pixel, binary", f"{h5}&selection=1,::4,::4&format=bin"),
                ("preview PNG (slider)", f"{base}/data/datasets/{ids[name]}/preview/1.png"),
            ):
                median, p95, size = timed(url, args.repeat)
                print(
                    f"| {name} | {label} | {median:.0f} | {p95:.0f} | {size:,} | "
                    f"{os.getloadavg()[0]:.1f} |"
                )
        blobs = sorted((folder / "data" / "BENCH-1").glob("blob_*.bin"))
        print(
            "\n| run | disk read (cold) | zip download (cold) | ratio | one file (sendfile) "
            "| server RSS MiB start / peak / end | load |"
        )
        print("|---|---:|---:|---:|---:|---|---:|")
        for run in range(1, 4):
            disk = disk_rate(blobs)
            rate, rss = zip_rate(
                f"{base}/data/datasets/{ids['blobs']}/files.zip", blobs, server.pid
            )
            drop_cache(blobs[:1])
            seconds, size = curl(f"{base}/data/files/{ids['blob:file']}")
            print(
                f"| {run} | {disk / 2**20:.0f} MiB/s | {rate / 2**20:.0f} MiB/s | "
                f"{rate / disk:.0%} | {size / seconds / 2**20:.0f} MiB/s | "
                f"{rss[0] / 1024:.0f} / {max(rss) / 1024:.0f} / {rss[-1] / 1024:.0f} | "
                f"{os.getloadavg()[0]:.1f} |"
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
