"""The access policy: may this principal do this action on this object at this time?

One pure function, :func:`decide`, answers for a single object; :func:`readable_clause` is its
SQL twin for listings and must agree with it (tests check both on the same objects). Callers
resolve the principal and the target once (:func:`principal_for`, :func:`target_for`); the
policy itself never touches the database.

The rule that existing catalogues get wrong: public data is readable by *everyone*, members or
not. Membership and instrument responsibility only ever add rights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select, true

from faircat.catalogue.lifecycle import dates_of, public_clause, state_at
from faircat.catalogue.vocab import LifecycleState, MemberRole, Role
from faircat.errors import PermissionDenied


class Action(StrEnum):
    READ = "read"  # everything: datasets, files, parameters, logbook
    READ_METADATA = "read_metadata"  # title, creators, dates: the landing page of a DOI
    WRITE_LOGBOOK = "write_logbook"  # human annotations
    INGEST = "ingest"  # datasets, files and notifications from beamline software
    MANAGE_MEMBERS = "manage_members"
    REQUEST = "request"  # early release, extension, selection DOI, amendment
    DECIDE = "decide"  # approve or reject release requests
    AMEND = "amend"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Principal:
    """Who is asking. Anonymous callers, harvesters and the publisher are :data:`ANONYMOUS`."""

    user_id: int | None = None
    roles: frozenset[Role] = frozenset()
    scientist_of: frozenset[int] = frozenset()  # instrument ids
    token_instrument: int | None = None  # set when authenticated by an ingest token

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {Role.CURATOR, Role.ADMIN})


ANONYMOUS = Principal()


@dataclass(frozen=True)
class Target:
    """The object acted upon, reduced to what the policy needs.

    ``state`` is None for a beamline logbook (no investigation): it is never public.
    """

    state: LifecycleState | None
    instrument_ids: frozenset[int] = frozenset()
    members: Mapping[int, MemberRole] = field(default_factory=dict)
    doi_registered: bool = False


_MEMBER_ACTIONS = frozenset({Action.READ, Action.READ_METADATA, Action.WRITE_LOGBOOK})
_PI_ACTIONS = _MEMBER_ACTIONS | {Action.MANAGE_MEMBERS, Action.REQUEST}
_OPEN_ACTIONS = frozenset({Action.READ, Action.READ_METADATA})


def decide(principal: Principal, action: Action, target: Target) -> bool:
    if principal.token_instrument is not None:
        return _decide_bound_token(principal, action, target)
    if principal.is_staff:
        return True

    public = target.state is LifecycleState.PUBLIC
    if action in _OPEN_ACTIONS and public:
        return True
    if (
        action is Action.READ_METADATA
        and target.doi_registered
        and target.state in (LifecycleState.EMBARGOED, LifecycleState.PUBLIC)
    ):
        return True

    if principal.user_id is None:
        return False

    allowed: frozenset[Action] = frozenset()
    role = target.members.get(principal.user_id)
    if role is MemberRole.PI:
        allowed = _PI_ACTIONS
    elif role is not None:
        allowed = _MEMBER_ACTIONS
    if principal.scientist_of & target.instrument_ids:
        allowed = allowed | _MEMBER_ACTIONS

    if target.state is LifecycleState.WITHDRAWN:
        # Owners keep reading their data; nobody but staff changes a withdrawn record.
        allowed = allowed & _OPEN_ACTIONS
    return action in allowed


def _decide_bound_token(principal: Principal, action: Action, target: Target) -> bool:
    """A token bound to an instrument acts for beamline software or a script of that beamline:
    it ingests there (never into a withdrawn record: a late notification must not undo a
    withdrawal) and reads there what its account may read - and nothing of other instruments,
    whatever its account's roles. Public data stays public to it, as to everyone."""
    if action in _OPEN_ACTIONS and decide(ANONYMOUS, action, target):
        return True
    if principal.token_instrument not in target.instrument_ids:
        return False
    if action is Action.INGEST:
        return target.state is not LifecycleState.WITHDRAWN
    unbound = replace(principal, token_instrument=None)
    return action in _OPEN_ACTIONS and decide(unbound, action, target)


def require(principal: Principal, action: Action, target: Target, what: str) -> None:
    if not decide(principal, action, target):
        raise PermissionDenied(f"not allowed to {action.value.replace('_', ' ')} {what}")


def target_for(investigation: object, now: datetime, *, doi_registered: bool = False) -> Target:
    """The :class:`Target` of an Investigation row (loads its members and instruments)."""
    return Target(
        state=state_at(dates_of(investigation), now),
        instrument_ids=frozenset(i.id for i in investigation.instruments),  # type: ignore[attr-defined]
        members={m.user_id: m.role for m in investigation.members},  # type: ignore[attr-defined]
        doi_registered=doi_registered,
    )


def beamline_target(instrument_id: int) -> Target:
    return Target(state=None, instrument_ids=frozenset({instrument_id}))


def principal_for(user: object | None, *, token_instrument: int | None = None) -> Principal:
    """The :class:`Principal` of a User row (None gives :data:`ANONYMOUS`)."""
    if user is None:
        return ANONYMOUS
    return Principal(
        user_id=user.id,  # type: ignore[attr-defined]
        roles=frozenset(user.role_names),  # type: ignore[attr-defined]
        scientist_of=frozenset(_scientist_of(user)),
        token_instrument=token_instrument,
    )


def _scientist_of(user: object) -> set[int]:
    from sqlalchemy.orm import object_session

    from faircat.catalogue.models.facility import instrument_scientist

    session = object_session(user)
    if session is None:
        return set()
    rows = session.execute(
        select(instrument_scientist.c.instrument_id).where(
            instrument_scientist.c.user_id == user.id  # type: ignore[attr-defined]
        )
    )
    return {row[0] for row in rows}


def readable_clause(principal: Principal, now: datetime) -> ColumnElement[bool]:
    """SQL twin of ``decide(principal, Action.READ, investigation)`` for listings."""
    from faircat.catalogue.models import Investigation, InvestigationMember
    from faircat.catalogue.models.investigation import investigation_instrument

    if principal.token_instrument is not None:
        bound = Investigation.id.in_(
            select(investigation_instrument.c.investigation_id).where(
                investigation_instrument.c.instrument_id == principal.token_instrument
            )
        )
        unbound = replace(principal, token_instrument=None)
        return or_(public_clause(now), and_(bound, readable_clause(unbound, now)))
    if principal.is_staff:
        return true()
    clauses: list[ColumnElement[bool]] = [public_clause(now)]
    if principal.user_id is not None:
        clauses.append(
            Investigation.id.in_(
                select(InvestigationMember.investigation_id).where(
                    InvestigationMember.user_id == principal.user_id
                )
            )
        )
        if principal.scientist_of:
            clauses.append(
                Investigation.id.in_(
                    select(investigation_instrument.c.investigation_id).where(
                        investigation_instrument.c.instrument_id.in_(principal.scientist_of)
                    )
                )
            )
    return or_(*clauses)
