"""The DataCite contract, through the real ``datacite.DataCiteRESTClient`` over real HTTP.

Which client exception answers which status (datacite 1.4.1, ``DataCiteError.factory``):
400 DataCiteBadRequestError, 401 DataCiteUnauthorizedError, 403 DataCiteForbiddenError,
404 DataCiteNotFoundError, 410 DataCiteGoneError, 412 DataCitePreconditionError, and everything
else, including 422, 405 and a PUT's 201, DataCiteServerError; connection errors and timeouts
are datacite.errors.HttpError.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from datacite.errors import (
    DataCiteBadRequestError,
    DataCiteForbiddenError,
    DataCiteNotFoundError,
    DataCiteServerError,
    DataCiteUnauthorizedError,
)

from faircat.dev.datacite.testing import DataCiteHandle, running_datacite
from tests.dev import json_metadata, xml_attribute, xml_record

URL = "https://data.alba.example/doi/10.5072/ds.1/"


@pytest.fixture(scope="module")
def server() -> Iterator[DataCiteHandle]:
    with running_datacite() as handle:
        yield handle


@pytest.fixture
def datacite(server: DataCiteHandle) -> DataCiteHandle:
    server.reset()
    return server


def errors_of(exc: pytest.ExceptionInfo) -> list[dict]:
    """The JSON:API errors a client exception carries (its only argument is the body)."""
    return json.loads(exc.value.args[0])["errors"]


def test_heartbeat(datacite):
    response = requests.get(datacite.url + "heartbeat", timeout=5)
    assert (response.status_code, response.text) == (200, "OK")


def test_draft_register_publish_hide_show_and_never_back_to_draft(datacite):
    client = datacite.client()
    assert client.draft_doi(doi="10.5072/ds.1") == "10.5072/ds.1"
    assert client.get_metadata("10.5072/ds.1")["state"] == "draft"

    attributes = client.put_doi(
        "10.5072/ds.1", {"attributes": {**json_metadata(), "url": URL, "event": "register"}}
    )
    assert attributes["state"] == "registered"
    assert client.show_doi("10.5072/ds.1")["state"] == "findable"
    assert client.hide_doi("10.5072/ds.1")["state"] == "registered"
    assert client.show_doi("10.5072/ds.1")["state"] == "findable"

    with pytest.raises(DataCiteServerError) as info:  # 422 arrives as a "server" error
        client.put_doi("10.5072/ds.1", {"attributes": {"state": "draft"}})
    assert errors_of(info)[0]["source"] == "state"
    assert datacite.get("10.5072/ds.1").state == "findable"
    history = [(e["event"], e["to"]) for e in datacite.get("10.5072/ds.1").events]
    assert history == [
        (None, "draft"),
        ("register", "registered"),
        ("publish", "findable"),
        ("hide", "registered"),
        ("publish", "findable"),
    ]


def test_public_and_private_dois_with_json_metadata(datacite):
    client = datacite.client()
    metadata = json_metadata()
    assert client.public_doi(copy.deepcopy(metadata), URL, doi="10.5072/pub.1") == "10.5072/pub.1"
    assert client.private_doi(copy.deepcopy(metadata), URL, doi="10.5072/priv.1")
    assert datacite.get("10.5072/pub.1").state == "findable"
    assert datacite.get("10.5072/priv.1").state == "registered"
    assert client.get_doi("10.5072/pub.1") == URL
    attributes = client.get_metadata("10.5072/pub.1")
    assert attributes["titles"] == [{"title": "Scan 1"}]
    assert attributes["publisher"] == "ALBA Synchrotron"  # a string unless publisher=true
    assert attributes["publicationYear"] == 2024
    assert attributes["isActive"] is True
    xml = base64.b64decode(attributes["xml"])  # written from the JSON, as DataCite does
    assert b"<title>Scan 1</title>" in xml


def test_the_client_mutates_the_metadata_it_is_given(datacite):
    metadata = json_metadata()
    datacite.client().public_doi(metadata, URL, doi="10.5072/pub.2")
    assert metadata["event"] == "publish" and metadata["url"] == URL  # hence the copies


def test_draft_without_doi_gets_a_random_suffix(datacite):
    doi = datacite.client().draft_doi()
    prefix, suffix = doi.split("/")
    assert prefix == "10.5072"
    assert len(suffix) == 9 and suffix[4] == "-"


def test_update_url_update_doi_and_check_doi(datacite):
    client = datacite.client()
    client.public_doi(json_metadata(), URL, doi="10.5072/ds.2")
    assert client.update_url("10.5072/ds.2", "https://moved.example/ds/2") == (
        "https://moved.example/ds/2"
    )
    assert client.get_doi("10.5072/ds.2") == "https://moved.example/ds/2"
    attributes = client.update_doi("10.5072/ds.2", {"titles": [{"title": "Renamed"}]})
    assert attributes["titles"] == [{"title": "Renamed"}]
    assert datacite.get("10.5072/ds.2").metadata["creators"][0]["name"] == "García, Anna"
    assert client.check_doi("ds.2") == "10.5072/ds.2"
    with pytest.raises(ValueError):  # the client refuses other prefixes before any request
        client.check_doi("10.9999/ds.2")


def test_xml_metadata_is_kept_as_sent(datacite):
    client = datacite.client()
    xml = xml_record("10.5072/xml.1")
    metadata = {"xml": xml_attribute(xml)}
    client.public_doi(metadata, URL, doi="10.5072/xml.1")
    assert datacite.get("10.5072/xml.1").xml == xml
    attributes = client.get_metadata("10.5072/xml.1")
    assert base64.b64decode(attributes["xml"]) == xml
    assert attributes["titles"] == [{"title": "Lysozyme crystal, collection 1"}]


def test_the_crosswalk_output_registers(datacite):
    # The product's own payloads, not only hand-written ones.
    from faircat.crosswalks import datacite as crosswalk
    from faircat.crosswalks import registry
    from tests.crosswalks import cases

    record = cases.full()
    body = crosswalk.rest_body(record, event="publish")
    response = requests.post(
        datacite.url + "dois",
        json=copy.deepcopy(body),
        auth=(datacite.username, datacite.password),
        timeout=5,
    )
    assert response.status_code == 201, response.text
    xml = registry.render_core(record)["datacite.xml"]
    datacite.client().private_doi({"xml": xml_attribute(xml)}, URL, doi="10.5072/xw.xml")
    assert datacite.get("10.5072/xw.xml").state == "registered"


def test_invalid_xml_is_refused_with_the_reason_in_the_exception(datacite):
    client = datacite.client()
    metadata = {"xml": xml_attribute(xml_record("10.5072/bad.1", title=None))}
    with pytest.raises(DataCiteServerError) as info:
        client.public_doi(metadata, URL, doi="10.5072/bad.1")
    message = str(info.value)
    assert "Titles are missing" in message
    assert "Missing child element(s)" in message
    assert {e["source"] for e in errors_of(info)} == {"titles", "xml"}
    assert datacite.get("10.5072/bad.1") is None  # nothing was stored


def test_a_draft_holds_incomplete_metadata_until_it_is_registered(datacite):
    client = datacite.client()
    client.draft_doi({"xml": xml_attribute(xml_record("10.5072/d.1", title=None))}, "10.5072/d.1")
    with pytest.raises(DataCiteServerError):
        client.put_doi("10.5072/d.1", {"attributes": {"url": URL, "event": "register"}})
    assert datacite.get("10.5072/d.1").state == "draft"
    with pytest.raises(DataCiteServerError) as info:
        client.put_doi("10.5072/d.1", {"attributes": {**json_metadata(), "event": "publish"}})
    assert errors_of(info) == [{"source": "url", "uid": "10.5072/d.1", "title": "Can't be blank"}]
    client.put_doi(
        "10.5072/d.1",
        {
            "attributes": {
                "xml": xml_attribute(xml_record("10.5072/d.1")),
                "url": URL,
                "event": "publish",
            }
        },
    )
    assert datacite.get("10.5072/d.1").state == "findable"


def test_delete_drafts_only(datacite):
    client = datacite.client()
    client.draft_doi(doi="10.5072/del.1")
    client.delete_doi("10.5072/del.1")
    with pytest.raises(DataCiteNotFoundError):
        client.get_metadata("10.5072/del.1")
    client.private_doi(json_metadata(), URL, doi="10.5072/del.2")
    with pytest.raises(DataCiteServerError) as info:  # 405
        client.delete_doi("10.5072/del.2")
    assert errors_of(info) == [{"status": "405", "title": "Method not allowed"}]
    assert datacite.get("10.5072/del.2").state == "registered"
    with pytest.raises(DataCiteNotFoundError):
        client.delete_doi("10.5072/never")


def test_bad_credentials_answer_401(datacite):
    datacite.client().public_doi(json_metadata(), URL, doi="10.5072/auth.1")
    wrong = datacite.client(password="wrong")
    with pytest.raises(DataCiteUnauthorizedError) as info:
        wrong.get_metadata("10.5072/auth.1")  # even for a findable DOI
    assert errors_of(info) == [{"status": "401", "title": "Bad credentials."}]
    with pytest.raises(DataCiteUnauthorizedError):
        wrong.draft_doi(doi="10.5072/auth.2")
    with pytest.raises(DataCiteUnauthorizedError):
        datacite.client(username="OTHER.REPO").draft_doi(doi="10.5072/auth.2")
    assert datacite.get("10.5072/auth.2") is None


def test_anonymous_requests_read_findable_dois_only(datacite):
    client = datacite.client()
    client.public_doi(json_metadata(), URL, doi="10.5072/anon.1")
    client.draft_doi(doi="10.5072/anon.2")
    assert requests.get(datacite.url + "dois/10.5072/anon.1", timeout=5).status_code == 200
    response = requests.get(datacite.url + "dois/10.5072/anon.2", timeout=5)
    assert response.status_code == 404
    body = {"data": {"type": "dois", "attributes": {"doi": "10.5072/anon.3"}}}
    response = requests.post(datacite.url + "dois", json=body, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"status": "401", "title": "Bad credentials."}]}


def test_unknown_dois_answer_404(datacite):
    client = datacite.client()
    with pytest.raises(DataCiteNotFoundError) as info:
        client.get_doi("10.5072/unknown")
    assert errors_of(info)[0]["title"] == "The resource you are looking for doesn't exist."
    with pytest.raises(DataCiteNotFoundError):
        client.get_metadata("10.5072/unknown")


def test_dois_outside_the_prefix_are_forbidden(datacite):
    # DataCite answers 403 (the repository may not create DOIs under a prefix it does not hold);
    # the client checks its own prefix first, so use one configured with the foreign prefix.
    foreign = datacite.client(prefix="10.9999")
    with pytest.raises(DataCiteForbiddenError) as info:
        foreign.draft_doi(doi="10.9999/ds.1")
    assert errors_of(info) == [
        {"status": "403", "title": "You are not authorized to access this resource."}
    ]
    with pytest.raises(DataCiteForbiddenError):
        foreign.put_doi("10.9999/ds.1", {"attributes": {"url": URL}})
    assert datacite.dois() == []


def test_a_taken_doi_answers_422(datacite):
    client = datacite.client()
    client.draft_doi(doi="10.5072/taken.1")
    with pytest.raises(DataCiteServerError) as info:
        client.draft_doi(doi="10.5072/TAKEN.1")  # DOIs are case-insensitive
    assert errors_of(info) == [
        {"source": "doi", "uid": "10.5072/taken.1", "title": "This DOI has already been taken"}
    ]


def test_put_creates_an_absent_doi_but_the_client_only_accepts_200(datacite):
    client = datacite.client()
    with pytest.raises(DataCiteServerError) as info:  # 201 Created is "an error" to the client
        client.update_doi("10.5072/put.1", {**json_metadata()}, url=URL)
    assert json.loads(info.value.args[0])["data"]["id"] == "10.5072/put.1"
    assert datacite.get("10.5072/put.1").state == "draft"  # created nonetheless
    assert client.update_url("10.5072/put.1", URL + "v2") == URL + "v2"  # now it exists: 200


def test_bad_bodies_answer_400(datacite):
    client = datacite.client()
    for body in ("not json", json.dumps({"attributes": {}})):
        response = requests.post(
            datacite.url + "dois",
            data=body,
            auth=(datacite.username, datacite.password),
            headers={"content-type": "application/vnd.api+json"},
            timeout=5,
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["status"] == "400"
    with pytest.raises(DataCiteBadRequestError):
        client.post_doi(None)  # {"data": null}


def test_unknown_events_and_bad_urls_answer_422(datacite):
    client = datacite.client()
    with pytest.raises(DataCiteServerError) as info:
        client.post_doi({"attributes": {"doi": "10.5072/ev.1", "event": "publsh"}})
    assert errors_of(info)[0]["source"] == "event"
    with pytest.raises(DataCiteServerError) as info:
        client.draft_doi({"url": "ftp//nope"}, doi="10.5072/ev.2")
    assert errors_of(info)[0]["title"] == "URL is not valid"


def test_dois_are_case_insensitive(datacite):
    client = datacite.client()
    client.public_doi(json_metadata(), URL, doi="10.5072/Mixed.Case")
    assert client.get_doi("10.5072/MIXED.CASE") == URL
    assert client.get_metadata("10.5072/mixed.case")["doi"] == "10.5072/mixed.case"


def test_concurrent_requests_neither_lose_nor_duplicate_dois(datacite):
    def work(worker: int) -> list[str]:
        client = datacite.client()
        created = []
        for n in range(8):
            doi = f"10.5072/w{worker}.{n}"
            if n % 2:
                client.public_doi(json_metadata(), URL, doi=doi)
            else:
                client.draft_doi(doi=doi)
            created.append(doi)
        try:
            client.draft_doi(doi="10.5072/contended")
            created.append("10.5072/contended")
        except DataCiteServerError:  # taken by another worker
            pass
        return created

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [doi for dois in pool.map(work, range(6)) for doi in dois]
    assert results.count("10.5072/contended") == 1
    assert sorted(results) == sorted(r.doi for r in datacite.dois())
    assert len(results) == 6 * 8 + 1
