"""The search page: open to anonymous visitors, a GET form without script, facets with counts,
links to datasets (and to experiments for their team), bad input as a message."""

from __future__ import annotations

import re

import pytest

from tests.portal.conftest import login, text_of


def test_anonymous_visitors_search_public_data(client, world):
    response = client.get("/portal/search", query_string={"q": "lysozyme"})
    assert response.status_code == 200
    text = text_of(response)
    assert "1 dataset." in text
    page = response.get_data(as_text=True)
    assert f'href="/portal/datasets/{world.ids["scan_0001"]}"' in page
    assert "scan_0001 · <mark>lysozyme</mark> native" in page
    # public data found by an outsider: the dataset, not the team's experiment page
    assert "/portal/experiments/" not in page


def test_the_team_gets_a_link_to_its_experiment(client, world):
    login(client, "pia")
    page = client.get("/portal/search", query_string={"q": "lysozyme"}).get_data(as_text=True)
    assert "/portal/experiments/PUB1-1" in page and "/portal/experiments/EMB1-1" in page


def test_facets_are_checkboxes_with_counts(client, world):
    page = client.get("/portal/search", query_string={"beamline": "XALOC"}).get_data(as_text=True)
    count = ' <span class="search-facet__count">{}</span>'
    assert 'name="beamline" value="XALOC" checked> <span>XALOC</span>' + count.format(3) in page
    assert 'name="beamline" value="NOTOS"> <span>NOTOS</span>' + count.format(1) in page
    mx = "<span>macromolecular crystallography</span>"
    assert f'name="technique" value="mx"> {mx}' + count.format(3) in page


def test_the_page_has_no_inline_script_or_style(client, world):
    page = client.get("/portal/search", query_string={"q": "scan"}).get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    assert not re.search(r"\son[a-z]+=", page)


def test_next_page_links_carry_the_search(client, world):
    page = client.get(
        "/portal/search", query_string={"q": "scan", "limit": "1", "beamline": "XALOC"}
    )
    html = page.get_data(as_text=True)
    link = re.search(r'rel="next" href="\?([^"]+)"', html)
    assert link, html
    following = client.get("/portal/search?" + link.group(1).replace("&amp;", "&"))
    assert following.status_code == 200
    assert "First page" in following.get_data(as_text=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"param": "wavelength", "min": "1", "unit": "wombats"}, "Unknown unit 'wombats'"),
        ({"param": "wavelength", "min": "2", "max": "1"}, "The minimum 2 is above the maximum 1"),
        ({"from": "2024-13-01"}, "From date '2024-13-01' is not a date such as 2024-05-31"),
        ({"param": "wavelength", "min": "0.9.1"}, "Min '0.9.1' is not a number"),
        ({"beamline": "BL99"}, "Unknown beamline 'BL99' (known: NOTOS, XALOC)"),
        ({"technique": "cooking"}, "Unknown technique 'cooking'"),
        ({"type": "cooked"}, "Unknown dataset type 'cooked'"),
        ({"sort": "size"}, "Cannot sort by 'size'"),
        ({"after": "garbage"}, "The 'after' token is not one this server made"),
        ({"min": "1"}, "A range needs the parameter's name"),
    ],
)
def test_bad_input_is_a_message_naming_the_problem(client, world, args, message):
    response = client.get("/portal/search", query_string=args)
    assert response.status_code == 400
    assert message in text_of(response)
    # the form is still there, with what was typed
    assert 'name="q"' in response.get_data(as_text=True)
