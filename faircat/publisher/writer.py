"""The only code that touches the output tree: atomic files, atomic directories, atomic sites.

- a file is written aside and renamed over the old one (``os.replace``);
- a landing page directory is built aside and exchanged with the old one in one
  ``renameat2(RENAME_EXCHANGE)`` call, so a reader sees the whole old page or the whole new one;
- a full export builds a whole new tree aside and exchanges it with the live one the same way.

A kill -9 at any moment leaves every page complete; the next run finishes the work because the
manifest (written last) still names the old content hashes, and removes the scratch the killed
run left (:func:`site_lock`, :func:`clear_scratch`; all dot-named, so never served meanwhile).
Paths are checked to stay inside the tree, and the same path may not be written twice in one
run: :meth:`SiteWriter.claim` does both in the export's process, and :func:`write_directory`
(which worker processes call for claimed paths) writes.

File creation dominates the cost of a page on a local disk (eleven files a page), so a page is
written with one directory descriptor and bare ``os.open``/``os.write`` calls, and a file whose
bytes another page of the same run already holds (the preview PNG, shared by every dataset with
the same data file) can be a hard link to it: no new inode, no bytes written. Files are never
changed in place (always replaced by a new inode), so a link never sees another page's edit.

Everything is created with the modes ``open``/``mkdir`` give under the process umask (files
0666, folders 0777, less the umask), never the private 0600/0700 of :mod:`tempfile`: the web
server reads the site as another user. A hard link shares its source's mode, so a file whose mode
is not the one this run would give (an older export's, under another umask) is written anew.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
from collections.abc import Container, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from faircat.errors import FaircatError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
STATE_DIR = ".faircat"  # never served (nginx snippet, faircat serve)
NGINX_SNIPPET = ".faircat/nginx.conf"  # include it in the server block (docs/deployment.md)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
Link = tuple[Path, "bytes | None"]  # an existing file with the bytes wanted, and the bytes
# Names of the scratch this module creates: a page folder built aside (``.<name>.new-<8>``,
# ``tempfile``'s 8 characters in older versions), a folder swapped out without renameat2
# (``.<name>.old``) and a file written aside (``.tmp-<8>``). Only these are ever cleared.
_STAGING = re.compile(r"^\.(?P<name>.+)\.new-[a-z0-9_]{8}$")
_SWAPPED_OUT = re.compile(r"^\.(?P<name>.+)\.old$")
_TEMP_FILE = re.compile(r"^\.tmp-[a-z0-9_]{8}$")


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


def umask() -> int:
    """The process umask. Linux shows it in /proc; elsewhere it can only be read by setting it,
    which another thread creating a file at that moment would feel."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file of the site gets: what ``open`` gives under the current umask."""
    return 0o666 & ~umask()


def scratch_dir(parent: Path, prefix: str) -> Path:
    """A new, empty folder ``parent/<prefix><8 hex digits>``, 0777 less the umask like any
    folder of the site (``tempfile.mkdtemp`` makes 0700: nobody else could read the tree)."""
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise ExportError(f"cannot create a scratch folder in {parent}")


def swap_into_place(new: Path, target: Path) -> None:
    """Make ``new`` live at ``target``; the old content is removed afterwards."""
    if not target.exists():
        os.replace(new, target)
        return
    if exchange(new, target):
        shutil.rmtree(new)  # ``new`` now holds the old tree
        return
    # Fallback without renameat2: two renames; a crash between them leaves the old tree at
    # ``old`` (dot-named: never served) and the next run puts it back (:func:`clear_scratch`).
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old)


def write_file(path: Path, data: bytes) -> None:
    """Write ``path`` aside and rename it into place (a reader sees the old or the new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".tmp-{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, _CREATE, 0o666)
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fill(
    folder: Path,
    files: Mapping[str, bytes],
    links: Mapping[str, Link],
    mode: int | None = None,
) -> None:
    """Create ``files`` in the new, empty ``folder``, and ``links`` as hard links to existing
    files (written when the file system refuses the link: another device, too many links; or
    when the file's mode is not ``mode``, by default :func:`file_mode`)."""
    wanted = mode if mode is not None else file_mode() if links else 0
    dfd = os.open(folder, _DIRECTORY)
    try:
        for name, data in files.items():
            _create(dfd, name, data)
        for name, (source, data) in links.items():
            if not _link(source, dfd, name, wanted):
                _create(dfd, name, source.read_bytes() if data is None else data)
    finally:
        os.close(dfd)


def _link(source: Path, dfd: int, name: str, mode: int) -> bool:
    """Hard-link ``source`` as ``name``, if it has ``mode`` (a link cannot have its own)."""
    try:
        if stat.S_IMODE(os.stat(source).st_mode) != mode:
            return False
        os.link(source, name, dst_dir_fd=dfd)
    except OSError:
        return False
    return True


def _create(dfd: int, name: str, data: bytes) -> None:
    fd = os.open(name, _CREATE, 0o666, dir_fd=dfd)
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
    mode: int | None = None,
) -> Path:
    """Write the page directory ``rel`` (claimed with :meth:`SiteWriter.claim`) under ``root``:
    created in place in a fresh tree, built aside and swapped in atomically on a live site.
    ``links``: files to hard-link to an existing file with the same bytes (given when known, to
    write if the link fails); ``mode``: :func:`file_mode`, when the caller knows it. Returns the
    directory's final path."""
    links = links or {}
    _check_names(rel, [*files, *links])
    target = root / rel
    if fresh:
        try:
            os.mkdir(target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(target)
        _fill(target, files, links, mode)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = scratch_dir(target.parent, f".{target.name}.new-")
    try:
        _fill(staging, files, links, mode)
        swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def clear_scratch(root: Path, pages: Container[str] = ()) -> int:
    """Remove what killed runs left in the live tree ``root``: page folders built aside, files
    written aside; put back a page swapped out by the two-rename fallback and never replaced.
    Only names this module makes, never a page of ``pages`` (claimed paths); only under the
    export's lock (:func:`site_lock`), when no other run can be writing. The number cleared."""
    cleared = 0
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            path = Path(entry.path)
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir and str(path.relative_to(root)) in pages:
                folders.append(path)
            elif is_dir and _STAGING.match(entry.name):
                shutil.rmtree(path)
                cleared += 1
            elif is_dir and (old := _SWAPPED_OUT.match(entry.name)):
                live = path.with_name(old["name"])
                if live.exists():
                    shutil.rmtree(path)
                else:
                    os.replace(path, live)
                cleared += 1
            elif is_dir:
                folders.append(path)
            elif _TEMP_FILE.match(entry.name) and entry.is_file(follow_symlinks=False):
                path.unlink(missing_ok=True)
                cleared += 1
    return cleared


class SiteLock:
    """Held while an export runs: :func:`site_lock`."""

    def __init__(self, fd: int, finished: bool) -> None:
        self.fd = fd  # worker processes close their copy
        self.last_run_finished = finished  # else its scratch may be left in the tree


_FINISHED = b"finished\n"


@contextmanager
def site_lock(out: Path) -> Iterator[SiteLock]:
    """One export at a time per site: an flock on ``.<site>.lock`` beside it, which also says
    whether the last run finished. Scratch beside the site (build trees, a site swapped out) is
    cleared here; scratch inside it by the export (:func:`clear_scratch`) when the last run did
    not finish. A process killed while holding the lock frees it with its descriptors."""
    # "a+": not truncated before the lock is ours (another export may be running)
    with open(out.parent / f".{out.name}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportError(f"another export of {out} is running") from None
        handle.seek(0)
        lock = SiteLock(handle.fileno(), handle.read() == _FINISHED)
        _set_lock_state(handle, b"running\n")
        for stale in out.parent.glob(f".{out.name}.build-*"):
            shutil.rmtree(stale, ignore_errors=True)
        old = out.parent / f".{out.name}.old"
        if old.is_dir():  # a full export's swap without renameat2, killed between its renames
            if out.exists():
                shutil.rmtree(old)
            else:
                os.replace(old, out)
        yield lock
        _set_lock_state(handle, _FINISHED)  # not reached when the run raised


def _set_lock_state(handle: BinaryIO, state: bytes) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(state)
    handle.flush()


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
