"""The registry of one DataCite repository: records in memory behind a lock, optionally in a file.

Every change runs :func:`.store.apply` under the lock, so concurrent requests see one order. With a
data file each change rewrites it atomically (temporary file + rename): the demo's registry then
survives a restart of the server, and a crash never leaves half a file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .store import DOI_PATTERN, DoiRecord, Refused, apply, normalize_doi

FORBIDDEN = "You are not authorized to access this resource."
NOT_FOUND = "The resource you are looking for doesn't exist."
# DataCite's random suffixes: Crockford base32 without i, l, o, u, as "xxxx-xxxx".
_SUFFIX_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
FILE_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Repository:
    """A DataCite repository account: its id (symbol), password and DOI prefixes."""

    symbol: str
    password: str
    prefixes: tuple[str, ...]

    @property
    def client_id(self) -> str:
        return self.symbol.lower()  # DataCite shows repository ids in lower case

    def owns_prefix(self, doi: str) -> bool:
        return doi.split("/", 1)[0] in self.prefixes


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing: records, the total of all matching, the next cursor if any."""

    records: list[DoiRecord]
    total: int
    next_cursor: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


class Registry:
    """DOIs of one repository. Methods raise :class:`.store.Refused` as DataCite would answer."""

    def __init__(
        self,
        repository: Repository,
        data: Path | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repository = repository
        self.data = data
        self._clock = clock
        self._lock = threading.RLock()
        self._records: dict[str, DoiRecord] = {}
        if data is not None and data.exists():
            self._records = load(data)

    # -- reads -------------------------------------------------------------------------------

    def get(self, doi: str) -> DoiRecord | None:
        """A copy of the record, or None."""
        with self._lock:
            record = self._records.get(normalize_doi(doi))
            return record.copy() if record is not None else None

    def all(self) -> list[DoiRecord]:
        """Copies of every record, oldest first."""
        with self._lock:
            return [r.copy() for r in sorted(self._records.values(), key=_cursor_key)]

    def page(
        self,
        *,
        visible: Callable[[DoiRecord], bool],
        prefix: str | None = None,
        state: str | None = None,
        client_id: str | None = None,
        sort: str | None = None,
        size: int = 25,
        number: int = 1,
        cursor: str | None = None,
    ) -> Page:
        """A listing page, as ``GET /dois`` pages.

        Page numbers sort by ``sort`` (DataCite's default: most recently updated first); a cursor
        (``page[cursor]``: empty or ``1`` to start, then the ``next`` link's value) always walks
        by creation time then DOI, which stays stable while DOIs are added or updated.
        """
        with self._lock:
            matching = [
                r
                for r in self._records.values()
                if visible(r)
                and (prefix is None or r.prefix in prefix.split(","))
                and (state is None or r.state in state.split(","))
                and (client_id is None or r.client_id in client_id.lower().split(","))
            ]
            total = len(matching)
            if cursor is not None:
                after = decode_cursor(cursor)
                ordered = sorted(matching, key=_cursor_key)
                rest = [r for r in ordered if after is None or _cursor_key(r) > after]
                chosen = rest[:size]
                more = len(chosen) == size and size > 0
                next_cursor = encode_cursor(chosen[-1]) if more else None
                return Page([r.copy() for r in chosen], total, next_cursor)
            ordered = _ordered(matching, sort)
            start = (number - 1) * size
            return Page([r.copy() for r in ordered[start : start + size]], total)

    # -- changes -----------------------------------------------------------------------------

    def create(self, attributes: dict[str, Any]) -> DoiRecord:
        """``POST /dois``: the DOI from ``doi``, or ``prefix`` + ``suffix``, or ``prefix`` and a
        random suffix. 403 outside the repository's prefixes (DataCite: the repository may not
        create it), 422 when it exists ("This DOI has already been taken")."""
        with self._lock:
            doi = self._new_doi(attributes)
            if not self.repository.owns_prefix(doi):
                raise Refused.plain(403, FORBIDDEN)
            if doi in self._records:
                raise Refused(
                    422,
                    [{"source": "doi", "uid": doi, "title": "This DOI has already been taken"}],
                )
            record = apply(
                None, doi, attributes, client_id=self.repository.client_id, now=self._clock()
            )
            self._records[doi] = record
            self._save()
            return record.copy()

    def put(self, doi: str, attributes: dict[str, Any]) -> tuple[DoiRecord, bool]:
        """``PUT /dois/{doi}``: update, or create when absent (DataCite answers 201 then).

        Returns (record, created). 404 for an absent DOI that is not a DOI; 403 for a DOI of
        another repository or, when creating, outside this repository's prefixes.
        """
        doi = normalize_doi(doi)
        with self._lock:
            current = self._records.get(doi)
            if current is None:
                if not DOI_PATTERN.match(doi):
                    raise Refused.plain(404, NOT_FOUND)
                if not self.repository.owns_prefix(doi):
                    raise Refused.plain(403, FORBIDDEN)
            elif current.client_id != self.repository.client_id:
                raise Refused.plain(403, FORBIDDEN)
            record = apply(
                current, doi, attributes, client_id=self.repository.client_id, now=self._clock()
            )
            self._records[doi] = record
            self._save()
            return record.copy(), current is None

    def delete(self, doi: str) -> None:
        """``DELETE /dois/{doi}``: drafts only; 405 for registered and findable DOIs."""
        doi = normalize_doi(doi)
        with self._lock:
            current = self._records.get(doi)
            if current is None:
                raise Refused.plain(404, NOT_FOUND)
            if current.client_id != self.repository.client_id:
                raise Refused.plain(403, FORBIDDEN)
            if current.state != "draft":
                raise Refused.plain(405, "Method not allowed")
            del self._records[doi]
            self._save()

    def reset(self) -> None:
        """Forget every DOI (and empty the data file)."""
        with self._lock:
            self._records.clear()
            self._save()

    # -- helpers -----------------------------------------------------------------------------

    def _new_doi(self, attributes: dict[str, Any]) -> str:
        doi = attributes.get("doi")
        if isinstance(doi, str) and doi.strip():
            return normalize_doi(doi)
        prefix = attributes.get("prefix")
        if not (isinstance(prefix, str) and prefix.strip()):
            raise Refused(422, [{"source": "doi", "title": "Can't be blank"}])
        suffix = attributes.get("suffix")
        if isinstance(suffix, str) and suffix.strip():
            return normalize_doi(f"{prefix}/{suffix}")
        while True:
            code = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(8))
            doi = normalize_doi(f"{prefix}/{code[:4]}-{code[4:]}")
            if doi not in self._records:
                return doi

    def _save(self) -> None:
        if self.data is not None:
            save(self.data, self._records.values())


def load(path: Path) -> dict[str, DoiRecord]:
    """Records from a data file written by :func:`save`; a clear error for anything else."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != FILE_VERSION:
            raise ValueError(f"unknown version {data.get('version')!r}")
        records = [DoiRecord.from_json(item) for item in data["dois"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a faircat dev DataCite data file ({exc})") from exc
    return {r.doi: r for r in records}


def save(path: Path, records: Any) -> None:
    """Write every record atomically: a temporary file beside ``path``, then a rename."""
    body = {"version": FILE_VERSION, "dois": [r.to_json() for r in records]}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def encode_cursor(record: DoiRecord) -> str:
    """DataCite's cursor: base64 of "<created, epoch milliseconds>,<doi>"."""
    millis, doi = _cursor_key(record)
    return base64.urlsafe_b64encode(f"{millis},{doi}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> tuple[int, str] | None:
    """The position after which a cursor page starts; None for the first page ("" or "1")."""
    if cursor in ("", "1"):
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
        millis, doi = text.split(",", 1)
        return int(millis), doi
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise Refused.plain(400, "Invalid base64 used for cursor passed from query params") from exc


def _cursor_key(record: DoiRecord) -> tuple[int, str]:
    # Integer arithmetic: float timestamps could round the same instant two ways.
    return (record.created - _EPOCH) // timedelta(milliseconds=1), record.doi


def _ordered(records: list[DoiRecord], sort: str | None) -> list[DoiRecord]:
    """DataCite's ``sort`` values: name, created, updated, ``-`` for descending; by default
    ``-updated`` (most recently updated first). Ties are broken by DOI."""
    sort = sort or "-updated"
    field = sort.lstrip("-")
    descending = sort.startswith("-")
    if field == "name":
        return sorted(records, key=lambda r: r.doi, reverse=descending)
    attribute = "created" if field == "created" else "updated"
    return sorted(records, key=lambda r: (getattr(r, attribute), r.doi), reverse=descending)
