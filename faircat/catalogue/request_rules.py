"""Release request rules: whether a request may be made, and the payload it keeps.

Per-kind checks against the experiment's lifecycle state, normalisation of selection, amendment
and creator payloads, and conflicts with pending requests. :func:`validate` runs at submission
and, through :func:`revalidate`, again at the decision. Nothing here writes to the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from faircat.catalogue.facility import get_facility
from faircat.catalogue.lifecycle import check_extension, dates_of, state_at
from faircat.catalogue.models import (
    DataPublication,
    Dataset,
    Investigation,
    ReleaseRequest,
    User,
)
from faircat.catalogue.orcid import normalise_orcid
from faircat.catalogue.vocab import LifecycleState, RequestKind, RequestStatus
from faircat.errors import NotFoundError, RequestError

KIND_LABELS = {
    RequestKind.EARLY_RELEASE: "early release",
    RequestKind.EXTENSION: "embargo extension",
    RequestKind.SELECTION_DOI: "DOI for a selection of datasets",
    RequestKind.AMENDMENT: "metadata amendment",
    RequestKind.WITHDRAWAL: "withdrawal",
}
# Requests that cannot be pending together for one experiment (besides two of the same kind).
_CONFLICTS = {
    RequestKind.EARLY_RELEASE: {RequestKind.EXTENSION, RequestKind.WITHDRAWAL},
    RequestKind.EXTENSION: {RequestKind.EARLY_RELEASE, RequestKind.WITHDRAWAL},
    RequestKind.SELECTION_DOI: {RequestKind.WITHDRAWAL},
    RequestKind.AMENDMENT: {RequestKind.WITHDRAWAL},
    RequestKind.WITHDRAWAL: set(RequestKind) - {RequestKind.WITHDRAWAL},
}
SELECTION_FIELDS = ("title", "abstract", "creators", "dataset_ids")
AMENDABLE_FIELDS = ("title", "abstract", "keywords", "creators")
CREATOR_FIELDS = (
    "full_name", "given_name", "family_name", "orcid", "affiliation", "affiliation_ror", "user_id"
)  # fmt: skip


# -- validation (at submission, and again at approval: the experiment may have moved on) -------
def validate(
    session: Session,
    kind: RequestKind,
    inv: Investigation,
    now: datetime,
    requested: datetime | None,
    data: dict[str, Any],
    publication: DataPublication | None,
    justification: str,
) -> dict[str, Any] | None:
    """Check a request against the experiment as it is at ``now``; returns the payload to keep."""
    state = state_at(dates_of(inv), now)
    if kind is RequestKind.EARLY_RELEASE:
        if state not in (LifecycleState.ACTIVE, LifecycleState.EMBARGOED):
            raise RequestError(
                f"experiment {inv.label} is {_state(state, inv)}: an early release is only "
                "possible while it runs or is under embargo",
                field="kind",
            )
        if requested is not None and requested >= inv.release_date:
            raise RequestError(
                f"the requested date {iso_day(requested)} is not before the current release date "
                f"{iso_day(inv.release_date)} of {inv.label}",
                field="requested_date",
            )
        return None
    if kind is RequestKind.EXTENSION:
        if state in (LifecycleState.PUBLIC, LifecycleState.WITHDRAWN):
            raise RequestError(
                f"experiment {inv.label} is {_state(state, inv)}: an embargo can only be "
                "extended before the release",
                field="kind",
            )
        if requested is None:
            raise RequestError("an extension needs the new release date", field="requested_date")
        if requested <= inv.release_date:
            raise RequestError(
                f"the new release date {iso_day(requested)} is not after the current release date "
                f"{iso_day(inv.release_date)} of {inv.label}",
                field="requested_date",
            )
        check_extension(inv.end_date, requested, get_facility(session).retention_years)
        return None
    if kind is RequestKind.WITHDRAWAL:
        if state not in (LifecycleState.PUBLIC, LifecycleState.EMBARGOED):
            raise RequestError(
                f"experiment {inv.label} is {_state(state, inv)}: only a public or embargoed "
                "experiment can be withdrawn",
                field="kind",
            )
        if not justification:
            raise RequestError("a withdrawal needs a justification", field="justification")
        return None
    if state in (LifecycleState.WITHDRAWN, LifecycleState.SCHEDULED) and (
        kind is RequestKind.SELECTION_DOI
    ):
        raise RequestError(
            f"experiment {inv.label} is {_state(state, inv)}: no DOI can be minted for it",
            field="kind",
        )
    if kind is RequestKind.SELECTION_DOI:
        return _selection_payload(session, inv, data)
    assert publication is not None
    return _amendment_payload(session, publication, data)


def _selection_payload(
    session: Session, inv: Investigation, data: dict[str, Any]
) -> dict[str, Any]:
    _known_fields(data, SELECTION_FIELDS)
    title = str(data.get("title") or "").strip()
    if not title:
        raise RequestError("a selection needs a title", field="title")
    creators = _creators(session, data.get("creators"))
    raw_ids = data.get("dataset_ids") or []
    try:
        ids = list(dict.fromkeys(int(i) for i in raw_ids))
    except (TypeError, ValueError):
        raise RequestError("dataset ids must be integers", field="dataset_ids") from None
    if not ids:
        raise RequestError("a selection needs at least one dataset", field="dataset_ids")
    query = select(Dataset.id, Dataset.investigation_id).where(Dataset.id.in_(ids))
    owners: dict[int, int] = {row[0]: row[1] for row in session.execute(query)}
    missing = [i for i in ids if i not in owners]
    if missing:
        raise NotFoundError(
            f"datasets {', '.join(map(str, missing))} do not exist", field="dataset_ids"
        )
    foreign = [i for i in ids if owners[i] != inv.id]
    if foreign:
        raise RequestError(
            f"datasets {', '.join(map(str, foreign))} belong to another experiment, not to "
            f"{inv.label}: a selection may only hold datasets of its own experiment",
            field="dataset_ids",
        )
    abstract = str(data.get("abstract") or "").strip()
    return {"title": title, "abstract": abstract, "creators": creators, "dataset_ids": ids}


def _amendment_payload(
    session: Session, publication: DataPublication, data: dict[str, Any]
) -> dict[str, Any]:
    _known_fields(data, AMENDABLE_FIELDS)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "creators":
            out[key] = _creators(session, value)
        elif key == "title":
            out[key] = str(value or "").strip()
            if not out[key]:
                raise RequestError("the title cannot be empty", field="title")
        else:
            out[key] = str(value or "").strip() or None
    current = current_metadata(publication)
    changed = {k: v for k, v in out.items() if current.get(k) != v}
    if not changed:
        raise RequestError(
            f"nothing to amend in {publication.doi}: give at least one changed field of "
            f"{', '.join(AMENDABLE_FIELDS)}",
            field="payload",
        )
    return changed


def _creators(session: Session, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise RequestError("at least one creator is needed", field="creators")
    out = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, Mapping):
            raise RequestError(f"creator {n} must be an object", field="creators")
        unknown = sorted(set(item) - set(CREATOR_FIELDS))
        if unknown:
            raise RequestError(f"creator {n}: unknown fields {unknown}", field="creators")
        c = {k: (str(item[k]).strip() or None) if item.get(k) is not None else None
             for k in CREATOR_FIELDS if k != "user_id"}  # fmt: skip
        if not c["full_name"] and c["family_name"]:
            c["full_name"] = " ".join(p for p in (c["given_name"], c["family_name"]) if p)
        if not c["full_name"]:
            raise RequestError(f"creator {n} has no name", field="creators")
        if c["orcid"]:
            c["orcid"] = normalise_orcid(c["orcid"])
        c["user_id"] = _user_id(session, item.get("user_id"), n)
        out.append(c)
    return out


def _user_id(session: Session, value: Any, n: int) -> int | None:
    """The account a creator stands for (optional): it must exist."""
    if value is None or value == "":
        return None
    try:
        user_id = int(value)
    except (TypeError, ValueError):
        raise RequestError(f"creator {n}: invalid user id {value!r}", field="creators") from None
    if session.get(User, user_id) is None:
        raise NotFoundError(f"creator {n}: user {user_id} does not exist", field="creators")
    return user_id


def _known_fields(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise RequestError(
            f"unknown fields {', '.join(unknown)} (allowed: {', '.join(allowed)})", field="payload"
        )


def check_pending(
    session: Session, kind: RequestKind, inv: Investigation, publication: DataPublication | None
) -> None:
    pending = session.scalars(
        select(ReleaseRequest).where(
            ReleaseRequest.investigation_id == inv.id,
            ReleaseRequest.status == RequestStatus.PENDING,
        )
    )
    for other in pending:
        since = f"submitted by {other.requester.username} on {iso_day(other.created_at)}"
        if other.kind is kind and other.publication_id == (publication.id if publication else None):
            raise RequestError(
                f"request #{other.id} ({KIND_LABELS[kind]} for {inv.label}, {since}) is already "
                "pending: wait for its decision",
                field="kind",
            )
        if other.kind in _CONFLICTS[kind]:
            raise RequestError(
                f"{with_article(kind)} conflicts with pending request #{other.id} "
                f"({KIND_LABELS[other.kind]} for {inv.label}, {since}): wait for its decision "
                "or ask a curator to reject it",
                field="kind",
            )


def revalidate(session: Session, req: ReleaseRequest, inv: Investigation, now: datetime) -> Any:
    publication = session.get(DataPublication, req.publication_id) if req.publication_id else None
    data = dict(req.payload or {})
    if req.kind is RequestKind.AMENDMENT:
        # Validate the stored fields again, without refusing what has meanwhile become equal.
        _known_fields(data, AMENDABLE_FIELDS)
        return publication
    validate(session, req.kind, inv, now, req.requested_date, data, publication, req.justification)
    return publication


# -- small helpers -----------------------------------------------------------------------------
def with_article(kind: RequestKind) -> str:
    label = KIND_LABELS[kind]
    return ("an " if label[0] in "aeiou" else "a ") + label


def iso_day(moment: datetime) -> str:
    return moment.date().isoformat()


def _state(state: LifecycleState, inv: Investigation) -> str:
    if state is LifecycleState.PUBLIC:
        return f"public since {iso_day(inv.release_date)}"
    if state is LifecycleState.WITHDRAWN and inv.withdrawn_at is not None:
        return f"withdrawn since {iso_day(inv.withdrawn_at)}"
    return state.value


def experiment_publication(
    session: Session, inv: Investigation, publication_id: int
) -> DataPublication:
    pub = session.get(DataPublication, publication_id)
    if pub is None:
        raise NotFoundError(f"publication {publication_id} does not exist", field="publication")
    if pub not in publications_of(session, inv):
        raise RequestError(
            f"publication {pub.doi} does not belong to experiment {inv.label}", field="publication"
        )
    return pub


def publications_of(session: Session, inv: Investigation) -> list[DataPublication]:
    """The experiment's DOI, its selections and the DOIs of its datasets."""
    datasets = select(Dataset.id).where(Dataset.investigation_id == inv.id)
    return list(
        session.scalars(
            select(DataPublication)
            .where(
                or_(
                    DataPublication.investigation_id == inv.id,
                    DataPublication.dataset_id.in_(datasets),
                )
            )
            .order_by(DataPublication.id)
        )
    )


def current_metadata(pub: DataPublication) -> dict[str, Any]:
    return {
        "title": pub.title,
        "abstract": pub.abstract,
        "keywords": pub.keywords,
        "creators": [{k: getattr(c, k) for k in CREATOR_FIELDS} for c in pub.creators],
    }
