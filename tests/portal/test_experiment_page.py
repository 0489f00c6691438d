"""The experiment page's data: a datasets table filtered, sorted and paged on the server,
samples, the retention date, the public landing page once released."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from faircat.catalogue.models import Dataset, Investigation, Sample
from faircat.catalogue.models.published import PublishedRecord
from faircat.catalogue.vocab import DatasetType
from faircat.catalogue.workspace import paging
from faircat.catalogue.workspace.datasets import DatasetQuery, list_datasets
from faircat.catalogue.workspace.naming import display_name
from faircat.errors import ValidationError
from tests.catalogue.factories import NOW
from tests.portal.conftest import login, text_of


@pytest.fixture
def scans(catalogue, world):
    """40 scans of two samples in the embargoed experiment, 5 of them processed."""
    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "EMB1"))
        lyso = Sample(investigation_id=inv.id, name="lysozyme", chemical_formula="C613H959")
        thau = Sample(investigation_id=inv.id, name="thaumatin")
        session.add_all([lyso, thau])
        session.flush()
        for n in range(40):
            session.add(
                Dataset(
                    investigation_id=inv.id,
                    name=f"scan_{n:04d}",
                    title=f"{'lysozyme' if n % 2 else 'thaumatin'} soak {n}",
                    type=DatasetType.PROCESSED if n % 8 == 0 else DatasetType.RAW,
                    sample_id=lyso.id if n % 2 else thau.id,
                    start_time=NOW - timedelta(days=50, minutes=-n),
                    size=1000 * (n % 7),
                    file_count=n % 3 + 1,
                )
            )
        return inv.id


def _names(page: str) -> list[str]:
    return re.findall(r'href="/portal/datasets/\d+">([^<]+)<', page)


def test_the_table_lists_display_names_with_sample_and_is_paged(client, world, scans):
    login(client, "pia")
    page = client.get(f"/portal/experiments/{world.embargoed}?limit=10").get_data(as_text=True)
    names = _names(page)
    assert len(names) == 10
    # the three old datasets first (no start time), then scans by start time
    assert "scan_0000 · thaumatin soak 0" in names
    assert "43 datasets." in text_of(client.get(f"/portal/experiments/{world.embargoed}"))
    seen = []
    url = f"/portal/experiments/{world.embargoed}?limit=10"
    for _ in range(10):
        page = client.get(url).get_data(as_text=True)
        seen += _names(page)
        nxt = re.search(r'href="\?([^"#]+)#datasets" rel="next"', page)
        if not nxt:
            break
        url = f"/portal/experiments/{world.embargoed}?{nxt.group(1).replace('&amp;', '&')}&limit=10"
    assert len(seen) == 43 and len(set(seen)) == 43


def test_filter_by_text_type_and_sample(client, world, scans, catalogue):
    login(client, "pia")
    base = f"/portal/experiments/{world.embargoed}"
    page = text_of(client.get(f"{base}?q=lysozyme"))
    assert "20 datasets match the filters." in page
    page = text_of(client.get(f"{base}?type=processed"))
    assert "5 datasets match the filters." in page
    with catalogue.transaction() as session:
        thau = session.scalar(select(Sample.id).where(Sample.name == "thaumatin"))
    page = client.get(f"{base}?sample={thau}&type=raw").get_data(as_text=True)
    assert all("thaumatin" in n for n in _names(page))
    assert "15 datasets match" in text_of(client.get(f"{base}?sample={thau}&type=raw"))


def test_sorting_by_size_descending(client, world, scans):
    login(client, "pia")
    page = client.get(f"/portal/experiments/{world.embargoed}?sort=-size&limit=5")
    assert page.status_code == 200
    assert 'aria-sort="descending"' in page.get_data(as_text=True)
    assert all("soak" in n for n in _names(page.get_data(as_text=True)))


@pytest.mark.parametrize(
    "query",
    [
        "sort=secret",
        "type=bogus",
        "limit=abc",
        "after=%%%",
        "sample=-1",
        "limit=0",
        "q=" + "x" * 300,
    ],
)
def test_bad_table_parameters_are_named_not_500(client, world, scans, query):
    login(client, "pia")
    response = client.get(f"/portal/experiments/{world.embargoed}?{query}")
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)


def test_samples_retention_and_landing_page(client, world, scans, catalogue):
    login(client, "pia")
    page = text_of(client.get(f"/portal/experiments/{world.embargoed}"))
    assert '#datasets">lysozyme</a>' in page and "C613H959 · 20 datasets" in page
    assert "Kept until" in page
    assert "Landing page" not in page  # no DOI yet
    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB1"))
        inv.doi = "10.80100/tls.pub1-1"
        session.add(
            PublishedRecord(
                pid="10.80100/tls.pub1-1",
                kind="experiment",
                status="open",
                investigation_id=inv.id,
                datestamp=NOW,
                content_hash="0" * 64,
                path="/doi/10.80100/tls.pub1-1/",
                title="Public thaumatin",
            )
        )
    page = client.get(f"/portal/experiments/{world.public}").get_data(as_text=True)
    assert '<a href="/doi/10.80100/tls.pub1-1/">Landing page</a>' in page


def test_keyset_tokens_are_checked():
    assert paging.decode(paging.encode("scan_1", 7), str) == ("scan_1", 7)
    moment = NOW
    assert paging.decode(paging.encode(moment, 3), type(moment)) == (moment, 3)
    for bad in ("", "!!", "W10", paging.encode("x", 1), "a" * 600):
        with pytest.raises(ValidationError):
            paging.decode(bad, int)


def test_list_datasets_agrees_with_a_plain_query(catalogue, world, scans):
    with catalogue.transaction() as session:
        everything = []
        after = None
        while True:
            page = list_datasets(
                session, scans, DatasetQuery(sort="size", descending=True, after=after, limit=7)
            )
            everything += [(r.size, r.id) for r in page.rows]
            after = page.next
            if after is None:
                break
        expected = sorted(
            ((d.size, d.id) for d in session.scalars(
                select(Dataset).where(Dataset.investigation_id == scans))),
            key=lambda t: (-t[0], -t[1]),
        )
        assert everything == expected


def test_display_name():
    assert display_name("scan_0042", "lysozyme: mx scan 42") == "scan_0042 · lysozyme: mx scan 42"
    assert display_name("scan_0042", None, "lysozyme") == "scan_0042 · lysozyme"
    assert display_name("scan_0042") == "scan_0042"
    assert display_name("x", "x") == "x"
    assert display_name("x", "t" * 300).endswith("…")


def test_a_big_experiment_links_to_the_selection_form_instead_of_inlining_it(
    client, world, catalogue
):
    from faircat.web.experiments import INLINE_SELECTION

    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "EMB1"))
        session.add_all(
            Dataset(investigation_id=inv.id, name=f"bulk_{n:04d}", type=DatasetType.RAW)
            for n in range(INLINE_SELECTION)
        )
    login(client, "pia")
    url = f"/portal/experiments/{world.embargoed}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="selection-doi-dataset_ids"' not in page
    assert '?form=selection-doi#ask">open the form to choose them</a>' in page
    full = client.get(url + "?form=selection-doi").get_data(as_text=True)
    assert full.count('name="selection-doi-dataset_ids"') == INLINE_SELECTION + 3
