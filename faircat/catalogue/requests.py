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

This module is the public API; the checks live in :mod:`faircat.catalogue.request_rules` and
the effects of an approval in :mod:`faircat.catalogue.request_effects`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue import access, audit
from faircat.catalogue.db import lock_row
from faircat.catalogue.models import (
    Dataset,
    Investigation,
    Notification,
    ReleaseRequest,
    User,
    UserRole,
)
from faircat.catalogue.request_effects import APPLY
from faircat.catalogue.request_rules import (
    KIND_LABELS,
    check_pending,
    experiment_publication,
    iso_day,
    validate,
    with_article,
)
from faircat.catalogue.vocab import MemberRole, RequestKind, RequestStatus, Role
from faircat.config import Settings
from faircat.errors import NotFoundError, PermissionDenied, RequestError, ValidationError

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
            f"{actor.username} may not request {with_article(kind)} for experiment "
            f"{inv.label}: {who}"
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
        raise RequestError(f"{with_article(kind)} request takes no date", field="requested_date")
    if data and kind not in (RequestKind.SELECTION_DOI, RequestKind.AMENDMENT):
        raise RequestError(f"{with_article(kind)} request takes no metadata", field="payload")
    if publication_id is not None and kind is not RequestKind.AMENDMENT:
        raise RequestError(
            f"{with_article(kind)} request takes no publication", field="publication"
        )
    if requested_date is not None and requested_date.tzinfo is None:
        raise ValidationError("the requested date must carry a timezone", field="requested_date")
    publication = experiment_publication(session, inv, publication_id) if publication_id else None
    if kind is RequestKind.AMENDMENT and publication is None:
        raise RequestError("an amendment needs the publication (DOI) to amend", field="publication")

    stored = validate(session, kind, inv, now, requested_date, data, publication, justification)
    if kind is RequestKind.EARLY_RELEASE and requested_date is not None and requested_date < now:
        raise RequestError(
            f"the requested date {iso_day(requested_date)} is in the past; leave it out to release "
            "the data as soon as a curator approves",
            field="requested_date",
        )
    # Serialise submissions for this experiment: two at once (a double click, two members)
    # would otherwise both see nothing pending and both be stored.
    lock_row(session, Investigation, inv.id)
    check_pending(session, kind, inv, publication)

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
            f"{actor.full_name} ({actor.username}) asks for {with_article(kind)} of experiment "
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
    # Two curators deciding at once are serialised: the second one then sees the first
    # decision and gets the "already decided" error.
    lock_row(session, ReleaseRequest, request_id)
    req = session.get(ReleaseRequest, request_id, populate_existing=True)
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
        changed_before, after = APPLY[req.kind](session, req, inv, now, settings)
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
            f"{curator.full_name} {outcome} your request #{req.id} for {with_article(req.kind)} of "
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


# -- small helpers -----------------------------------------------------------------------------
def _kind(kind: RequestKind | str) -> RequestKind:
    try:
        return RequestKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in RequestKind)
        raise ValidationError(
            f"unknown request kind {kind!r} (known: {known})", field="kind"
        ) from None


def _what(req: ReleaseRequest) -> str:
    if req.requested_date is not None:
        return f"Requested date: {iso_day(req.requested_date)}\n"
    if req.kind is RequestKind.EARLY_RELEASE:
        return "Requested date: as soon as approved\n"
    if req.payload and "title" in req.payload:
        return f"Title: {req.payload['title']}\n"
    return ""


def _outcome(req: ReleaseRequest, after: dict[str, Any]) -> str:
    if "release_date" in after:
        return (
            f"The release date is now {iso_day(datetime.fromisoformat(after['release_date']))}.\n"
        )
    if req.kind is RequestKind.SELECTION_DOI:
        return f"The DOI {after['publication']} will be registered shortly.\n"
    if req.kind is RequestKind.WITHDRAWAL:
        return "The experiment is withdrawn; its DOI keeps resolving to a tombstone page.\n"
    return "The changes are applied and will be sent to DataCite.\n"
