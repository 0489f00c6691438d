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
