"""The search document of each dataset: written at ingest, rewritten by reindexing.

A document holds the dataset's filter columns and its words: ``head`` (dataset name and
title, sample name and formula, the experiment's title, proposal, visit and DOIs) and ``tail``
(people and file names). The experiment's part is shared by all its datasets; its digest
(``investigation_key``) tells when a change of the experiment (a new member, a new title, a
DOI) must rewrite the documents of all its datasets. Nothing about access is stored: searches
join the live investigation row (see models/search.py).

Core statements on a Connection, like the ingest that calls :func:`refresh` once per file.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from faircat.catalogue.models import (
    Datafile,
    Dataset,
    Investigation,
    InvestigationMember,
    Sample,
    SearchDocument,
    SearchText,
    User,
)
from faircat.catalogue.models.base import utcnow
from faircat.catalogue.models.data import dataset_technique
from faircat.catalogue.search.text import bag

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the start of a dataset that has none
HEAD_WORDS = 400
TAIL_WORDS = 2000  # a scan of 10,000 frames is one prefix and a counter: enough to find it
BATCH = 500
_DOC = SearchDocument.__table__
_TEXT = SearchText.__table__
_WORDS = ("head", "tail")


@dataclass(frozen=True)
class ExperimentWords:
    head: list[str | None]
    people: list[str]

    @property
    def key(self) -> str:
        joined = "\x1f".join(v or "" for v in [*self.head, "\x1e", *self.people])
        return hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()


def experiment_words(
    conn: Connection, investigation_ids: Iterable[int]
) -> dict[int, ExperimentWords]:
    ids = sorted(set(investigation_ids))
    if not ids:
        return {}
    people: dict[int, list[str]] = defaultdict(list)
    for inv_id, name in conn.execute(
        select(InvestigationMember.investigation_id, User.full_name)
        .join(User, User.id == InvestigationMember.user_id)
        .where(InvestigationMember.investigation_id.in_(ids))
        .order_by(InvestigationMember.investigation_id, User.full_name)
    ):
        people[inv_id].append(name)
    found = {}
    for row in conn.execute(
        select(
            Investigation.id,
            Investigation.title,
            Investigation.proposal,
            Investigation.visit,
            Investigation.doi,
        ).where(Investigation.id.in_(ids))
    ):
        label = f"{row.proposal}-{row.visit}"
        found[row.id] = ExperimentWords(
            [row.title, label, row.proposal, row.visit, row.doi], people.get(row.id, [])
        )
    return found


def documents(conn: Connection, dataset_ids: Sequence[int], now: datetime) -> list[dict[str, Any]]:
    """The rows of ``search_document`` for these datasets (missing ids are skipped)."""
    if not dataset_ids:
        return []
    rows = conn.execute(
        select(
            Dataset.id,
            Dataset.investigation_id,
            Dataset.instrument_id,
            Dataset.type,
            Dataset.start_time,
            Dataset.name,
            Dataset.title,
            Dataset.doi,
            Sample.name.label("sample"),
            Sample.chemical_formula,
        )
        .outerjoin(Sample, Sample.id == Dataset.sample_id)
        .where(Dataset.id.in_(dataset_ids))
    ).all()
    files: dict[int, list[str]] = defaultdict(list)
    for dataset_id, name in conn.execute(
        select(Datafile.dataset_id, Datafile.name)
        .where(Datafile.dataset_id.in_(dataset_ids))
        .order_by(Datafile.dataset_id, Datafile.name)
    ):
        files[dataset_id].append(name)
    techniques: dict[int, list[int]] = defaultdict(list)
    for dataset_id, technique_id in conn.execute(
        select(dataset_technique.c.dataset_id, dataset_technique.c.technique_id).where(
            dataset_technique.c.dataset_id.in_(dataset_ids)
        )
    ):
        techniques[dataset_id].append(technique_id)
    experiments = experiment_words(conn, (r.investigation_id for r in rows))
    result = []
    for row in rows:
        experiment = experiments[row.investigation_id]
        result.append(
            {
                "dataset_id": row.id,
                "investigation_id": row.investigation_id,
                "instrument_id": row.instrument_id,
                "dataset_type": row.type,
                "start_time": row.start_time or EPOCH,
                "name": row.name,
                "techniques": technique_text(techniques.get(row.id, [])),
                "head": bag(
                    [
                        row.name,
                        row.title,
                        row.sample,
                        row.chemical_formula,
                        row.doi,
                        *experiment.head,
                    ],
                    HEAD_WORDS,
                ),
                "tail": bag([*experiment.people, *files.get(row.id, [])], TAIL_WORDS),
                "investigation_key": experiment.key,
                "indexed_at": now,
            }
        )
    return result


def technique_text(ids: Iterable[int]) -> str:
    """``" 3 7 "``: a technique filter is ``LIKE '% 3 %'``, whatever the neighbours."""
    return " " + " ".join(str(i) for i in sorted(set(ids))) + " "


def write(conn: Connection, dataset_ids: Sequence[int], now: datetime | None = None) -> int:
    """(Re)write the documents of ``dataset_ids``; returns how many were written."""
    written = 0
    moment = now or utcnow()
    for start in range(0, len(dataset_ids), BATCH):
        chunk = list(dataset_ids[start : start + BATCH])
        written += _replace(conn, chunk, documents(conn, chunk, moment))
    return written


def _replace(conn: Connection, ids: list[int], rows: list[dict[str, Any]]) -> int:
    # Delete and insert, on every database: the SQLite triggers keep FTS5 in step with both (the
    # words go with their document: ON DELETE CASCADE).
    conn.execute(delete(_DOC).where(_DOC.c.dataset_id.in_(ids)))
    if rows:
        conn.execute(insert(_DOC), [{k: v for k, v in r.items() if k not in _WORDS} for r in rows])
        conn.execute(
            insert(_TEXT),
            [{"dataset_id": r["dataset_id"], **{k: r[k] for k in _WORDS}} for r in rows],
        )
    return len(rows)


def refresh(conn: Connection, dataset_id: int) -> int:
    """After ingest wrote ``dataset_id``: its document, and those of its experiment's other
    datasets when the experiment's own words changed (a new member, title or DOI)."""
    rows = documents(conn, [dataset_id], utcnow())
    written = _replace(conn, [dataset_id], rows)
    if not rows:
        return written
    stale = list(
        conn.scalars(
            select(_DOC.c.dataset_id).where(
                _DOC.c.investigation_id == rows[0]["investigation_id"],
                _DOC.c.investigation_key != rows[0]["investigation_key"],
            )
        )
    )
    return written + write(conn, stale)
