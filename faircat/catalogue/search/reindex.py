"""Rebuilding search documents: everything (``faircat search reindex``) or what changed since
it was indexed (``--changed``), in batches of one transaction each.

Ingest keeps documents current as it writes (loader.py calls documents.refresh). Changes made
elsewhere - an amended title, a member added in the portal, a DOI registered at release, a
sample renamed - reach the search at the next ``--changed`` run, which finds:

- datasets without a document;
- datasets, or their samples, updated after their document was written;
- experiments whose own words (title, proposal, DOI, people) no longer give the digest stored
  in their documents.

Access is never read from documents (searches join the live experiment), so a document that
waits for its reindex can make a search miss or find a word, never show data to someone who
may not read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select

from faircat.catalogue.models import Dataset, Investigation, Sample, SearchDocument
from faircat.catalogue.search import documents

D = SearchDocument.__table__.c
BATCH = 2000


@dataclass(frozen=True)
class ReindexReport:
    written: int
    changed_only: bool


def reindex(
    engine: Engine,
    *,
    changed_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ReindexReport:
    """Write the documents of every dataset (or of those that changed); ``progress`` is told
    how many were written after each batch."""
    written = 0
    for ids in _batches(engine, changed_only):
        with engine.begin() as conn:
            count = documents.write(conn, ids)
        written += count
        if progress is not None:
            progress(count)
    return ReindexReport(written, changed_only)


def _batches(engine: Engine, changed_only: bool) -> Iterator[list[int]]:
    if changed_only:
        stale = _stale_experiments(engine)
        yield from _chunks(sorted(_changed_datasets(engine) | _datasets_of(engine, stale)))
        return
    last = 0
    while True:
        with engine.connect() as conn:
            ids = list(
                conn.scalars(
                    select(Dataset.id).where(Dataset.id > last).order_by(Dataset.id).limit(BATCH)
                )
            )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _changed_datasets(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(
            conn.scalars(
                select(Dataset.id)
                .outerjoin(SearchDocument, D.dataset_id == Dataset.id)
                .outerjoin(Sample, Sample.id == Dataset.sample_id)
                .where(
                    or_(
                        D.dataset_id.is_(None),
                        Dataset.updated_at > D.indexed_at,
                        Sample.updated_at > D.indexed_at,
                    )
                )
            )
        )


def _stale_experiments(engine: Engine) -> set[int]:
    """Experiments whose documents carry another digest than their words give today."""
    stale: set[int] = set()
    last = 0
    while True:
        with engine.connect() as conn:
            ids = list(
                conn.scalars(
                    select(Investigation.id)
                    .where(Investigation.id > last)
                    .order_by(Investigation.id)
                    .limit(BATCH)
                )
            )
            if not ids:
                return stale
            words = documents.experiment_words(conn, ids)
            stored = conn.execute(
                select(D.investigation_id, D.investigation_key)
                .where(D.investigation_id.in_(ids))
                .distinct()
            ).all()
        stale |= {inv for inv, key in stored if key != words[inv].key}
        last = ids[-1]


def _datasets_of(engine: Engine, investigation_ids: set[int]) -> set[int]:
    found: set[int] = set()
    chosen = sorted(investigation_ids)
    with engine.connect() as conn:
        for start in range(0, len(chosen), BATCH):
            found |= set(
                conn.scalars(
                    select(Dataset.id).where(
                        Dataset.investigation_id.in_(chosen[start : start + BATCH])
                    )
                )
            )
    return found
