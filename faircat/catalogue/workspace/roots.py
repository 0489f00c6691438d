"""Data roots: the only folders files are ever served from.

A :class:`~faircat.catalogue.models.Datafile` location is written by the ingest from whatever path
beamline software or a user's folder handed it; a symlink planted in a user's folder, a ``..`` in
a location, or a location edited in the database must not turn a download into a read of
``/etc`` or of another experiment's storage. So every path the web app opens is first resolved
(symlinks followed, ``..`` removed) and must then lie inside one of the configured roots, and be
a regular file. Anything else is refused and logged for the operator; the client only sees 404.

The setting ``data_roots`` lists the roots separated by ``os.pathsep`` (``:`` on Linux), like
``PATH``. Empty means the demo's folder, ``<instance_path>/demo-data``: a production instance has
none, so nothing is served until the operator lists the facility's storage (fail closed).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from faircat.errors import ConfigError

log = logging.getLogger(__name__)

DEMO_FOLDER = "demo-data"


def parse_roots(text: str, instance_path: Path) -> tuple[Path, ...]:
    """The resolved roots of the setting's value; relative entries are refused (relative to
    what? a worker's working directory is no place to serve files from)."""
    entries = [part.strip() for part in text.split(os.pathsep) if part.strip()]
    if not entries:
        return (Path(instance_path, DEMO_FOLDER).resolve(),)
    roots = []
    for entry in entries:
        path = Path(entry).expanduser()
        if not path.is_absolute():
            raise ConfigError(f"data_roots: {entry!r} is not an absolute path")
        # A root may itself be a symlink (/data -> /gpfs/data): compare real paths.
        roots.append(path.resolve())
    return tuple(roots)


@dataclass(frozen=True)
class DataRoots:
    roots: tuple[Path, ...]

    @classmethod
    def of(cls, roots: Iterable[str | os.PathLike[str]]) -> DataRoots:
        return cls(tuple(Path(r).resolve() for r in roots))

    def contains(self, real: Path) -> bool:
        """Whether an already resolved path lies inside a root."""
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def confine(self, location: str | None, *, what: object = "file") -> Path | None:
        """The real path of ``location`` when it is a regular file inside a root, else None.

        ``what`` names the row in the log (e.g. ``datafile 42``), never in a response.
        """
        if not location or "\0" in location:
            return None
        path = Path(location)
        if not path.is_absolute():
            log.warning("refused %s: location %r is not an absolute path", what, location)
            return None
        try:
            real = path.resolve(strict=True)
            mode = real.stat().st_mode
        except (OSError, RuntimeError):  # missing, unreadable, a symlink loop
            log.warning("refused %s: location %r cannot be resolved", what, location)
            return None
        if not self.contains(real):
            log.warning(
                "refused %s: location %r resolves to %s, outside the data roots",
                what,
                location,
                real,
            )
            return None
        if not stat.S_ISREG(mode):  # a device or a folder is never a data file
            log.warning("refused %s: %s is not a regular file", what, real)
            return None
        return real
