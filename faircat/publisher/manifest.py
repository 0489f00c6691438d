"""The site's manifest: what the site holds, kept incrementally in ``.faircat/manifest.sqlite``.

- ``page``: content hash of every landing page (by path), the published record it shows, and
  a digest of the page's files but index.html (a full export links unchanged files from the
  live site instead of writing them again);
- ``part``: serialised pieces of the site-wide files (search index and sitemap entries per
  shard of records, the listing pages' inputs) with the digest of what they were built from, so
  an export rebuilds only the pieces whose inputs changed;
- ``file``: the site-wide files written, with their digest (to remove those no longer made);
- ``state``: the export's clock (``stamp``: the time of the last completed export).

It lives inside the tree it describes, so a full export's new tree carries its own and the swap
replaces both at once. Changes are made in one SQLite transaction committed by :meth:`commit`,
after everything else was written: a killed export leaves the old manifest, which still names
the old hashes, and the next run redoes the rest. A missing or unreadable manifest makes the
next export a full one (nothing is lost, only time).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from faircat.publisher.writer import STATE_DIR

FILE = f"{STATE_DIR}/manifest.sqlite"
VERSION = "3"  # bump when the schema or the meaning of a part changes: the next export is full
_SCHEMA = """
CREATE TABLE IF NOT EXISTS page (
    path TEXT PRIMARY KEY, hash TEXT NOT NULL, record_id INTEGER NOT NULL, files TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS page_record ON page (record_id);
CREATE TABLE IF NOT EXISTS part (
    name TEXT PRIMARY KEY, digest TEXT NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file (path TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""


class Manifest:
    """The manifest of the tree at ``root``; open it with :meth:`open`."""

    def __init__(self, db: sqlite3.Connection, *, new: bool) -> None:
        self.db = db
        self.new = new  # nothing was recorded before: every page must be written

    @classmethod
    def open(cls, root: Path, *, fresh: bool) -> Manifest:
        """The manifest of ``root``, in a transaction; ``fresh``: an empty tree, a new one."""
        path = root / FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            path.unlink(missing_ok=True)
        # created here, not by SQLite (0644 whatever the umask): the site's files are all
        # 0666 less the umask (faircat.publisher.writer); its journal takes the file's mode
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666))
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # A rollback journal (not WAL): the tree may be renamed as a whole while closed, and
        # no reader shares it. synchronous=NORMAL like the catalogue: the site is rebuildable.
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute("BEGIN")
        manifest = cls(db, new=fresh)
        manifest.set_state("version", VERSION)
        return manifest

    @classmethod
    def read(cls, root: Path) -> Manifest | None:
        """The manifest of a live tree, to read (under the export lock); None if not valid."""
        if not cls.valid(root):
            return None
        return cls(sqlite3.connect(root / FILE), new=False)

    @staticmethod
    def valid(root: Path) -> bool:
        """Whether ``root`` has a manifest this version can continue from (else: full export)."""
        path = root / FILE
        if not path.is_file():
            return False
        try:
            # not read-only: a kill -9 during a commit leaves a journal to roll back on opening
            db = sqlite3.connect(path)
            try:
                row = db.execute("SELECT value FROM state WHERE key = 'version'").fetchone()
                stamp = db.execute("SELECT value FROM state WHERE key = 'stamp'").fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            return False
        return row is not None and row[0] == VERSION and stamp is not None

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def close(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()

    # -- state ---------------------------------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))

    @property
    def stamp(self) -> datetime | None:
        """When the last completed export published (None: never, or a new manifest)."""
        value = None if self.new else self.get_state("stamp")
        return datetime.fromisoformat(value) if value else None

    @stamp.setter
    def stamp(self, value: datetime) -> None:
        self.set_state("stamp", value.isoformat())

    # -- pages ---------------------------------------------------------------------------------
    def hashes(self, paths: Iterable[str]) -> dict[str, str]:
        """Recorded hash by path, for those of ``paths`` the manifest knows."""
        out: dict[str, str] = {}
        paths = list(paths)
        for i in range(0, len(paths), 500):
            part = paths[i : i + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT path, hash FROM page WHERE path IN ({marks})"
            out.update(self.db.execute(query, part))
        return out

    def record_pages(self, pages: Iterable[tuple[str, str, int, str]]) -> None:
        """(path, content hash, record id, files digest) of pages written."""
        self.db.executemany("INSERT OR REPLACE INTO page VALUES (?, ?, ?, ?)", pages)

    def pages_of(self, low: int, high: int) -> list[str]:
        """Paths of the pages of records ``low <= id < high``."""
        query = "SELECT path FROM page WHERE record_id >= ? AND record_id < ?"
        return [path for (path,) in self.db.execute(query, (low, high))]

    def files_digests(self) -> dict[str, str]:
        """Files digest of every page, by path."""
        return dict(self.db.execute("SELECT path, files FROM page"))

    def files_digests_of(self, paths: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(paths))
        return dict(self.db.execute(f"SELECT path, files FROM page WHERE path IN ({marks})", paths))

    def forget_pages(self, paths: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM page WHERE path = ?", ((p,) for p in paths))

    def paths(self) -> list[str]:
        return [path for (path,) in self.db.execute("SELECT path FROM page")]

    # -- parts of site-wide files --------------------------------------------------------------
    def part(self, name: str) -> tuple[str, bytes] | None:
        row = self.db.execute("SELECT digest, data FROM part WHERE name = ?", (name,)).fetchone()
        return (row[0], bytes(row[1])) if row else None

    def parts(self, prefix: str) -> dict[str, tuple[str, bytes]]:
        """Parts whose name starts with ``prefix``, by name (sorted)."""
        rows = self.db.execute(
            "SELECT name, digest, data FROM part WHERE name >= ? AND name < ? ORDER BY name",
            (prefix, prefix + "\uffff"),
        )
        return {name: (digest, bytes(data)) for name, digest, data in rows}

    def set_part(self, name: str, digest: str, data: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO part VALUES (?, ?, ?)", (name, digest, data))

    def drop_parts(self, names: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM part WHERE name = ?", ((n,) for n in names))

    # -- site-wide files -----------------------------------------------------------------------
    def files(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, digest FROM file"))

    def set_files(self, files: dict[str, str]) -> None:
        self.db.execute("DELETE FROM file")
        self.db.executemany("INSERT INTO file VALUES (?, ?)", files.items())
