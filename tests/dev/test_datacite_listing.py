"""``GET /dois`` listings (what a reconcile job walks) and the ``data`` file across restarts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from faircat.dev.datacite.registry import Registry, Repository
from faircat.dev.datacite.store import Refused
from faircat.dev.datacite.testing import DataCiteHandle, running_datacite
from tests.dev import json_metadata

URL = "https://data.alba.example/doi/"


@pytest.fixture(scope="module")
def populated() -> Iterator[DataCiteHandle]:
    """10.5072/ds.0 to ds.6 (ds.1, ds.4 drafts; ds.2 registered; the rest findable) and one
    draft under a second prefix of the same repository, 10.80100/other.1."""
    with running_datacite(prefix="10.5072,10.80100") as handle:
        client = handle.client()
        for n in range(7):
            doi = f"10.5072/ds.{n}"
            if n in (1, 4):
                client.draft_doi(doi=doi)
            elif n == 2:
                client.private_doi(json_metadata(), URL + doi, doi=doi)
            else:
                client.public_doi(json_metadata(), URL + doi, doi=doi)
        handle.client(prefix="10.80100").draft_doi(doi="10.80100/other.1")
        yield handle


def get(handle: DataCiteHandle, url: str, *, auth: bool = True) -> dict:
    credentials = (handle.username, handle.password) if auth else None
    response = requests.get(url, auth=credentials, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def test_cursor_pages_walk_every_doi_once_in_creation_order(populated):
    url = populated.url + "dois?prefix=10.5072&page[size]=3&page[cursor]=1"
    seen, pages = [], 0
    while url:
        page = get(populated, url)
        assert page["meta"]["total"] == 7
        seen += [item["id"] for item in page["data"]]
        url = page["links"].get("next")
        pages += 1
    assert seen == [f"10.5072/ds.{n}" for n in range(7)]
    assert pages == 3


def test_cursor_pages_are_stable_while_dois_change():
    with running_datacite() as handle:
        client = handle.client()
        for n in range(4):
            client.draft_doi(doi=f"10.5072/c.{n}")
        first = get(handle, handle.url + "dois?page[size]=2&page[cursor]=")
        client.update_url("10.5072/c.0", URL + "moved")  # an update does not reorder
        client.draft_doi(doi="10.5072/c.9")  # a new DOI comes last
        rest = get(handle, first["links"]["next"])
        rest2 = get(handle, rest["links"]["next"])
    ids = [i["id"] for i in first["data"] + rest["data"] + rest2["data"]]
    assert ids == ["10.5072/c.0", "10.5072/c.1", "10.5072/c.2", "10.5072/c.3", "10.5072/c.9"]


def test_numbered_pages(populated):
    page = get(populated, populated.url + "dois?prefix=10.5072&page[size]=3&page[number]=2")
    assert page["meta"] == {"total": 7, "totalPages": 3, "page": 2}
    assert len(page["data"]) == 3
    assert "page%5Bnumber%5D=3" in page["links"]["next"]
    last = get(populated, page["links"]["next"])
    assert len(last["data"]) == 1
    assert "next" not in last["links"]
    everything = get(populated, populated.url + "dois?page[size]=100&sort=name")
    assert [i["id"] for i in everything["data"]][:2] == ["10.5072/ds.0", "10.5072/ds.1"]
    assert everything["meta"]["total"] == 8
    by_update = get(populated, populated.url + "dois?page[size]=100")  # DataCite: -updated
    assert by_update["data"][0]["id"] == "10.80100/other.1"


def test_filters_by_prefix_and_state(populated):
    drafts = get(populated, populated.url + "dois?state=draft&page[size]=100")
    assert sorted(i["id"] for i in drafts["data"]) == [
        "10.5072/ds.1",
        "10.5072/ds.4",
        "10.80100/other.1",
    ]
    other = get(populated, populated.url + "dois?prefix=10.80100")
    assert [i["id"] for i in other["data"]] == ["10.80100/other.1"]
    both = get(populated, populated.url + "dois?state=registered,findable&page[size]=100")
    assert both["meta"]["total"] == 5
    client = get(populated, populated.url + "dois?client-id=faircat.test&page[size]=1")
    assert client["meta"]["total"] == 8


def test_anonymous_listings_show_findable_dois_only(populated):
    page = get(populated, populated.url + "dois?page[size]=100", auth=False)
    assert {i["attributes"]["state"] for i in page["data"]} == {"findable"}
    assert page["meta"]["total"] == 4


def test_listings_leave_out_xml_unless_detail(populated):
    item = get(populated, populated.url + "dois?prefix=10.5072&page[size]=1&sort=name")["data"][0]
    assert "xml" not in item["attributes"]
    assert item["attributes"]["url"] == URL + "10.5072/ds.0"
    assert item["relationships"]["client"]["data"] == {"id": "faircat.test", "type": "clients"}
    url = populated.url + "dois?prefix=10.5072&page[size]=1&sort=name&detail=true"
    assert get(populated, url)["data"][0]["attributes"]["xml"]


def test_bad_page_parameters_answer_400(populated):
    for query in ("page[size]=many", "page[cursor]=%25%25"):
        response = requests.get(populated.url + "dois?" + query, timeout=5)
        assert response.status_code == 400, query


def test_the_data_file_keeps_the_registry_across_restarts(tmp_path):
    data = tmp_path / "registry" / "datacite.json"
    with running_datacite(data=data) as first:
        client = first.client()
        client.draft_doi(doi="10.5072/keep.1")
        client.public_doi(json_metadata(), URL + "keep.2", doi="10.5072/keep.2")
        before = {r.doi: r for r in first.dois()}
    assert json.loads(data.read_text())["version"] == 1
    with running_datacite(data=data) as second:
        after = {r.doi: r for r in second.dois()}
        assert after == before
        client = second.client()
        assert client.get_doi("10.5072/keep.2") == URL + "keep.2"
        with pytest.raises(Exception, match="already been taken"):
            client.draft_doi(doi="10.5072/keep.1")
        client.delete_doi("10.5072/keep.1")
    with running_datacite(data=data) as third:
        assert [r.doi for r in third.dois()] == ["10.5072/keep.2"]
        third.reset()
    assert json.loads(data.read_text())["dois"] == []


def test_a_foreign_data_file_is_refused(tmp_path):
    data = tmp_path / "datacite.json"
    data.write_text('{"something": "else"}')
    with pytest.raises(ValueError, match="not a faircat dev DataCite data file"):
        Registry(Repository("X", "y", ("10.5072",)), data)


def test_the_registry_uses_its_clock():
    moments = iter(datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=n) for n in range(10))
    registry = Registry(Repository("X.Y", "pw", ("10.5072",)), clock=lambda: next(moments))
    record = registry.create({"doi": "10.5072/a"})
    assert record.created == datetime(2025, 1, 1, tzinfo=UTC)
    assert record.client_id == "x.y"
    record, created = registry.put("10.5072/a", {"url": "https://x.example/"})
    assert not created and record.updated == datetime(2025, 1, 1, 0, 0, 1, tzinfo=UTC)
    with pytest.raises(Refused) as info:
        registry.put("not-a-doi", {})
    assert info.value.status == 404
