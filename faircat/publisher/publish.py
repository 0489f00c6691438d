"""Publish: bring the published-records table in line with the public view of the catalogue.

Incremental by default: only experiments that changed since the last run are rebuilt (found
through indexed ``updated_at`` columns and the release/withdrawal dates that fell due in
between), and a record whose content hash is unchanged is left alone, so its datestamp does
not move. ``full`` rebuilds every record (after a template or crosswalk change).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import tee

from sqlalchemy import bindparam, delete, insert, select, union, update
from sqlalchemy.orm import Session

from faircat.catalogue.models import DataPublication, Dataset, Investigation
from faircat.catalogue.models.published import (
    OaiSet,
    PublishedMetadata,
    PublishedRecord,
    PublishedSet,
    PublishState,
)
from faircat.catalogue.public import PublicItem, PublicView
from faircat.config import Settings
from faircat.crosswalks import (
    datacite,
    mandatory,
    oai_datacite,
    oai_sets,
    registry,
)
from faircat.crosswalks.prepared import Prepared
from faircat.crosswalks.urls import doi_path
from faircat.crosswalks.view import Record
from faircat.errors import MetadataError

# Bump when what a page or a metadata file shows changes for the same record.
RENDER_VERSION = "1"
_RECORD = PublishedRecord.__table__
_METADATA = PublishedMetadata.__table__
_SET = PublishedSet.__table__
# What OAI-PMH exposes: open records, and withdrawn ones as persistent deletions. Embargoed
# (metadata-only) records stay out of OAI-PMH until release.
OAI_STATUSES = ("open", "withdrawn")
LAST_PUBLISH = "last_publish"
BATCH = 500  # changed records written per round of statements


@dataclass
class PublishRun:
    at: datetime
    full: bool
    changed: int = 0  # records with new or different content (their datestamp moved)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # "pid: problem" (invalid metadata)
    refused: list[str] = field(default_factory=list)  # the pids of skipped records


def content_hash(item: PublicItem) -> str:
    text = f"{RENDER_VERSION}\n{item.record!r}\n{item.preview!r}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def landing_path(doi: str) -> str:
    """``/doi/<prefix>/<suffix>/``: the landing page path, relative to the site root."""
    return "/" + doi_path(doi)


def _fragment(data: bytes) -> str:
    """Stored without the XML declaration: the OAI provider embeds it in its response."""
    text = data.decode("utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :].lstrip()
    return text


def changed_investigations(session: Session, since: datetime, now: datetime) -> set[int]:
    """Experiments whose public view may differ between ``since`` and ``now``."""
    queries = [
        select(Investigation.id).where(Investigation.updated_at > since),
        select(Investigation.id).where(
            Investigation.release_date > since, Investigation.release_date <= now
        ),
        select(Investigation.id).where(
            Investigation.withdrawn_at > since, Investigation.withdrawn_at <= now
        ),
        select(Dataset.investigation_id).where(Dataset.updated_at > since),
        select(DataPublication.investigation_id).where(
            DataPublication.updated_at > since, DataPublication.investigation_id.is_not(None)
        ),
    ]
    return set(session.scalars(union(*queries)))


def _snippet(item: PublicItem) -> str:
    text = " ".join(item.record.description.split())
    return text[:280] + ("…" if len(text) > 280 else "")


Rendered = tuple[dict[str, bytes], bytes]  # render_core() output, oai_datacite XML
STORED = ("datacite.xml", "oai_dc.xml")  # what publish keeps of render_core()
Task = tuple[PublicItem, str, bool]  # an accepted record, its content hash, whether it changed
# Returns render_task(task) for each task, in order; it may do more with each record (the
# export writes its page) and spread the work over processes.
Mapper = Callable[[Iterable[Task]], Iterator["Rendered | None"]]


def render_metadata(record: Record) -> Rendered:
    """:func:`registry.render_core` (the DataCite XML and oai_dc publish stores, and the JSON
    files of the page) and oai_datacite, all from one DataCite dict: what
    ``registry.render_core(record), oai_datacite.oai_datacite_xml(record)`` return (tested),
    without building the dict twice."""
    prepared = Prepared(record)
    data = datacite.to_datacite(record, prepared)
    return registry.core_files(record, prepared, data), oai_datacite.xml_from_json(record, data)


def render_task(task: Task) -> Rendered | None:
    """The metadata publish needs of a record: none when the record did not change."""
    item, _, changed = task
    return render_metadata(item.record) if changed else None


def publish(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    full: bool = False,
    mapper: Mapper | None = None,
) -> PublishRun:
    """Update published_record in the caller's transaction; returns what changed.

    ``mapper``: sees every record publish accepts, changed or not (see :data:`Mapper`);
    without one, the changed records' metadata is rendered here.
    """
    run = PublishRun(at=now, full=full)
    state = session.get(PublishState, LAST_PUBLISH)
    only: set[int] | None = None
    if state is not None and not full:
        only = changed_investigations(session, state.value, now)
    view = PublicView(session, settings, now)
    existing = _existing(session, only)
    seen: set[str] = set()
    row_ids: dict[str, int] = {}

    taken: set[str] = set()  # DOIs are case-insensitive

    def tasks() -> Iterator[Task]:
        for item in view.items(only):
            pid = item.record.doi
            if pid.lower() in taken:
                # Two records, one DOI: dataset names that differ only in case or punctuation
                # ("Scan 1", "scan-1") derive the same one. The first (oldest) keeps it; the
                # other is reported, and the rest of the export goes on.
                run.skipped.append(
                    f"{pid}: another record already has this DOI (dataset names that differ "
                    "only in case or punctuation derive the same DOI); rename the dataset or "
                    "store a DOI of its own"
                )
                continue
            taken.add(pid.lower())
            seen.add(pid)
            digest = content_hash(item)
            old = existing.get(pid)
            if old is not None and old[1] == digest:
                run.unchanged += 1
                if mapper is not None:
                    yield item, digest, False
                continue
            try:
                mandatory.check(item.record)
            except MetadataError as exc:
                run.skipped.append(f"{pid}: {exc}")
                run.refused.append(pid)
                continue
            if old is not None:
                row_ids[pid] = old[0]
            yield item, digest, True

    writes = _Writes(session)
    todo, queued = tee(tasks())
    rendered = (mapper or partial(map, render_task))(queued)
    for (item, digest, changed), metadata in zip(todo, rendered, strict=True):
        if changed:
            assert metadata is not None
            writes.add(item, digest, row_ids.pop(item.record.doi, None), metadata, now)
            run.changed += 1
    writes.flush()
    gone = [pid for pid in existing if pid not in seen]
    if gone:
        session.execute(delete(PublishedRecord).where(PublishedRecord.pid.in_(gone)))
    _name_sets(session, writes.set_names)
    if state is None:
        session.add(PublishState(key=LAST_PUBLISH, value=now))
    else:
        state.value = now
    session.flush()
    return run


@dataclass(eq=False, slots=True)
class _Row:
    pid: str
    row_id: int | None  # None: a new record
    values: dict[str, object]
    metadata: dict[str, str]
    sets: list[tuple[str, str]]  # (spec, name) when exposed by OAI-PMH, else empty


class _Writes:
    """Changed records, written in batches: a handful of executemany statements per
    :data:`BATCH` records instead of five statements per record. Core statements, not ORM
    objects: the public view expunges its session between chunks to keep memory bounded,
    which would drop pending ORM objects."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: list[_Row] = []
        self.set_names: dict[str, str] = {}

    def add(
        self, item: PublicItem, digest: str, row_id: int | None, rendered: Rendered, now: datetime
    ) -> None:
        values, metadata = _values(item, digest, now, rendered)
        sets = oai_sets.record_sets(item.record, item.beamlines)
        exposed = values["status"] in OAI_STATUSES
        values["set_specs"] = _set_elements(sets) if exposed else ""
        if exposed:
            self.set_names.update(sets)
        self.rows.append(_Row(item.record.doi, row_id, values, metadata, sets if exposed else []))
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        session = self.session
        new = [row for row in rows if row.row_id is None]
        old = [row for row in rows if row.row_id is not None]
        if new:
            # then the new ids by pid (unique): RETURNING with executemany goes row by row on
            # SQLite when the order must be kept
            session.execute(insert(_RECORD), [{"pid": row.pid, **row.values} for row in new])
            pids = [row.pid for row in new]
            query = select(_RECORD.c.pid, _RECORD.c.id).where(_RECORD.c.pid.in_(pids))
            ids = {pid: row_id for pid, row_id in session.execute(query)}
            for row in new:
                row.row_id = ids[row.pid]
        if old:
            old_ids = [row.row_id for row in old]
            session.execute(
                update(_RECORD).where(_RECORD.c.id == bindparam("_id")),
                [{"_id": row.row_id, **row.values} for row in old],
            )
            session.execute(delete(_METADATA).where(_METADATA.c.record_id.in_(old_ids)))
            session.execute(delete(_SET).where(_SET.c.record_id.in_(old_ids)))
        session.execute(
            insert(_METADATA),
            [
                {"record_id": row.row_id, "format": name, "content": text}
                for row in rows
                for name, text in row.metadata.items()
            ],
        )
        sets = [
            {"record_id": row.row_id, "spec": spec, "datestamp": row.values["datestamp"]}
            for row in rows
            for spec, _ in row.sets
        ]
        if sets:
            session.execute(insert(_SET), sets)


def _set_elements(sets: list[tuple[str, str]]) -> str:
    # setSpecs match [A-Za-z0-9-_.!~*'()]+ with ':' separators: nothing to escape but the quote,
    # which is fine in element content.
    return "".join(f"<setSpec>{spec}</setSpec>" for spec, _ in sets)


def _name_sets(session: Session, names: dict[str, str]) -> None:
    """Record the name of every set used (ListSets); a renamed beamline renames its set."""
    if not names:
        return
    known = {spec: name for spec, name in session.execute(select(OaiSet.spec, OaiSet.name))}
    for spec, name in names.items():
        if spec not in known:
            session.add(OaiSet(spec=spec, name=name))
        elif known[spec] != name:
            session.execute(update(OaiSet).where(OaiSet.spec == spec).values(name=name))


def _existing(session: Session, only: Iterable[int] | None) -> dict[str, tuple[int, str]]:
    query = select(PublishedRecord.pid, PublishedRecord.id, PublishedRecord.content_hash)
    if only is not None:
        ids = list(only)
        if not ids:
            return {}
        query = query.where(PublishedRecord.investigation_id.in_(ids))
    return {pid: (row_id, digest) for pid, row_id, digest in session.execute(query)}


def _values(
    item: PublicItem, digest: str, now: datetime, rendered: Rendered
) -> tuple[dict[str, object], dict[str, str]]:
    """The record row's values, and its metadata by OAI format."""
    record = item.record
    core, oai_datacite_xml = rendered
    values = {
        "kind": record.kind,
        "status": record.access,
        "investigation_id": item.investigation_id,
        "dataset_id": item.dataset_id,
        "datestamp": now,
        "content_hash": digest,
        "path": landing_path(record.doi),
        "title": record.title,
        "snippet": _snippet(item),
        "release_year": item.release_year,
        "beamlines": "\n".join(item.beamlines),
        "techniques": "\n".join(t.iri for t in record.techniques),
        "technique_names": "\n".join(t.name for t in record.techniques),
    }
    metadata = {
        "oai_dc": _fragment(core["oai_dc.xml"]),
        "oai_datacite": _fragment(oai_datacite_xml),
        "datacite": _fragment(core["datacite.xml"]),
    }
    return values, metadata
