"""The only code that touches the output tree: atomic files, atomic directories, atomic sites.

- a file is written aside and renamed over the old one (``os.replace``);
- a landing page directory is built aside and exchanged with the old one in one
  ``renameat2(RENAME_EXCHANGE)`` call, so a reader sees the whole old page or the whole new one;
- a full export builds a whole new tree aside and exchanges it with the live one the same way.

A kill -9 at any moment leaves every page complete; the next run finishes the work because the
manifest (written last) still names the old content hashes. Paths are checked to stay inside
the tree, and the same path may not be written twice in one run: :meth:`SiteWriter.claim` does
both in the export's process, and :func:`write_directory` (which worker processes call for
claimed paths) writes.

File creation dominates the cost of a page on a local disk (eleven files a page), so a page is
written with one directory descriptor and bare ``os.open``/``os.write`` calls, and a file whose
bytes another page of the same run already holds (the preview PNG, shared by every dataset with
the same data file) can be a hard link to it: no new inode, no bytes written. Files are never
changed in place (always replaced by a new inode), so a link never sees another page's edit.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from faircat.errors import FaircatError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
STATE_DIR = ".faircat"  # never served (nginx snippet, faircat serve)
NGINX_SNIPPET = ".faircat/nginx.conf"  # include it in the server block (docs/deployment.md)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
Link = tuple[Path, "bytes | None"]  # an existing file with the bytes wanted, and the bytes


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


def _fill(folder: Path, files: Mapping[str, bytes], links: Mapping[str, Link]) -> None:
    """Create ``files`` in the new, empty ``folder``, and ``links`` as hard links to existing
    files (written when the file system refuses the link: another device, too many links)."""
    dfd = os.open(folder, _DIRECTORY)
    try:
        for name, data in files.items():
            _create(dfd, name, data)
        for name, (source, data) in links.items():
            try:
                os.link(source, name, dst_dir_fd=dfd)
            except OSError:
                _create(dfd, name, source.read_bytes() if data is None else data)
    finally:
        os.close(dfd)


def _create(dfd: int, name: str, data: bytes) -> None:
    fd = os.open(name, _CREATE, 0o644, dir_fd=dfd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _check_names(rel: str, names: list[str]) -> None:
    for name in names:
        if not name or "/" in name or name.startswith("."):
            raise ExportError(f"bad file name {name!r} in {rel!r}")


def write_directory(
    root: Path,
    rel: str,
    files: Mapping[str, bytes],
    links: Mapping[str, Link] | None = None,
    *,
    fresh: bool,
) -> Path:
    """Write the page directory ``rel`` (claimed with :meth:`SiteWriter.claim`) under ``root``:
    created in place in a fresh tree, built aside and swapped in atomically on a live site.
    ``links``: files to hard-link to an existing file with the same bytes (given when known, to
    write if the link fails). Returns the directory's final path."""
    links = links or {}
    _check_names(rel, [*files, *links])
    target = root / rel
    if fresh:
        try:
            os.mkdir(target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(target)
        _fill(target, files, links)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    try:
        _fill(staging, files, links)
        os.chmod(staging, 0o755)
        swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def link_directory(source: Path, target: Path) -> None:
    """A copy of the page directory ``source`` at ``target`` (fresh tree) made of hard links:
    a page kept as it is in a full export."""
    names = [entry.name for entry in os.scandir(source) if entry.is_file(follow_symlinks=False)]
    target.parent.mkdir(parents=True, exist_ok=True)
    os.mkdir(target)
    _fill(target, {}, {name: (source / name, None) for name in names})


def replace_tail(path: Path, old: bytes, new: bytes) -> None:
    """Replace the last bytes of a file of a fresh tree (not live: no atomicity needed)."""
    with open(path, "r+b") as handle:
        start = handle.seek(0, os.SEEK_END) - len(old)
        if start < 0 or handle.seek(start) < 0 or handle.read() != old:
            raise ExportError(f"{path} does not end as expected: cannot replace its tail")
        handle.seek(start)
        handle.write(new)
        handle.truncate()


class SiteWriter:
    """Writes into ``root`` (the live site, or a fresh tree for a full export)."""

    def __init__(self, root: Path, *, fresh: bool) -> None:
        self.root = root
        self.fresh = fresh  # a fresh tree is not live: no need for per-page atomicity
        self._written: set[str] = set()

    def claim(self, rel: str) -> str:
        """``rel`` normalised ("doi/10.5072/x"), once per run and only inside the tree."""
        key = rel.strip("/")
        if not key or "//" in key or "." in key.split("/"):  # not the usual form: normalise
            pure = PurePosixPath(rel.lstrip("/"))
            key = str(pure)
            if pure.is_absolute() or not pure.parts:
                raise ExportError(f"refusing to write outside the site: {rel!r}")
        if ".." in key.split("/"):
            raise ExportError(f"refusing to write outside the site: {rel!r}")
        if key in self._written:
            raise ExportError(f"two outputs claim the same path: {rel!r}")
        self._written.add(key)
        return key

    def unclaim(self, key: str) -> None:
        """Let ``key`` (as :meth:`claim` returned it) be claimed again in this run: a page
        written early that must be written once more (the site's navigation changed)."""
        self._written.discard(key)

    def file(self, rel: str, data: bytes) -> None:
        path = self.root / self.claim(rel)
        if self.fresh:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        else:
            write_file(path, data)

    def directory(self, rel: str, files: Mapping[str, bytes]) -> None:
        """A whole page directory, swapped in atomically on a live site."""
        write_directory(self.root, self.claim(rel), files, fresh=self.fresh)

    def remove(self, rel: str) -> None:
        target = self.root / self.claim(rel)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
