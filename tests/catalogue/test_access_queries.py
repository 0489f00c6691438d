"""The SQL listing filter agrees with the policy, object by object, on both backends."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from faircat.catalogue.access import (
    ANONYMOUS,
    Action,
    decide,
    principal_for,
    readable_clause,
    target_for,
)
from faircat.catalogue.facility import add_instrument
from faircat.catalogue.models import Instrument, Investigation, User
from faircat.catalogue.models.facility import instrument_scientist
from faircat.catalogue.vocab import MemberRole, Role
from tests.catalogue import factories as f
from tests.catalogue.factories import NOW


@pytest.fixture
def world(catalogue):
    """Investigations in every state on two beamlines, and people of every kind."""
    with catalogue.transaction() as session:
        xaloc = f.instrument(session, "XALOC", "mx")
        add_instrument(session, "MSPD", "MSPD beamline", ["powder"])
        users = {name: f.user(session, name) for name in ("alice", "bob", "carol", "sci")}
        f.user(session, "cur", Role.CURATOR)
        session.execute(
            instrument_scientist.insert().values(instrument_id=xaloc.id, user_id=users["sci"].id)
        )
        starts = {
            "scheduled": NOW + timedelta(days=10),
            "active": NOW - timedelta(days=1),
            "embargoed": NOW - timedelta(days=400),
            "public": NOW - timedelta(days=365 * 4),
        }
        for beamline in ("XALOC", "MSPD"):
            for state, start in starts.items():
                f.investigation(
                    session,
                    f"{beamline}-{state}",
                    start=start,
                    instrument_name=beamline,
                    members=(("alice", MemberRole.PI), ("bob", MemberRole.PARTICIPANT))
                    if beamline == "XALOC"
                    else (("carol", MemberRole.PI),),
                )
        withdrawn = f.investigation(
            session,
            "XALOC-withdrawn",
            start=NOW - timedelta(days=2000),
            members=(("alice", MemberRole.PI),),
        )
        withdrawn.withdrawn_at = NOW - timedelta(days=5)
    return catalogue


def visible(session, principal):
    return set(
        session.scalars(select(Investigation.proposal).where(readable_clause(principal, NOW)))
    )


@pytest.mark.parametrize("bound", [None, "XALOC", "MSPD"])
@pytest.mark.parametrize("who", [None, "alice", "bob", "carol", "sci", "cur"])
def test_sql_filter_agrees_with_the_policy(world, who, bound):
    with world.transaction() as session:
        account = session.scalar(select(User).where(User.username == who)) if who else None
        instrument = (
            session.scalar(select(Instrument.id).where(Instrument.name == bound)) if bound else None
        )
        principal = principal_for(account, token_instrument=instrument)
        expected = {
            inv.proposal
            for inv in session.scalars(select(Investigation))
            if decide(principal, Action.READ, target_for(inv, NOW))
        }
        assert visible(session, principal) == expected


def test_anonymous_sees_only_public(world):
    with world.transaction() as session:
        assert visible(session, ANONYMOUS) == {"XALOC-public", "MSPD-public"}


def test_member_sees_own_restricted_and_all_public_but_nothing_restricted_elsewhere(world):
    with world.transaction() as session:
        carol = principal_for(session.scalar(select(User).where(User.username == "carol")))
        seen = visible(session, carol)
    assert seen == {
        "MSPD-scheduled",
        "MSPD-active",
        "MSPD-embargoed",
        "MSPD-public",
        "XALOC-public",
    }


def test_instrument_scientist_sees_their_beamline(world):
    with world.transaction() as session:
        sci = principal_for(session.scalar(select(User).where(User.username == "sci")))
        assert sci.scientist_of
        seen = visible(session, sci)
    assert {p for p in seen if p.startswith("XALOC")} == {
        "XALOC-scheduled",
        "XALOC-active",
        "XALOC-embargoed",
        "XALOC-public",
        "XALOC-withdrawn",
    }
    assert {p for p in seen if p.startswith("MSPD")} == {"MSPD-public"}
