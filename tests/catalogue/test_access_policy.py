"""The access policy as a full truth table: principal x lifecycle state x action.

The expected table is written out here independently of the implementation.
"""

from __future__ import annotations

import itertools

import pytest

from faircat.catalogue.access import (
    ANONYMOUS,
    Action,
    Principal,
    Target,
    beamline_target,
    decide,
)
from faircat.catalogue.vocab import LifecycleState as S
from faircat.catalogue.vocab import MemberRole, Role

A = Action
XALOC, MSPD = 10, 11
PI, MEMBER, NON_MEMBER, SCIENTIST, OTHER_SCIENTIST = 1, 2, 3, 4, 5

PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "non_member": Principal(NON_MEMBER, frozenset({Role.USER})),
    "member": Principal(MEMBER, frozenset({Role.USER})),
    "pi": Principal(PI, frozenset({Role.USER})),
    "scientist": Principal(SCIENTIST, frozenset({Role.USER}), frozenset({XALOC})),
    "other_scientist": Principal(OTHER_SCIENTIST, frozenset({Role.USER}), frozenset({MSPD})),
    "token": Principal(90, frozenset({Role.SERVICE}), token_instrument=XALOC),
    "other_token": Principal(91, frozenset({Role.SERVICE}), token_instrument=MSPD),
    # API tokens of people, bound to an instrument: they reach only that instrument's data
    "member_token": Principal(MEMBER, frozenset({Role.USER}), token_instrument=XALOC),
    "member_other_token": Principal(MEMBER, frozenset({Role.USER}), token_instrument=MSPD),
    "curator_token": Principal(98, frozenset({Role.CURATOR}), token_instrument=XALOC),
    "curator_other_token": Principal(98, frozenset({Role.CURATOR}), token_instrument=MSPD),
    "curator": Principal(98, frozenset({Role.CURATOR})),
    "admin": Principal(99, frozenset({Role.ADMIN})),
}

OPEN = {A.READ, A.READ_METADATA}
MEMBER_RIGHTS = {A.READ, A.READ_METADATA, A.WRITE_LOGBOOK}
PI_RIGHTS = MEMBER_RIGHTS | {A.MANAGE_MEMBERS, A.REQUEST}
RESTRICTED = (S.SCHEDULED, S.ACTIVE, S.EMBARGOED)


def expected(who: str, state: S, doi_registered: bool) -> set[Action]:
    if who in ("curator", "admin"):
        return set(Action)
    everyone = set(OPEN) if state is S.PUBLIC else set()
    if doi_registered and state is S.EMBARGOED:
        everyone.add(A.READ_METADATA)
    if who in ("member", "scientist"):
        return everyone | (OPEN if state is S.WITHDRAWN else MEMBER_RIGHTS)
    if who == "pi":
        return everyone | (OPEN if state is S.WITHDRAWN else PI_RIGHTS)
    ingest = set() if state is S.WITHDRAWN else {A.INGEST}
    if who == "token":
        return everyone | ingest
    if who in ("member_token", "curator_token"):
        return everyone | OPEN | ingest  # read what the account reads, here only
    return everyone  # anonymous, non_member, other_scientist, the other instrument's tokens


CASES = list(itertools.product(PRINCIPALS, list(S), [False, True]))


@pytest.mark.parametrize(("who", "state", "doi_registered"), CASES)
def test_truth_table(who: str, state: S, doi_registered: bool) -> None:
    target = Target(
        state=state,
        instrument_ids=frozenset({XALOC}),
        members={PI: MemberRole.PI, MEMBER: MemberRole.PARTICIPANT},
        doi_registered=doi_registered,
    )
    allowed = {a for a in Action if decide(PRINCIPALS[who], a, target)}
    assert allowed == expected(who, state, doi_registered)


def test_logged_in_non_member_sees_public_data():
    target = Target(state=S.PUBLIC, instrument_ids=frozenset({XALOC}), members={PI: MemberRole.PI})
    assert decide(PRINCIPALS["non_member"], A.READ, target)


@pytest.mark.parametrize("state", RESTRICTED)
def test_member_of_one_experiment_sees_nothing_restricted_of_another(state: S):
    other = Target(state=state, instrument_ids=frozenset({MSPD}), members={7: MemberRole.PI})
    for action in Action:
        assert not decide(PRINCIPALS["member"], action, other)
        assert not decide(PRINCIPALS["pi"], action, other)


def test_local_contact_is_a_member():
    target = Target(state=S.EMBARGOED, members={SCIENTIST: MemberRole.LOCAL_CONTACT})
    assert decide(PRINCIPALS["scientist"], A.READ, target)
    assert not decide(PRINCIPALS["scientist"], A.REQUEST, target)


def test_beamline_logbook_is_for_its_scientists_and_its_token_only():
    logbook = beamline_target(XALOC)
    assert decide(PRINCIPALS["scientist"], A.READ, logbook)
    assert decide(PRINCIPALS["scientist"], A.WRITE_LOGBOOK, logbook)
    assert decide(PRINCIPALS["token"], A.INGEST, logbook)
    assert decide(PRINCIPALS["curator"], A.READ, logbook)
    for who in ("anonymous", "non_member", "member", "pi", "other_scientist", "other_token",
                "member_other_token", "curator_other_token"):
        assert not any(decide(PRINCIPALS[who], a, logbook) for a in Action), who
