"""Who reads which dataset, file, preview, HDF5 slice, zip and file list: the access truth table
over every data endpoint, and a sentinel planted in everything restricted that must never reach
a caller who may not read it (bodies and headers, error messages and zip manifests included)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.portal.conftest import login, logout
from tests.portal.dataworld import SENTINEL, STATES, DataWorld, data_client, dataworld

__all__ = ["data_client", "dataworld"]

# caller -> may it read restricted (active, embargoed) data of the XALOC experiments?
CALLERS = {
    "anonymous": False,
    "otto": False,  # signed in, member of nothing
    "pia": True,  # principal investigator
    "sci": True,  # scientist of the experiments' instrument
    "cure": True,  # curator
    "token:bound": True,  # pia's token bound to XALOC
    "token:other": False,  # pia's token bound to BL13
    "token:curator_other": False,  # a curator's token bound to BL13
    "token:unbound": False,  # otto's token
}
SESSION = {"otto", "pia", "sci", "cure"}


def _endpoints(world: DataWorld, state: str) -> dict[str, tuple[str, dict[str, str]]]:
    e = world.experiments[state]
    scan = world.file_id(state, "scan_0001.nxs")
    curve = world.file_id(state, "curve.h5")
    h5 = f"/data/files/{scan}/h5"
    return {
        "page": (f"/portal/datasets/{e.raw}", {}),
        "processed page": (f"/portal/datasets/{e.processed}", {}),
        "preview": (f"/data/datasets/{e.raw}/preview/1.png", {}),
        "line preview": (f"/data/datasets/{e.processed}/preview/0.png", {}),
        "h5 meta": (f"{h5}/meta?path=/entry", {}),
        "h5 attr": (f"{h5}/attr?path=/entry", {}),
        "h5 data json": (f"{h5}/data?path=/entry/data/data&selection=0,0:4,0:4", {}),
        "h5 data bin": (f"{h5}/data?path=/entry/data/data&selection=0&format=bin", {}),
        "h5 stats": (f"{h5}/stats?path=/entry/data/data&selection=0", {}),
        "h5 paths": (f"{h5}/paths?path=/", {}),
        "h5 error": (f"{h5}/data?path=/no/such/path", {}),
        "h5 curve": (f"/data/files/{curve}/h5/attr?path=/entry", {}),
        "download": (f"/data/files/{scan}", {}),
        "named download": (f"/data/files/{scan}/scan_0001.nxs", {}),
        "range": (f"/data/files/{scan}", {"Range": "bytes=0-7"}),
        "zip": (f"/data/datasets/{e.raw}/files.zip", {}),
        "list": (f"/data/datasets/{e.raw}/files.txt", {}),
        "experiment zip": (f"/data/experiments/{e.label}/files.zip", {}),
        "experiment list": (f"/data/experiments/{e.label}/files.txt", {}),
    }


SUCCESS = {"range": 206}


def _caller(client: FlaskClient, world: DataWorld, who: str) -> dict[str, str]:
    if who in SESSION:
        login(client, who)
        return {}
    if who.startswith("token:"):
        return {"Authorization": f"Bearer {world.tokens[who.removeprefix('token:')]}"}
    return {}


def _everything(response: Any) -> str:
    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    body = response.get_data()
    text = body.decode("utf-8", "replace")
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            text += "\n".join(archive.namelist())
            text += "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return head + "\n" + text


def _expected(who: str, state: str, endpoint: str) -> int:
    readable = state == "public" or CALLERS[who]
    if endpoint.endswith("page") and who not in SESSION:
        return 302  # the portal's pages are for signed-in people; scripts use /data/
    if not readable:
        return 404
    return SUCCESS.get(endpoint, 200)


@pytest.mark.parametrize("who", sorted(CALLERS))
def test_the_truth_table_of_every_data_endpoint(
    data_client: FlaskClient, dataworld: DataWorld, who: str
):
    headers = _caller(data_client, dataworld, who)
    wrong = []
    for state in STATES:
        for endpoint, (url, extra) in _endpoints(dataworld, state).items():
            response = data_client.get(url, headers={**headers, **extra})
            expected = _expected(who, state, endpoint)
            if endpoint == "h5 error" and expected == 200:
                expected = 404  # readable, but no such path inside the file: h5grove's 404
            if response.status_code != expected:
                wrong.append(f"{state} {endpoint}: {response.status_code}, expected {expected}")
            insider = CALLERS[who]
            if not insider and SENTINEL in _everything(response):
                wrong.append(f"{state} {endpoint}: the sentinel reached {who}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", ["anonymous", "otto", "token:other", "token:unbound"])
def test_a_selection_holds_only_what_the_caller_reads(
    data_client: FlaskClient, dataworld: DataWorld, who: str
):
    headers = _caller(data_client, dataworld, who)
    ids = [i for state in STATES for i in dataworld.experiments[state].files.values()]
    query = "&".join(f"file={i}" for i in ids)
    for url in (f"/data/files.zip?{query}", f"/data/files.txt?{query}"):
        response = data_client.get(url, headers=headers)
        assert response.status_code == 200
        assert SENTINEL not in _everything(response)
    with zipfile.ZipFile(
        io.BytesIO(data_client.get(f"/data/files.zip?{query}", headers=headers).data)
    ) as archive:
        names = archive.namelist()
        manifest = archive.read("SHA256SUMS").decode()
    assert all(name.startswith(("PUB-1/", "SHA256SUMS")) for name in names), names
    assert len(manifest.splitlines()) == len(names) - 1 == 4  # scan, note, log, curve of PUB-1


def test_insiders_see_restricted_parameters_of_public_data_outsiders_do_not(
    data_client: FlaskClient, dataworld: DataWorld
):
    url = f"/portal/datasets/{dataworld.experiments['public'].raw}"
    login(data_client, "otto")
    page = data_client.get(url).get_data(as_text=True)
    assert "sample/temperature" in page and "calibration/secret" not in page
    logout(data_client)
    login(data_client, "pia")
    assert f"{SENTINEL} hidden" in data_client.get(url).get_data(as_text=True)


def test_a_bad_token_is_401_not_anonymous(data_client: FlaskClient, dataworld: DataWorld):
    public = dataworld.file_id("public", "scan_0001.nxs")
    response = data_client.get(f"/data/files/{public}", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_ids_look_like_unreadable_ones(data_client: FlaskClient, dataworld: DataWorld):
    restricted = dataworld.experiments["active"].raw
    login(data_client, "otto")
    data_client.get("/portal/")  # shows (and so clears) the "signed in" message
    pages: list[Callable[[int], str]] = [
        lambda i: f"/portal/datasets/{i}",
        lambda i: f"/data/datasets/{i}/files.zip",
        lambda i: f"/data/files/{i}",
    ]
    for page in pages:
        hidden, missing = data_client.get(page(restricted)), data_client.get(page(999_999))
        assert hidden.status_code == missing.status_code == 404
        # the same page, up to the sign-out form's CSRF token (signed with the second it is made)
        assert _without_csrf(hidden.get_data(as_text=True)) == _without_csrf(
            missing.get_data(as_text=True)
        )


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)
