"""What goes into a zip of many files: entry names and the SHA-256 manifest, as pure functions.

Entries are ``<experiment>/<dataset>/<file>``, so a zip of a whole experiment unpacks into one
folder per dataset and zips of different datasets can be unpacked side by side. Names come from
the catalogue (dataset and file names are data, not paths): each is made a single safe path
component, and a name that repeats gets the file id added, so no entry can overwrite another or
land outside the folder it is unpacked in.

The manifest is ``SHA256SUMS`` in the format of GNU ``sha256sum`` (``<hex>  <name>``), so
``sha256sum -c SHA256SUMS`` in the unpacked folder checks every file. Its size is known before
any digest is (64 hex digits a line), which lets the zip announce its length up front even when
some digests are computed while the files stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from faircat.catalogue.workspace.files import FileRow

MANIFEST = "SHA256SUMS"
MISSING = "NOT-INCLUDED.txt"
DIGEST_LENGTH = 64

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def component(name: str) -> str:
    """One path component: no separators or control characters, never ``.``/``..`` or empty."""
    cleaned = _UNSAFE.sub("_", name).strip()
    if cleaned in ("", ".", ".."):
        return "_"
    return cleaned[:200]


@dataclass(frozen=True)
class Entry:
    arcname: str
    file: FileRow


def plan(files: Sequence[FileRow]) -> list[Entry]:
    """An entry per file, names unique (case-insensitively: zips get unpacked on macOS and
    Windows too)."""
    taken: set[str] = {MANIFEST.lower(), MISSING.lower()}
    entries = []
    for row in files:
        folder = f"{component(row.experiment)}/{component(row.dataset_name)}"
        name = component(row.name)
        arcname = f"{folder}/{name}"
        if arcname.lower() in taken:
            stem, dot, suffix = name.rpartition(".")
            name = f"{stem}~{row.id}.{suffix}" if dot and stem else f"{name}~{row.id}"
            arcname = f"{folder}/{name}"
        taken.add(arcname.lower())
        entries.append(Entry(arcname, row))
    return entries


def manifest_line(digest: str, arcname: str) -> str:
    return f"{digest}  {arcname}\n"


def manifest_size(arcnames: Iterable[str]) -> int:
    return sum(len(manifest_line("0" * DIGEST_LENGTH, a).encode("utf-8")) for a in arcnames)


def missing_note(arcnames: Sequence[str]) -> str:
    lines = "".join(f"{name}\n" for name in arcnames)
    return (
        "These files of the selection could not be read from storage when the zip was made "
        "and are not in it. Please tell the data team.\n\n" + lines
    )
