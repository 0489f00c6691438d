"""Creating investigations (proposal + visit) and managing their members."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from faircat.catalogue import audit, identifiers
from faircat.catalogue.accounts import get_user
from faircat.catalogue.facility import get_facility, get_instrument
from faircat.catalogue.lifecycle import check_dates, default_release_date
from faircat.catalogue.models import Investigation, InvestigationMember, User
from faircat.catalogue.vocab import MemberRole
from faircat.errors import DuplicateError, NotFoundError, ValidationError


@dataclass(frozen=True)
class NewInvestigation:
    proposal: str
    visit: str
    title: str
    start: datetime
    end: datetime
    instruments: Sequence[str]
    summary: str | None = None
    type: str = "experiment"
    members: Sequence[tuple[str, MemberRole]] = field(default_factory=tuple)  # (username, role)


def find_investigation(session: Session, proposal: str, visit: str) -> Investigation | None:
    return session.scalar(
        select(Investigation).where(
            Investigation.proposal == proposal, Investigation.visit == visit
        )
    )


def get_investigation(session: Session, label: str) -> Investigation:
    """An investigation by ``PROPOSAL-VISIT``."""
    proposal, sep, visit = label.rpartition("-")
    found = find_investigation(session, proposal, visit) if sep else None
    if found is None:
        raise NotFoundError(f"investigation {label!r} does not exist", field="investigation")
    return found


def doi_twin(bind: Session | Connection, proposal: str, visit: str) -> str | None:
    """The label of another investigation that would derive the same experiment DOI: DOIs
    ignore case, and ``a-b``/``c`` and ``a``/``b-c`` both make ``a-b-c``. Its DOI is unique in
    the catalogue and at DataCite, so the second one could never be registered."""
    label = f"{proposal}-{visit}"
    found = bind.execute(
        select(Investigation.proposal, Investigation.visit)
        .where(func.lower(Investigation.proposal + "-" + Investigation.visit) == label.lower())
        .limit(1)
    ).first()
    return None if found is None else f"{found.proposal}-{found.visit}"


def create_investigation(
    session: Session, new: NewInvestigation, actor: User | None = None
) -> Investigation:
    """Validate everything first, then write: a bad member or instrument writes nothing."""
    proposal = identifiers.proposal(new.proposal)
    visit = identifiers.visit(new.visit)
    if not new.title.strip():
        raise ValidationError("title is empty", field="title")
    check_dates(new.start, new.end)
    if find_investigation(session, proposal, visit) is not None:
        raise DuplicateError(
            f"investigation {proposal}-{visit} already exists (proposal {proposal}, visit {visit})",
            field="visit",
        )
    twin = doi_twin(session, proposal, visit)
    if twin is not None:
        raise DuplicateError(
            f"investigation {proposal}-{visit} would have the DOI of investigation {twin} "
            "(DOIs ignore case): use another proposal code or visit id",
            field="visit",
        )
    if not new.instruments:
        raise ValidationError("an investigation needs at least one instrument", field="instruments")
    instruments = [get_instrument(session, name) for name in new.instruments]
    members = [(get_user(session, username), MemberRole(role)) for username, role in new.members]
    facility = get_facility(session)

    investigation = Investigation(
        facility=facility,
        proposal=proposal,
        visit=visit,
        title=new.title.strip(),
        summary=new.summary,
        type=new.type,
        start_date=new.start,
        end_date=new.end,
        release_date=default_release_date(new.end, facility.embargo_years),
        instruments=instruments,
    )
    session.add(investigation)
    seen: set[int] = set()
    for user, role in members:
        if user.id in seen:
            raise DuplicateError(f"{user.username} is listed twice as a member", field="members")
        seen.add(user.id)
        investigation.members.append(InvestigationMember(user=user, role=role))
    session.flush()
    audit.record(
        session,
        actor,
        "investigation.create",
        "investigation",
        investigation.id,
        after={
            "proposal": proposal,
            "visit": visit,
            "instruments": list(new.instruments),
            "release_date": investigation.release_date.isoformat(),
        },
    )
    return investigation


def add_member(
    session: Session,
    investigation: Investigation,
    user: User,
    role: MemberRole,
    actor: User | None = None,
) -> InvestigationMember:
    for member in investigation.members:
        if member.user_id == user.id:
            if member.role is role:
                return member
            before = member.role.value
            member.role = role
            audit.record(
                session,
                actor,
                "member.role",
                "investigation",
                investigation.id,
                before={"user": user.username, "role": before},
                after={"user": user.username, "role": role.value},
            )
            return member
    member = InvestigationMember(user=user, role=role)
    investigation.members.append(member)
    audit.record(
        session,
        actor,
        "member.add",
        "investigation",
        investigation.id,
        after={"user": user.username, "role": role.value},
    )
    return member
