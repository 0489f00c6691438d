"""Publish: bring the published-records table in line with the public view of the catalogue.

Incremental by default: only experiments that changed since the last run are rebuilt (found
through indexed ``updated_at`` columns and the release/withdrawal dates that fell due in
between), and a record whose content hash is unchanged is left alone, so its datestamp does
not move. ``full`` rebuilds every record (after a template or crosswalk change).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select, union, update
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
from faircat.crosswalks import mandatory, oai_datacite, oai_sets, registry
from faircat.crosswalks.urls import doi_path
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


@dataclass
class PublishRun:
    at: datetime
    full: bool
    changed: int = 0  # records with new or different content (their datestamp moved)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # "pid: problem" (invalid metadata)


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


def publish(
    session: Session, settings: Settings, now: datetime, *, full: bool = False
) -> PublishRun:
    """Update published_record in the caller's transaction; returns what changed."""
    run = PublishRun(at=now, full=full)
    state = session.get(PublishState, LAST_PUBLISH)
    only: set[int] | None = None
    if state is not None and not full:
        only = changed_investigations(session, state.value, now)
    view = PublicView(session, settings, now)
    existing = _existing(session, only)
    seen: set[str] = set()
    set_names: dict[str, str] = {}
    for item in view.items(only):
        pid = item.record.doi
        seen.add(pid)
        digest = content_hash(item)
        old = existing.get(pid)
        if old is not None and old[1] == digest:
            run.unchanged += 1
            continue
        try:
            mandatory.check(item.record)
        except MetadataError as exc:
            run.skipped.append(f"{pid}: {exc}")
            continue
        # Core statements, not ORM objects: the public view expunges its session between
        # chunks to keep memory bounded, which would drop pending ORM objects.
        values, metadata = _values(item, digest, now)
        sets = oai_sets.record_sets(item.record, item.beamlines)
        exposed = values["status"] in OAI_STATUSES
        values["set_specs"] = _set_elements(sets) if exposed else ""
        if old is None:
            row_id = session.execute(
                insert(_RECORD).values(pid=pid, **values).returning(_RECORD.c.id)
            ).scalar_one()
        else:
            row_id = old[0]
            session.execute(update(_RECORD).where(_RECORD.c.id == row_id).values(**values))
            session.execute(delete(_METADATA).where(_METADATA.c.record_id == row_id))
            session.execute(delete(_SET).where(_SET.c.record_id == row_id))
        if exposed:
            set_names.update(sets)
            session.execute(
                insert(_SET),
                [{"record_id": row_id, "spec": spec, "datestamp": now} for spec, _ in sets],
            )
        session.execute(
            insert(_METADATA),
            [
                {"record_id": row_id, "format": name, "content": text}
                for name, text in metadata.items()
            ],
        )
        run.changed += 1
    gone = [pid for pid in existing if pid not in seen]
    if gone:
        session.execute(delete(PublishedRecord).where(PublishedRecord.pid.in_(gone)))
    _name_sets(session, set_names)
    if state is None:
        session.add(PublishState(key=LAST_PUBLISH, value=now))
    else:
        state.value = now
    session.flush()
    return run


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
    item: PublicItem, digest: str, now: datetime
) -> tuple[dict[str, object], dict[str, str]]:
    """The record row's values, and its metadata by OAI format."""
    record = item.record
    core = registry.render_core(record)  # the formats share one DataCite dict
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
        "oai_datacite": _fragment(oai_datacite.oai_datacite_xml(record)),
        "datacite": _fragment(core["datacite.xml"]),
    }
    return values, metadata
