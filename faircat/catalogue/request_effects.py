"""Release request effects: what an approval changes, in the caller's session.

Each effect re-validates the request (the experiment may have moved on since the submission),
applies it and returns the (before, after) snapshots of what it changed, for the audit row.
Registry calls are never made here: DOI work is queued in the outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from faircat.catalogue import outbox
from faircat.catalogue.facility import get_facility
from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import (
    DataPublication,
    Dataset,
    Investigation,
    PublicationCreator,
    ReleaseRequest,
)
from faircat.catalogue.models.publication import publication_dataset
from faircat.catalogue.public import experiment_doi
from faircat.catalogue.request_rules import current_metadata, publications_of, revalidate
from faircat.catalogue.vocab import DoiState, LifecycleState, PublicationKind, RequestKind
from faircat.config import Settings

# -- effects of an approval: each returns (before, after) of what it changed -------------------
Change = tuple[dict[str, Any], dict[str, Any]]


def _move_release(
    session: Session, req: ReleaseRequest, inv: Investigation, now: datetime, _s: Settings
) -> Change:
    revalidate(session, req, inv, now)
    old = inv.release_date
    if req.kind is RequestKind.EARLY_RELEASE:
        # Never backdated: "public since" must be when the data really became readable.
        inv.release_date = max(req.requested_date or now, now)
    else:
        assert req.requested_date is not None
        inv.release_date = req.requested_date
    public_now = inv.release_date <= now
    dois = []
    for pub in publications_of(session, inv):
        if pub.doi_target_state is DoiState.NONE or pub.withdrawn_at is not None:
            continue  # never asked of the registry: nothing to tell it
        if public_now and pub.doi_target_state is DoiState.REGISTERED:
            pub.doi_target_state = DoiState.FINDABLE
        outbox.enqueue(session, pub, "release" if public_now else "amend", now)
        dois.append(pub.doi)
    before = {"release_date": old.isoformat()}
    return before, {"release_date": inv.release_date.isoformat(), "doi_tasks": dois}


def _create_selection(
    session: Session, req: ReleaseRequest, inv: Investigation, now: datetime, settings: Settings
) -> Change:
    revalidate(session, req, inv, now)
    data = req.payload or {}
    public = state_at(dates_of(inv), now) is LifecycleState.PUBLIC
    pub = DataPublication(
        kind=PublicationKind.SELECTION,
        investigation_id=inv.id,
        doi=_selection_doi(session, inv),
        title=data["title"],
        abstract=data.get("abstract") or None,
        licence=settings.facility_licence,
        doi_target_state=DoiState.FINDABLE if public else DoiState.REGISTERED,
        creators=[PublicationCreator(position=i, **c) for i, c in enumerate(data["creators"])],
    )
    session.add(pub)
    session.flush()
    session.execute(
        insert(publication_dataset),
        [{"publication_id": pub.id, "dataset_id": d} for d in data["dataset_ids"]],
    )
    req.publication_id = pub.id
    outbox.enqueue(session, pub, "register", now)
    after = {
        "publication": pub.doi,
        "datasets": data["dataset_ids"],
        "doi_target_state": pub.doi_target_state.value,
    }
    return {}, after


def _amend(
    session: Session, req: ReleaseRequest, inv: Investigation, now: datetime, _s: Settings
) -> Change:
    pub = revalidate(session, req, inv, now)
    assert pub is not None
    data = req.payload or {}
    current = current_metadata(pub)
    before = {k: current.get(k) for k in data}
    if "creators" in data:
        pub.creators.clear()
        session.flush()  # old positions gone before the new rows reuse them (unique)
        pub.creators.extend(
            PublicationCreator(position=i, **c) for i, c in enumerate(data["creators"])
        )
    for key in ("title", "abstract", "keywords"):
        if key in data:
            setattr(pub, key, data[key])
    if pub.kind is PublicationKind.INVESTIGATION:
        # The experiment's record is built from the investigation row: amend it there too.
        inv.title = data.get("title", inv.title)
        inv.summary = data.get("abstract", inv.summary)
    elif pub.kind is PublicationKind.DATASET and pub.dataset_id is not None:
        # So is a dataset's record, from the dataset row (its description is the abstract).
        dataset = session.get(Dataset, pub.dataset_id)
        if dataset is not None:
            dataset.title = data.get("title", dataset.title)
            dataset.description = data.get("abstract", dataset.description)
    if pub.doi_target_state is not DoiState.NONE:
        outbox.enqueue(session, pub, "amend", now)
    return before, {**data, "publication": pub.doi}


def _withdraw(
    session: Session, req: ReleaseRequest, inv: Investigation, now: datetime, _s: Settings
) -> Change:
    revalidate(session, req, inv, now)
    inv.withdrawn_at = now
    before: dict[str, Any] = {"withdrawn_at": None}
    after: dict[str, Any] = {"withdrawn_at": now.isoformat()}
    queued = []
    for pub in publications_of(session, inv):  # with a DOI per dataset: maybe thousands
        pub.withdrawn_at = now
        if pub.doi_target_state is DoiState.NONE and pub.doi_state is DoiState.NONE:
            continue  # the registry never heard of it
        before[pub.doi] = pub.doi_target_state.value
        # Hidden from search, still resolving to the tombstone: a DOI is never deleted.
        pub.doi_target_state = DoiState.REGISTERED
        after[pub.doi] = pub.doi_target_state.value
        queued.append(pub.id)
    session.flush()
    outbox.enqueue_many(session, queued, "withdraw", now)
    return before, after


APPLY = {
    RequestKind.EARLY_RELEASE: _move_release,
    RequestKind.EXTENSION: _move_release,
    RequestKind.SELECTION_DOI: _create_selection,
    RequestKind.AMENDMENT: _amend,
    RequestKind.WITHDRAWAL: _withdraw,
}


def _selection_doi(session: Session, inv: Investigation) -> str:
    """``<experiment DOI>-s<N>``: deterministic, lowercase, the first N not yet taken.

    Dataset DOIs extend the experiment's with ``.``, so ``-s`` never meets one of them.
    """
    base = experiment_doi(get_facility(session), inv).lower() + "-s"
    taken = set(
        session.scalars(
            select(DataPublication.doi).where(DataPublication.doi.startswith(base, autoescape=True))
        )
    )
    n = 1
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"
