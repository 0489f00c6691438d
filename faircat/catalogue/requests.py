"""Release requests: asked for by a PI, decided by a curator, applied in the deciding transaction.

    submit (PI or curator) -> pending --decide--> approved (effect applied) | rejected (comment)

What an approval does, per kind:

- ``early_release``: the release date moves to the requested date, never before the decision;
- ``extension``: the release date moves later, never past the retention period;
- ``selection_doi``: a new selection DataPublication (creators, datasets) whose DOI is queued;
- ``amendment``: changed metadata of a publication (and of its experiment) and a queued update;
- ``withdrawal``: the experiment becomes a tombstone; its DOIs stay registered, never deleted.

Every function works in the caller's session and never commits, so a decision, its effect, its
audit row, its DOI task and its notifications commit together or not at all. Notifications are
rows (the portal lists them); :mod:`faircat.mail` e-mails them after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from faircat.catalogue import access, audit, outbox
from faircat.catalogue.facility import get_facility
from faircat.catalogue.lifecycle import check_extension, dates_of, state_at
from faircat.catalogue.models import (
    DataPublication,
    Dataset,
    Investigation,
    Notification,
    PublicationCreator,
    ReleaseRequest,
    User,
    UserRole,
)
from faircat.catalogue.models.publication import publication_dataset
from faircat.catalogue.orcid import normalise_orcid
from faircat.catalogue.public import experiment_doi
from faircat.catalogue.vocab import (
    DoiState,
    LifecycleState,
    MemberRole,
    PublicationKind,
    RequestKind,
    RequestStatus,
    Role,
)
from faircat.config import Settings
from faircat.errors import NotFoundError, PermissionDenied, RequestError, ValidationError

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
_CREATOR_ROLES = (MemberRole.PI, MemberRole.CO_PROPOSER, MemberRole.PARTICIPANT)


def request_link(request_id: int) -> str:
    """Portal path of a request (notifications link to it; e-mail prefixes the base URL)."""
    return f"/portal/requests/{request_id}"


# -- who may do what ---------------------------------------------------------------------------
def can_submit(actor: User, investigation: Investigation, now: datetime) -> bool:
    target = access.target_for(investigation, now)
    return access.decide(access.principal_for(actor), access.Action.REQUEST, target)


def can_decide(curator: User, investigation: Investigation, now: datetime) -> bool:
    target = access.target_for(investigation, now)
    return access.decide(access.principal_for(curator), access.Action.DECIDE, target)


# -- submitting --------------------------------------------------------------------------------
def submit(
    session: Session,
    *,
    actor: User,
    investigation: Investigation,
    kind: RequestKind | str,
    justification: str,
    now: datetime,
    requested_date: datetime | None = None,
    payload: Mapping[str, Any] | None = None,
    publication_id: int | None = None,
) -> ReleaseRequest:
    """Record a pending request and tell the curators; raise before writing anything if invalid.

    ``payload``: for ``selection_doi`` see :func:`selection_defaults`; for ``amendment`` the
    changed fields (``title``, ``abstract``, ``keywords``, ``creators``) of the publication
    ``publication_id`` (also accepted as ``payload["publication_id"]``).
    """
    kind = _kind(kind)
    inv = investigation
    if not can_submit(actor, inv, now):
        who = "only its principal investigator or a curator may"
        if inv.withdrawn_at is not None and inv.withdrawn_at <= now:
            who = "it is withdrawn, only a curator may"
        raise PermissionDenied(
            f"{actor.username} may not request {_a(kind)} for experiment {inv.label}: {who}"
        )
    data = dict(payload or {})
    if "publication_id" in data:
        given = data.pop("publication_id")
        publication_id = publication_id if publication_id is not None else given
    if publication_id is not None:
        try:
            publication_id = int(publication_id)
        except (TypeError, ValueError):
            raise RequestError(
                "the publication id must be an integer", field="publication"
            ) from None
    justification = (justification or "").strip()
    dated = (RequestKind.EARLY_RELEASE, RequestKind.EXTENSION)
    if requested_date is not None and kind not in dated:
        raise RequestError(f"{_a(kind)} request takes no date", field="requested_date")
    if data and kind not in (RequestKind.SELECTION_DOI, RequestKind.AMENDMENT):
        raise RequestError(f"{_a(kind)} request takes no metadata", field="payload")
    if publication_id is not None and kind is not RequestKind.AMENDMENT:
        raise RequestError(f"{_a(kind)} request takes no publication", field="publication")
    if requested_date is not None and requested_date.tzinfo is None:
        raise ValidationError("the requested date must carry a timezone", field="requested_date")
    publication = _publication(session, inv, publication_id) if publication_id else None
    if kind is RequestKind.AMENDMENT and publication is None:
        raise RequestError("an amendment needs the publication (DOI) to amend", field="publication")

    stored = _validate(session, kind, inv, now, requested_date, data, publication, justification)
    if kind is RequestKind.EARLY_RELEASE and requested_date is not None and requested_date < now:
        raise RequestError(
            f"the requested date {_day(requested_date)} is in the past; leave it out to release "
            "the data as soon as a curator approves",
            field="requested_date",
        )
    _check_pending(session, kind, inv, publication)

    req = ReleaseRequest(
        kind=kind,
        investigation_id=inv.id,
        publication_id=publication.id if publication else None,
        requester_id=actor.id,
        requester=actor,
        justification=justification,
        requested_date=requested_date,
        payload=stored,
        created_at=now,
    )
    session.add(req)
    session.flush()
    audit.record(
        session, actor, "request.submit", "release_request", req.id, after=describe(req, inv)
    )
    curators = session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.CURATOR, User.active.is_(True), User.id != actor.id)
        .order_by(User.id)
    )
    notify(
        session,
        curators,
        subject=f"Request #{req.id}: {KIND_LABELS[kind]} for {inv.label}",
        body=(
            f"{actor.full_name} ({actor.username}) asks for {_a(kind)} of experiment "
            f"{inv.label}, \u201c{inv.title}\u201d.\n\n"
            + _what(req)
            + f"Justification: {justification or '(none given)'}\n\nPlease approve or reject it."
        ),
        request=req,
        now=now,
    )
    return req


def selection_defaults(session: Session, investigation: Investigation) -> dict[str, Any]:
    """A selection payload pre-filled from the experiment, for the requester to edit.

    Creators are the members (PI first, then co-proposers, then participants; local contacts
    are contributors, not creators) with names, ORCID and affiliation; every dataset is listed.
    """
    order = {role: i for i, role in enumerate(_CREATOR_ROLES)}
    members = sorted(
        (m for m in investigation.members if m.role in order),
        key=lambda m: (order[m.role], m.id),
    )
    dataset_ids = session.scalars(
        select(Dataset.id).where(Dataset.investigation_id == investigation.id).order_by(Dataset.id)
    )
    return {
        "title": investigation.title,
        "abstract": investigation.summary or "",
        "creators": [
            {
                "full_name": m.user.full_name,
                "given_name": m.user.given_name,
                "family_name": m.user.family_name,
                "orcid": m.user.orcid,
                "affiliation": m.user.affiliation,
                "affiliation_ror": m.user.affiliation_ror,
                "user_id": m.user.id,
            }
            for m in members
        ],
        "dataset_ids": list(dataset_ids),
    }


# -- deciding ----------------------------------------------------------------------------------
def decide(
    session: Session,
    *,
    curator: User,
    request_id: int,
    approve: bool,
    comment: str | None,
    now: datetime,
    settings: Settings,
) -> ReleaseRequest:
    """Approve (applying the effect) or reject (with a comment) a pending request."""
    # Row lock on PostgreSQL: two curators deciding at once are serialised, the second one
    # then sees the first decision and gets the "already decided" error.
    req = session.get(ReleaseRequest, request_id, with_for_update=True, populate_existing=True)
    if req is None:
        raise NotFoundError(f"request #{request_id} does not exist", field="request")
    inv = session.get_one(Investigation, req.investigation_id)
    if not can_decide(curator, inv, now):
        raise PermissionDenied(
            f"{curator.username} may not decide release requests: only curators and admins may"
        )
    if req.status is not RequestStatus.PENDING:
        by = req.curator.username if req.curator else "someone"
        when = req.decided_at.strftime("%Y-%m-%d %H:%M UTC") if req.decided_at else "?"
        raise RequestError(f"request #{req.id} was already {req.status.value} by {by} on {when}")
    comment = (comment or "").strip() or None
    if not approve and comment is None:
        raise RequestError(
            f"rejecting request #{req.id} needs a comment telling the requester why",
            field="comment",
        )
    before: dict[str, Any] = {"status": req.status.value}
    after: dict[str, Any] = {}
    if approve:
        changed_before, after = _APPLY[req.kind](session, req, inv, now, settings)
        before.update(changed_before)
    req.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    req.curator_id, req.curator, req.decided_at, req.comment = curator.id, curator, now, comment
    after = {"status": req.status.value, **after}
    verb = "approve" if approve else "reject"
    audit.record(
        session, curator, f"request.{verb}", "release_request", req.id,
        before=before, after=after, comment=comment,
    )  # fmt: skip
    outcome = "approved" if approve else "rejected"
    notify(
        session,
        [req.requester],
        subject=f"Request #{req.id} {outcome}: {KIND_LABELS[req.kind]} for {inv.label}",
        body=(
            f"{curator.full_name} {outcome} your request #{req.id} for {_a(req.kind)} of "
            f"experiment {inv.label}, \u201c{inv.title}\u201d.\n\n"
            + (_outcome(req, after) if approve else "")
            + (f"Comment: {comment}\n" if comment else "")
        ),
        request=req,
        now=now,
    )
    return req


# -- listings and notifications ----------------------------------------------------------------
def get_request(session: Session, request_id: int) -> ReleaseRequest:
    req = session.get(ReleaseRequest, request_id)
    if req is None:
        raise NotFoundError(f"request #{request_id} does not exist", field="request")
    return req


def queue(
    session: Session, status: RequestStatus | str | None = RequestStatus.PENDING
) -> list[ReleaseRequest]:
    """Requests with ``status`` (None: all), oldest first: the curators' work queue."""
    query = select(ReleaseRequest).order_by(ReleaseRequest.created_at, ReleaseRequest.id)
    if status is not None:
        query = query.where(ReleaseRequest.status == RequestStatus(status))
    return list(session.scalars(query))


def requests_for(session: Session, investigation: Investigation) -> list[ReleaseRequest]:
    """Every request of one experiment, newest first."""
    return list(
        session.scalars(
            select(ReleaseRequest)
            .where(ReleaseRequest.investigation_id == investigation.id)
            .order_by(ReleaseRequest.created_at.desc(), ReleaseRequest.id.desc())
        )
    )


def notify(
    session: Session,
    users: Iterable[User],
    *,
    subject: str,
    body: str,
    now: datetime,
    request: ReleaseRequest | None = None,
    link: str | None = None,
) -> list[Notification]:
    """One Notification row per user: shown in the portal, e-mailed by :mod:`faircat.mail`."""
    if request is not None and link is None:
        link = request_link(request.id)
    rows = [
        Notification(
            user_id=u.id,
            subject=subject[:255],
            body=body,
            link=link,
            request_id=request.id if request is not None else None,
            created_at=now,
        )
        for u in users
    ]
    session.add_all(rows)
    return rows


def notifications_for(
    session: Session, user: User, *, unread_only: bool = False, limit: int = 100
) -> list[Notification]:
    """A user's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    order = (Notification.created_at.desc(), Notification.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def mark_read(session: Session, user: User, notification_ids: Iterable[int], now: datetime) -> int:
    """Mark the user's own notifications read; returns how many changed."""
    rows = session.scalars(
        select(Notification).where(
            Notification.user_id == user.id,
            Notification.id.in_(list(notification_ids)),
            Notification.read_at.is_(None),
        )
    ).all()
    for row in rows:
        row.read_at = now
    return len(rows)


def describe(req: ReleaseRequest, investigation: Investigation) -> dict[str, Any]:
    """The request as plain JSON-able values (audit rows, ``faircat request show``)."""
    return {
        "kind": req.kind.value,
        "investigation": investigation.label,
        "publication_id": req.publication_id,
        "requested_date": req.requested_date.isoformat() if req.requested_date else None,
        "justification": req.justification,
        "payload": req.payload,
    }


# -- validation (at submission, and again at approval: the experiment may have moved on) -------
def _validate(
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
                f"the requested date {_day(requested)} is not before the current release date "
                f"{_day(inv.release_date)} of {inv.label}",
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
                f"the new release date {_day(requested)} is not after the current release date "
                f"{_day(inv.release_date)} of {inv.label}",
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
    current = _current(publication)
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


def _check_pending(
    session: Session, kind: RequestKind, inv: Investigation, publication: DataPublication | None
) -> None:
    pending = session.scalars(
        select(ReleaseRequest).where(
            ReleaseRequest.investigation_id == inv.id,
            ReleaseRequest.status == RequestStatus.PENDING,
        )
    )
    for other in pending:
        since = f"submitted by {other.requester.username} on {_day(other.created_at)}"
        if other.kind is kind and other.publication_id == (publication.id if publication else None):
            raise RequestError(
                f"request #{other.id} ({KIND_LABELS[kind]} for {inv.label}, {since}) is already "
                "pending: wait for its decision",
                field="kind",
            )
        if other.kind in _CONFLICTS[kind]:
            raise RequestError(
                f"{_a(kind)} conflicts with pending request #{other.id} "
                f"({KIND_LABELS[other.kind]} for {inv.label}, {since}): wait for its decision "
                "or ask a curator to reject it",
                field="kind",
            )


# -- effects of an approval: each returns (before, after) of what it changed -------------------
Change = tuple[dict[str, Any], dict[str, Any]]


def _revalidate(session: Session, req: ReleaseRequest, inv: Investigation, now: datetime) -> Any:
    publication = session.get(DataPublication, req.publication_id) if req.publication_id else None
    data = dict(req.payload or {})
    if req.kind is RequestKind.AMENDMENT:
        # Validate the stored fields again, without refusing what has meanwhile become equal.
        _known_fields(data, AMENDABLE_FIELDS)
        return publication
    _validate(session, req.kind, inv, now, req.requested_date, data, publication, req.justification)
    return publication


def _move_release(
    session: Session, req: ReleaseRequest, inv: Investigation, now: datetime, _s: Settings
) -> Change:
    _revalidate(session, req, inv, now)
    old = inv.release_date
    if req.kind is RequestKind.EARLY_RELEASE:
        # Never backdated: "public since" must be when the data really became readable.
        inv.release_date = max(req.requested_date or now, now)
    else:
        assert req.requested_date is not None
        inv.release_date = req.requested_date
    public_now = inv.release_date <= now
    dois = []
    for pub in _publications_of(session, inv):
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
    _revalidate(session, req, inv, now)
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
    pub = _revalidate(session, req, inv, now)
    assert pub is not None
    data = req.payload or {}
    current = _current(pub)
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
    if pub.doi_target_state is not DoiState.NONE:
        outbox.enqueue(session, pub, "amend", now)
    return before, {**data, "publication": pub.doi}


def _withdraw(
    session: Session, req: ReleaseRequest, inv: Investigation, now: datetime, _s: Settings
) -> Change:
    _revalidate(session, req, inv, now)
    inv.withdrawn_at = now
    before: dict[str, Any] = {"withdrawn_at": None}
    after: dict[str, Any] = {"withdrawn_at": now.isoformat()}
    for pub in _publications_of(session, inv):
        pub.withdrawn_at = now
        if pub.doi_target_state is DoiState.NONE and pub.doi_state is DoiState.NONE:
            continue  # the registry never heard of it
        before[pub.doi] = pub.doi_target_state.value
        # Hidden from search, still resolving to the tombstone: a DOI is never deleted.
        pub.doi_target_state = DoiState.REGISTERED
        after[pub.doi] = pub.doi_target_state.value
        outbox.enqueue(session, pub, "withdraw", now)
    return before, after


_APPLY = {
    RequestKind.EARLY_RELEASE: _move_release,
    RequestKind.EXTENSION: _move_release,
    RequestKind.SELECTION_DOI: _create_selection,
    RequestKind.AMENDMENT: _amend,
    RequestKind.WITHDRAWAL: _withdraw,
}


# -- small helpers -----------------------------------------------------------------------------
def _kind(kind: RequestKind | str) -> RequestKind:
    try:
        return RequestKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in RequestKind)
        raise ValidationError(
            f"unknown request kind {kind!r} (known: {known})", field="kind"
        ) from None


def _a(kind: RequestKind) -> str:
    label = KIND_LABELS[kind]
    return ("an " if label[0] in "aeiou" else "a ") + label


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _state(state: LifecycleState, inv: Investigation) -> str:
    if state is LifecycleState.PUBLIC:
        return f"public since {_day(inv.release_date)}"
    if state is LifecycleState.WITHDRAWN and inv.withdrawn_at is not None:
        return f"withdrawn since {_day(inv.withdrawn_at)}"
    return state.value


def _what(req: ReleaseRequest) -> str:
    if req.requested_date is not None:
        return f"Requested date: {_day(req.requested_date)}\n"
    if req.kind is RequestKind.EARLY_RELEASE:
        return "Requested date: as soon as approved\n"
    if req.payload and "title" in req.payload:
        return f"Title: {req.payload['title']}\n"
    return ""


def _outcome(req: ReleaseRequest, after: dict[str, Any]) -> str:
    if "release_date" in after:
        return f"The release date is now {_day(datetime.fromisoformat(after['release_date']))}.\n"
    if req.kind is RequestKind.SELECTION_DOI:
        return f"The DOI {after['publication']} will be registered shortly.\n"
    if req.kind is RequestKind.WITHDRAWAL:
        return "The experiment is withdrawn; its DOI keeps resolving to a tombstone page.\n"
    return "The changes are applied and will be sent to DataCite.\n"


def _publication(session: Session, inv: Investigation, publication_id: int) -> DataPublication:
    pub = session.get(DataPublication, publication_id)
    if pub is None:
        raise NotFoundError(f"publication {publication_id} does not exist", field="publication")
    if pub not in _publications_of(session, inv):
        raise RequestError(
            f"publication {pub.doi} does not belong to experiment {inv.label}", field="publication"
        )
    return pub


def _publications_of(session: Session, inv: Investigation) -> list[DataPublication]:
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


def _current(pub: DataPublication) -> dict[str, Any]:
    return {
        "title": pub.title,
        "abstract": pub.abstract,
        "keywords": pub.keywords,
        "creators": [{k: getattr(c, k) for k in CREATOR_FIELDS} for c in pub.creators],
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
