"""The DOI outbox: registry work recorded in the catalogue transaction that decided it.

A decision (release, approval, amendment, withdrawal) sets the publication's
``doi_target_state`` and calls :func:`enqueue` in the same transaction, so the decision and the
promise to tell DataCite commit together or not at all. The registry worker
(:mod:`faircat.publisher.registrar`) later brings the registry in line and retries with backoff.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue.models import DataPublication, DoiTask

PENDING = "pending"
DONE = "done"
REJECTED = "rejected"  # the registry refused the metadata: a curator must act


def enqueue(session: Session, publication: DataPublication, reason: str, now: datetime) -> DoiTask:
    """Ask for ``publication`` to be synced to the registry; one pending task per DOI.

    A task carries no payload (the worker reads the publication when it runs), so a second
    change before the first sync only makes the pending task due now.
    """
    if publication.id is None:
        session.flush()
    task = session.scalar(
        select(DoiTask).where(
            DoiTask.publication_id == publication.id, DoiTask.status.in_([PENDING, REJECTED])
        )
    )
    if task is None:
        task = DoiTask(publication_id=publication.id, reason=reason, next_attempt_at=now)
        session.add(task)
    else:
        # New metadata may fix what the registry rejected: try again.
        task.status = PENDING
        task.reason = reason
        task.next_attempt_at = now
    return task


def enqueue_many(session: Session, publication_ids: list[int], reason: str, now: datetime) -> int:
    """:func:`enqueue` for many publications in a few statements (a mass release)."""
    from sqlalchemy import insert, update

    if not publication_ids:
        return 0
    open_tasks = set(
        session.scalars(
            select(DoiTask.publication_id).where(
                DoiTask.publication_id.in_(publication_ids),
                DoiTask.status.in_([PENDING, REJECTED]),
            )
        )
    )
    if open_tasks:
        session.execute(
            update(DoiTask)
            .where(
                DoiTask.publication_id.in_(open_tasks),
                DoiTask.status.in_([PENDING, REJECTED]),
            )
            .values(status=PENDING, reason=reason, next_attempt_at=now)
        )
    new = [pid for pid in publication_ids if pid not in open_tasks]
    if new:
        session.execute(
            insert(DoiTask),
            [
                {
                    "publication_id": pid,
                    "reason": reason,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for pid in new
            ],
        )
    return len(publication_ids)
