"""Whether serving an HDF5 file could read other files: external links, virtual datasets and
external raw storage, checked before the explorer or a preview opens the file.

HDF5 follows an external link or a virtual dataset's source to *another file* by its name, and a
dataset with external storage reads its bytes from raw files named in its header. A file a user
wrote into their experiment's folder could so name another experiment's file, or any file the
server can read, and the explorer would serve it to them: confining the file itself to the data
roots is not enough. A file is served only when every file it can reach this way resolves inside
the data roots *and* inside the folder of the file itself (detector master files link to their
data files beside them), recursively; otherwise the explorer and the preview refuse it.

The check reads only object headers (links and dataset creation properties, never data). Each
file's header walk is cached by the file's identity (inode, size, modification time), so it is
paid once per file version; the paths the links name are resolved again on every check (a few
system calls), so a file beside the master later swapped for a symlink out is still caught.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import h5py

from faircat.catalogue.workspace.roots import DataRoots

log = logging.getLogger(__name__)

MAX_OBJECTS = 200_000  # a header walk past this is refused rather than made to run for minutes
MAX_FILES = 64  # files reached through links, counted over the whole walk


@dataclass(frozen=True)
class LinkCheck:
    safe: bool
    problem: str = ""  # for the operator's log, never for a response


class _Unsafe(Exception):
    pass


def _candidates(target: str, parent: Path, prefix_env: str) -> list[Path]:
    """Every path HDF5 may open for ``target`` named in a file in ``parent``, in HDF5's order:
    the name as given when absolute, the prefixes of the environment variable, the parent
    file's folder, and the working directory."""
    name = Path(target)
    relative = Path(name.name) if name.is_absolute() else name
    found = [name] if name.is_absolute() else []
    for prefix in filter(None, os.environ.get(prefix_env, "").split(os.pathsep)):
        prefix = prefix.replace("${ORIGIN}", str(parent)).replace("$ORIGIN", str(parent))
        found.append(Path(prefix) / relative)
    found.append(parent / relative)
    found.append(Path.cwd() / relative)
    return found


@dataclass(frozen=True)
class _Scan:
    """What one file's headers name outside itself: (target, prefix variable, kind) triples,
    or a reason it can never be served."""

    references: tuple[tuple[str, str, str], ...] = ()
    refused: str = ""


def _scan_headers(handle: h5py.File) -> _Scan:
    objects = 0
    external: list[bytes] = []
    datasets: list[bytes] = []

    def count() -> None:
        nonlocal objects
        objects += 1
        if objects > MAX_OBJECTS:
            raise _Unsafe(f"more than {MAX_OBJECTS} objects to check")

    def visit_link(name: bytes, info: h5py.h5l.LinkInfo) -> None:
        count()
        if info.type == h5py.h5l.TYPE_EXTERNAL:
            external.append(name)

    def visit_object(name: bytes, info: h5py.h5o.ObjInfo) -> None:
        count()
        if info.type == h5py.h5o.TYPE_DATASET:
            datasets.append(name)

    try:
        handle.id.links.visit(visit_link, info=True)
        h5py.h5o.visit(handle.id, visit_object, info=True)
    except _Unsafe as exc:
        return _Scan(refused=str(exc))
    references = []
    for name in external:
        filename, _ = handle.id.links.get_val(name)
        references.append((_text(filename), "HDF5_EXT_PREFIX", "an external link"))
    for name in datasets:
        plist = h5py.h5d.open(handle.id, name).get_create_plist()
        if plist.get_external_count():
            # Raw bytes in flat files named relative to the working directory: never served.
            return _Scan(refused=f"dataset {_text(name)} uses external storage")
        if plist.get_layout() != h5py.h5d.VIRTUAL:
            continue
        for index in range(plist.get_virtual_count()):
            source = plist.get_virtual_filename(index)
            if source != ".":  # "." is the file itself
                references.append((source, "HDF5_VDS_PREFIX", "a virtual dataset source"))
    return _Scan(tuple(dict.fromkeys(references)))


def _text(raw: bytes | str) -> str:
    return raw if isinstance(raw, str) else raw.decode("utf-8", "surrogateescape")


@lru_cache(maxsize=4096)
def _scan(real: Path, inode: int, size: int, mtime_ns: int) -> _Scan | None:
    """The headers of one version of a file (None: not HDF5, so nothing in it is followed).
    Cached by identity: the walk is paid once per file version."""
    try:
        handle = h5py.File(real, "r", locking=False)
    except OSError:
        return None
    with handle:
        return _scan_headers(handle)


def _scan_file(real: Path) -> _Scan | None:
    info = real.stat()
    return _scan(real, info.st_ino, info.st_size, info.st_mtime_ns)


class _Walk:
    """Follows references from file to file. Paths are resolved on every check (cheap system
    calls), so a data file swapped for a symlink after an earlier check is still caught; only
    each file's header scan is cached."""

    def __init__(self, roots: DataRoots, folder: Path) -> None:
        self.roots, self.folder = roots, folder
        self.seen: set[Path] = set()

    def file(self, real: Path) -> None:
        if real in self.seen:
            return
        self.seen.add(real)
        if len(self.seen) > MAX_FILES:
            raise _Unsafe(f"links reach more than {MAX_FILES} files")
        scan = _scan_file(real)
        if scan is None:
            return
        if scan.refused:
            raise _Unsafe(scan.refused)
        for target, prefix_env, kind in scan.references:
            self._target(target, real.parent, prefix_env, kind)

    def _target(self, target: str, parent: Path, prefix_env: str, kind: str) -> None:
        for candidate in _candidates(target, parent, prefix_env):
            try:
                if not candidate.exists():
                    continue
                real = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                raise _Unsafe(f"{kind} to {target!r} cannot be resolved") from None
            if not (self.roots.contains(real) and real.is_relative_to(self.folder)):
                raise _Unsafe(f"{kind} to {target!r} reaches {real}, outside {self.folder}")
            if real.is_file():
                self.file(real)


def check_links(real: Path, roots: DataRoots) -> LinkCheck:
    """Whether the HDF5 file at ``real`` (already confined by ``roots``) reaches only files
    beside it. A file that is not HDF5 is safe: nothing in it is followed."""
    try:
        _Walk(roots, real.parent).file(real)
    except _Unsafe as exc:
        log.warning("HDF5 file %s not served: %s", real, exc)
        return LinkCheck(False, str(exc))
    except (OSError, RuntimeError, ValueError, KeyError) as exc:  # a corrupt header, a race
        log.warning("HDF5 file %s not served: its links cannot be checked (%s)", real, exc)
        return LinkCheck(False, "links cannot be checked")
    return LinkCheck(True)
