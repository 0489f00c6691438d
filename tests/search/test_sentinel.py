"""A planted sentinel: Otto's embargoed experiment carries one word in its title, dataset name
and title, sample, formula, file name, a parameter's name and a parameter's value. Nobody who
may not read the experiment finds it, counts it or sees the word anywhere on the page; Otto and
curators find it."""

from __future__ import annotations

import re

import pytest

from tests.portal.conftest import login
from tests.search.helpers import counts, names, run
from tests.search.world import SENTINEL

PROBES = [
    {"q": SENTINEL},
    {"q": SENTINEL[:4]},  # a prefix
    {"q": "SEC1"},  # the proposal
    {"q": "Otto"},  # a member
    {"q": "zqxsentinelo2"},  # the formula
    {"q": f"{SENTINEL}_file.h5"},
    {"param": f"{SENTINEL}_gauge", "min": "40", "max": "50", "unit": "mm"},
    {"param": "gauge", "min": "40", "max": "50"},
    {"param": "wavelength", "min": "0.94", "max": "0.96", "unit": "angstrom"},
    {"beamline": "XALOC", "technique": "mx"},
    {},
]


@pytest.mark.parametrize("who", [None, "nina", "pia"])
@pytest.mark.parametrize("probe", PROBES)
def test_outsiders_find_and_count_nothing_of_it(catalogue, world, who, probe):
    result = run(catalogue, who, **probe)
    assert f"{SENTINEL}_scan" not in names(result)
    visible = {"pia": 1}.get(who or "", 0)  # Pia's own embargoed dataset, nothing of Otto's
    expected = {
        "beamline": {"XALOC": 3 + visible, "NOTOS": 1},
        "technique": {"mx": 3 + visible, "xas": 1},
    }
    if not probe:
        assert result.total == 4 + visible
        assert counts(result, "beamline") == expected["beamline"]
        assert counts(result, "technique") == expected["technique"]
    for facet in ("beamline", "technique", "type"):
        assert sum(counts(result, facet).values()) <= 4 + visible
    assert SENTINEL not in repr(result.hits).lower()


@pytest.mark.parametrize("who", ["otto", "cure"])
def test_the_team_and_curators_find_it_everywhere(catalogue, world, who):
    for probe in PROBES[:8]:
        assert f"{SENTINEL}_scan" in names(run(catalogue, who, **probe)), probe
    everything = run(catalogue, who)
    assert counts(everything, "beamline")["XALOC"] == (4 if who == "otto" else 5)


def _page_without_echo(text: str) -> str:
    """The page less what the visitor typed: the form (and the sign-in link, to come back to
    this search) give their own words back to them."""
    return re.sub(r'value="[^"]*"|href="/portal/login\?next=[^"]*"', "", text)


@pytest.mark.parametrize("who", [None, "nina"])
@pytest.mark.parametrize("probe", PROBES)
def test_the_word_is_nowhere_on_an_outsiders_page(app, who, probe):
    client = app.test_client()
    if who:
        login(client, who)
    response = client.get("/portal/search", query_string=probe)
    assert response.status_code == 200
    page = _page_without_echo(response.get_data(as_text=True)).lower()
    assert SENTINEL not in page
    assert "sec1" not in page and "otto" not in page


def test_the_team_sees_it_on_the_page(app):
    client = app.test_client()
    login(client, "otto")
    page = client.get("/portal/search", query_string={"q": SENTINEL}).get_data(as_text=True)
    assert f"<mark>{SENTINEL}</mark>_scan" in page
    assert "/portal/experiments/SEC1-1" in page


@pytest.mark.parametrize(("bound_to", "finds"), [("NOTOS", False), ("XALOC", True)])
def test_a_token_bound_to_another_beamline_finds_nothing_of_it(catalogue, world, bound_to, finds):
    from dataclasses import replace

    from sqlalchemy import select

    from faircat.catalogue.access import principal_for
    from faircat.catalogue.models import Instrument, User
    from faircat.catalogue.search.executor import search
    from faircat.catalogue.search.query import parse
    from tests.catalogue.factories import NOW

    with catalogue.transaction() as session:
        otto = principal_for(session.scalar(select(User).where(User.username == "otto")))
        instrument = session.scalar(select(Instrument.id).where(Instrument.name == bound_to))
        token = replace(otto, token_instrument=instrument)
        for probe in PROBES:
            args = {k: [v] for k, v in probe.items()}
            result = search(session.connection(), token, parse(args), NOW)
            if finds and probe in PROBES[:8]:
                assert f"{SENTINEL}_scan" in names(result), probe
            if not finds:
                assert f"{SENTINEL}_scan" not in names(result), probe
                assert SENTINEL not in repr((result.hits, result.facets)).lower(), probe
