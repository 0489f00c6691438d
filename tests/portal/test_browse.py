"""Browsing experiments: curators see all, scientists their beamlines', members their own;
filters by beamline, state, year and text; the state filter is lifecycle.state_at in SQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from faircat.catalogue.access import principal_for
from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import Instrument, Investigation, User
from faircat.catalogue.models.facility import instrument_scientist
from faircat.catalogue.vocab import LifecycleState
from faircat.catalogue.workspace.experiments import (
    ExperimentQuery,
    list_experiments,
    state_clause,
)
from tests.catalogue import factories as f
from tests.catalogue.factories import NOW
from tests.portal.conftest import login, password_hash, text_of


def _labels(page: str) -> set[str]:
    return set(re.findall(r'href="/portal/experiments/([^"?]+)"', page))


def test_curators_browse_every_experiment(client, world):
    login(client, "cure")
    labels = _labels(client.get("/portal/experiments/").get_data(as_text=True))
    assert {world.embargoed, world.active, world.public, world.scheduled, world.other} <= labels


def test_members_browse_only_their_own(client, world):
    login(client, "pia")
    page = client.get("/portal/experiments/").get_data(as_text=True)
    assert world.other not in _labels(page)
    assert "Otto" not in page
    assert {world.embargoed, world.public} <= _labels(page)


def test_scientists_browse_their_beamlines_experiments(client, world, catalogue):
    with catalogue.transaction() as session:
        sci = f.user(session, "sci", full_name="Sara Scientist")
        sci.password_hash = password_hash()
        xaloc = session.scalar(select(Instrument.id))
        session.execute(instrument_scientist.insert().values(instrument_id=xaloc, user_id=sci.id))
    login(client, "sci")
    labels = _labels(client.get("/portal/experiments/").get_data(as_text=True))
    assert world.other in labels  # not a member, but it ran on her beamline
    assert client.get(f"/portal/experiments/{world.other}").status_code == 200


def test_filters(client, world):
    login(client, "cure")
    page = client.get("/portal/experiments/?state=embargoed").get_data(as_text=True)
    assert _labels(page) == {world.embargoed, world.other}
    page = client.get("/portal/experiments/?q=thaumatin").get_data(as_text=True)
    assert _labels(page) == {world.public}
    assert "0 experiments." in text_of(client.get("/portal/experiments/?beamline=NOPE"))
    year = NOW.year
    page = client.get(f"/portal/experiments/?year={year}").get_data(as_text=True)
    assert world.active in _labels(page)


@pytest.mark.parametrize("query", ["state=secret", "year=20x4", "year=1066", "after=zzz"])
def test_bad_filters_are_named(client, world, query):
    login(client, "cure")
    response = client.get(f"/portal/experiments/?{query}")
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)


def test_paging_walks_every_row_once(catalogue, world):
    with catalogue.transaction() as session:
        cure = session.scalar(select(User).where(User.username == "cure"))
        principal = principal_for(cure)
        seen, after = [], None
        while True:
            page = list_experiments(session, principal, NOW, ExperimentQuery(limit=2, after=after))
            seen += [r.label for r in page.rows]
            after = page.next
            if after is None:
                break
        assert len(seen) == len(set(seen)) == 5 == page.total


def test_state_clause_agrees_with_state_at(catalogue, world):
    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB1"))
        inv.withdrawn_at = NOW
    with catalogue.transaction() as session:
        rows = session.scalars(select(Investigation)).all()
        for state in LifecycleState:
            by_sql = set(
                session.scalars(
                    select(Investigation.proposal).where(state_clause(state, NOW))
                ).all()
            )
            by_python = {i.proposal for i in rows if state_at(dates_of(i), NOW) is state}
            assert by_sql == by_python, state
