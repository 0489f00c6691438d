"""Fault injection: 5xx answers, timeouts, lost answers, and the /_dev/ controls."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from datacite.errors import DataCiteServerError, HttpError

from faircat.dev.datacite.faults import FaultInjector, FaultPlan
from faircat.dev.datacite.testing import DataCiteHandle, running_datacite
from tests.dev import json_metadata

URL = "https://data.alba.example/doi/10.5072/ds.1/"


@pytest.fixture(scope="module")
def server() -> Iterator[DataCiteHandle]:
    with running_datacite(seed=7) as handle:
        yield handle


@pytest.fixture
def datacite(server: DataCiteHandle) -> DataCiteHandle:
    server.reset()
    return server


def heartbeat(handle: DataCiteHandle, timeout: float = 5) -> int:
    return requests.get(handle.url + "heartbeat", timeout=timeout).status_code


@pytest.mark.parametrize("status", [500, 502, 503])
def test_the_next_n_requests_fail(datacite, status):
    client = datacite.client()
    datacite.faults(status, count=2)
    for _ in range(2):
        with pytest.raises(DataCiteServerError) as info:
            client.draft_doi(doi="10.5072/f.1")
        assert f'"status": "{status}"' in str(info.value)
    assert client.draft_doi(doi="10.5072/f.1") == "10.5072/f.1"  # the third goes through
    assert [(r["status"], r["fault"]) for r in datacite.requests()] == [
        (status, True),
        (status, True),
        (201, False),
    ]
    assert datacite.fault_state()["plan"] is None  # used up


def test_down_until_cleared(datacite):
    datacite.faults()  # no status, no delay: 503 for everything
    assert heartbeat(datacite) == 503
    assert heartbeat(datacite) == 503
    datacite.clear_faults()
    assert heartbeat(datacite) == 200


def test_a_fraction_of_requests_fail():
    with running_datacite(seed=1) as handle:
        handle.faults(500, rate=0.5)
        statuses = [heartbeat(handle) for _ in range(40)]
    failed = statuses.count(500)
    assert 5 < failed < 35
    assert set(statuses) == {200, 500}


def test_only_the_chosen_methods(datacite):
    client = datacite.client()
    client.draft_doi(doi="10.5072/m.1")
    datacite.faults(503, methods=["put", "POST"])
    assert client.get_metadata("10.5072/m.1")["state"] == "draft"
    with pytest.raises(DataCiteServerError):
        client.update_url("10.5072/m.1", URL)


def test_a_delay_makes_the_client_time_out():
    # Own server: the delayed request finishes after the test, it must not leak into others.
    with running_datacite() as datacite:
        client = datacite.client(timeout=0.2)
        datacite.faults(delay=0.6, count=1)
        started = time.monotonic()
        with pytest.raises(HttpError) as info:  # the client wraps requests' exceptions
            client.draft_doi(doi="10.5072/slow.1")
        assert time.monotonic() - started < 0.5
        assert isinstance(info.value.args[0], requests.exceptions.Timeout)
        assert datacite.get("10.5072/slow.1") is None  # a "before" delay: not served yet
        assert client.draft_doi(doi="10.5072/slow.2")  # the next request is not delayed


def test_a_lost_answer_leaves_the_change_made(datacite):
    """The case a retrying client must handle: its POST failed but the DOI exists."""
    client = datacite.client()
    datacite.faults(502, after=True, count=1)
    with pytest.raises(DataCiteServerError):
        client.public_doi(json_metadata(), URL, doi="10.5072/lost.1")
    assert datacite.get("10.5072/lost.1").state == "findable"
    with pytest.raises(DataCiteServerError) as info:  # a blind retry now hits 422
        client.public_doi(json_metadata(), URL, doi="10.5072/lost.1")
    assert "This DOI has already been taken" in str(info.value)


def test_a_lost_answer_by_timeout():
    with running_datacite() as datacite:
        client = datacite.client(timeout=0.2)
        datacite.faults(delay=0.5, after=True, count=1)
        with pytest.raises(HttpError):
            client.draft_doi(doi="10.5072/lost.2")
        assert datacite.get("10.5072/lost.2") is not None


def test_faults_from_the_start():
    with running_datacite(fail_rate=1.0, fail_status=502) as handle:
        assert heartbeat(handle) == 502
        with pytest.raises(DataCiteServerError):
            handle.client().draft_doi(doi="10.5072/s.1")
    with running_datacite(delay=0.3) as handle, pytest.raises(requests.exceptions.Timeout):
        heartbeat(handle, timeout=0.1)


def test_shutdown_does_not_wait_for_delays():
    started = time.monotonic()
    with running_datacite() as handle:
        handle.faults(delay=30)
        with pytest.raises(requests.exceptions.Timeout):
            heartbeat(handle, timeout=0.1)
    assert time.monotonic() - started < 3


def test_dev_endpoints_switch_faults_at_run_time(datacite):
    base = datacite.url + "_dev/"
    answer = requests.post(base + "faults", json={"status": 503, "count": 1}, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["plan"]["status"] == 503
    assert requests.get(base + "faults", timeout=5).json()["remaining"] == 1
    assert heartbeat(datacite) == 503
    assert heartbeat(datacite) == 200
    requests.post(base + "faults", json={"down": True}, timeout=5)
    assert requests.get(base + "dois", timeout=5).status_code == 200  # /_dev/ never fails
    assert requests.delete(base + "faults", timeout=5).json()["plan"] is None
    assert heartbeat(datacite) == 200
    for bad in ({"status": 200}, {"rate": 2}, {"bogus": 1}, {"count": 0}, {"methods": "PUT"}):
        response = requests.post(base + "faults", json=bad, timeout=5)
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["title"]
    assert requests.post(base + "faults", data="[", timeout=5).status_code == 400


def test_dev_endpoints_dump_and_reset(datacite):
    client = datacite.client()
    client.public_doi(json_metadata(), URL, doi="10.5072/dump.1")
    base = datacite.url + "_dev/"
    (record,) = requests.get(base + "dois", timeout=5).json()["data"]
    assert (record["doi"], record["state"], record["url"]) == ("10.5072/dump.1", "findable", URL)
    assert record["xml"] and record["events"][0]["event"] == "publish"
    one = requests.get(base + "dois/10.5072/dump.1", timeout=5).json()["data"]
    assert one == record
    assert requests.get(base + "dois/10.5072/nope", timeout=5).status_code == 404
    log = requests.get(base + "requests", timeout=5).json()["data"]
    assert [(r["method"], r["path"]) for r in log] == [("POST", "/dois")]
    assert requests.post(base + "reset", timeout=5).status_code == 204
    assert datacite.dois() == [] and datacite.requests() == []


def test_plans_are_checked():
    with pytest.raises(ValueError, match="status"):
        FaultPlan(status=302)
    with pytest.raises(ValueError, match="a status, a delay or both"):
        FaultPlan(status=None)
    assert FaultPlan.build().status == 503
    assert FaultPlan.build(delay=1).status is None
    assert FaultPlan.build(delay=1, down=True).status == 503


def test_the_injector_counts_and_filters():
    injector = FaultInjector(FaultPlan(status=500, count=2, methods=frozenset({"POST"})))
    assert injector.draw("GET") is None
    assert injector.draw("post").status == 500
    assert injector.draw("POST").status == 500
    assert injector.draw("POST") is None
    injector.set(FaultPlan(status=None, delay=0.5))
    fault = injector.draw("GET")
    assert (fault.status, fault.delay) == (None, 0.5)
