"""SHA-256 of data files, streamed, and the throughput figures ingest reports."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from faircat.errors import IngestError


def sha256_file(path: str | os.PathLike[str], *, buffer_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in ``buffer_size`` blocks (memory stays flat for any size).

    This is ``hashlib.file_digest``'s loop (``readinto`` one reused buffer of an unbuffered file;
    hashlib releases the GIL while hashing) with a buffer size we choose: ``file_digest`` fixes
    it at 256 KiB. Both measured the same speed here (docs/perf-nexus.md).
    """
    digest = hashlib.sha256()
    buffer = bytearray(buffer_size)
    view = memoryview(buffer)
    try:
        with open(path, "rb", buffering=0) as handle:
            while size := handle.readinto(buffer):
                digest.update(view[:size])
    except OSError as exc:
        raise IngestError(
            path, f"cannot read file for its checksum: {exc.strerror or exc}"
        ) from exc
    return digest.hexdigest()


@dataclass(frozen=True)
class Throughput:
    """Bytes (or files) done over seconds, for progress lines and benchmark reports."""

    count: int
    nbytes: int
    seconds: float

    @property
    def mb_per_s(self) -> float:
        return self.nbytes / 1e6 / self.seconds if self.seconds > 0 else float("inf")

    @property
    def per_s(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")

    def __str__(self) -> str:
        return (
            f"{self.count} files, {self.nbytes / 1e6:.1f} MB in {self.seconds:.2f} s "
            f"({self.per_s:.0f} files/s, {self.mb_per_s:.0f} MB/s)"
        )


def sha256_files(
    paths: list[Path], *, buffer_size: int = 1 << 20
) -> tuple[dict[Path, str], Throughput]:
    """Digests of several files and how fast they were computed."""
    start = time.perf_counter()
    digests = {path: sha256_file(path, buffer_size=buffer_size) for path in paths}
    nbytes = sum(path.stat().st_size for path in paths)
    return digests, Throughput(len(paths), nbytes, time.perf_counter() - start)
