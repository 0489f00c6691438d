"""The only code that touches the output tree: atomic files, atomic directories, atomic sites.

- a file is written aside and renamed over the old one (``os.replace``);
- a landing page directory is built aside and exchanged with the old one in one
  ``renameat2(RENAME_EXCHANGE)`` call, so a reader sees the whole old page or the whole new one;
- a full export builds a whole new tree aside and exchanges it with the live one the same way.

A kill -9 at any moment leaves every page complete; the next run finishes the work because the
manifest (written last) still names the old content hashes. Paths are checked to stay inside
the tree, and the same path may not be written twice in one run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from faircat.errors import FaircatError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
MANIFEST = ".faircat/manifest.json"
NGINX_SNIPPET = ".faircat/nginx.conf"  # include it in the server block (docs/deployment.md)


class ExportError(FaircatError):
    """The export could not write the site (bad path, duplicate path, I/O error)."""


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


_LIBC = _libc()


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2). False where the system cannot."""
    func = getattr(_LIBC, "renameat2", None) if _LIBC is not None else None
    if func is None:
        return False
    result = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a))


def swap_into_place(new: Path, target: Path) -> None:
    """Make ``new`` live at ``target``; the old content is removed afterwards."""
    if not target.exists():
        os.replace(new, target)
        return
    if exchange(new, target):
        shutil.rmtree(new)  # ``new`` now holds the old tree
        return
    # Fallback without renameat2: two renames; a crash between them leaves the old tree at
    # ``old`` and the next run repairs it.
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old)


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class SiteWriter:
    """Writes into ``root`` (the live site, or a fresh tree for a full export)."""

    def __init__(self, root: Path, *, fresh: bool) -> None:
        self.root = root
        self.fresh = fresh  # a fresh tree is not live: no need for per-page atomicity
        self._written: set[str] = set()

    def _resolve(self, rel: str) -> Path:
        pure = PurePosixPath(rel.lstrip("/"))
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ExportError(f"refusing to write outside the site: {rel!r}")
        key = str(pure)
        if key in self._written:
            raise ExportError(f"two outputs claim the same path: {rel!r}")
        self._written.add(key)
        return self.root.joinpath(*pure.parts)

    def file(self, rel: str, data: bytes) -> None:
        path = self._resolve(rel)
        if self.fresh:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        else:
            write_file(path, data)

    def directory(self, rel: str, files: dict[str, bytes]) -> None:
        """A whole page directory, swapped in atomically on a live site."""
        target = self._resolve(rel)
        for name in files:
            if "/" in name or name.startswith("."):
                raise ExportError(f"bad file name {name!r} in {rel!r}")
        if self.fresh:
            target.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (target / name).write_bytes(data)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            os.chmod(staging, 0o755)
            swap_into_place(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def remove(self, rel: str) -> None:
        target = self._resolve(rel)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()

    # -- manifest ------------------------------------------------------------------------------
    def load_manifest(self) -> dict[str, str]:
        path = self.root / MANIFEST
        if self.fresh or not path.is_file():
            return {}
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {}  # unreadable manifest: everything is rewritten, nothing is lost

    def save_manifest(self, manifest: dict[str, str]) -> None:
        data = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        write_file(self.root / MANIFEST, data)
