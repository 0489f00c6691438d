"""The API's access truth table: every endpoint, every kind of caller, restricted and public
data; a sentinel planted in every restricted field never reaches those who may not read it."""

from __future__ import annotations

import pytest

from tests.api.conftest import SENTINEL
from tests.portal.conftest import login, password_hash

READERS_OF_RESTRICTED = {"pia", "sci", "cure", "pia_token", "pia_xaloc_token"}
CALLERS = [
    None,  # anonymous
    "otto",  # signed in, not a member
    "pia",  # PI (session)
    "sci",  # instrument scientist of XALOC
    "cure",  # curator
    "pia_token",  # the PI's unbound token
    "pia_xaloc_token",  # bound to the experiment's instrument
    "pia_mspd_token",  # bound to another instrument
    "cure_mspd_token",  # a curator's token bound to another instrument
    "otto_token",
]


def _client(api_app, api_world, catalogue, who):
    client = api_app.test_client()
    headers = {}
    if who and who.endswith("_token"):
        headers["Authorization"] = f"Bearer {api_world.tokens[who]}"
    elif who:
        if who == "sci":
            from sqlalchemy import select

            from faircat.catalogue.models import User

            with catalogue.transaction() as session:
                session.scalar(select(User).where(User.username == "sci")).password_hash = (
                    password_hash()
                )
        login(client, who)
    return client, headers


def _urls(api_world, label: str, dataset: int) -> list[str]:
    return [
        f"/api/experiments/{label}",
        f"/api/experiments/{label}/datasets",
        f"/api/experiments/{label}/samples",
        f"/api/datasets/{dataset}",
        f"/api/datasets/{dataset}/files",
        f"/api/datasets/{dataset}/parameters",
    ]


@pytest.mark.parametrize("who", CALLERS)
def test_restricted_data_only_for_those_who_may_read_it(api_app, api_world, catalogue, who):
    client, headers = _client(api_app, api_world, catalogue, who)
    label = api_world.portal.embargoed
    allowed = who in READERS_OF_RESTRICTED
    for url in _urls(api_world, label, api_world.restricted_dataset):
        response = client.get(url, headers=headers)
        body = response.get_data(as_text=True)
        if allowed:
            assert response.status_code == 200, (who, url)
        else:
            assert response.status_code == 404, (who, url, response.status_code)
            assert SENTINEL not in body and "EMB1" not in body, (who, url)
    listing = client.get("/api/experiments?limit=1000", headers=headers).get_data(as_text=True)
    assert (SENTINEL in listing) is allowed, who
    mine = client.get("/api/experiments?scope=mine", headers=headers).get_data(as_text=True)
    assert (SENTINEL in mine) is allowed, who


@pytest.mark.parametrize("who", CALLERS)
def test_public_data_for_everyone_without_private_parameters(api_app, api_world, catalogue, who):
    client, headers = _client(api_app, api_world, catalogue, who)
    for url in _urls(api_world, api_world.portal.public, api_world.public_dataset):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (who, url)
    params = client.get(
        f"/api/datasets/{api_world.public_dataset}/parameters", headers=headers
    ).json
    names = {p["name"] for p in params}
    assert "wavelength" in names
    # a parameter type marked not public is for the experiment's people and staff only
    assert ("operator_note" in names) is (who in {"pia", "sci", "cure", "pia_token",
                                                  "pia_xaloc_token"}), who


def test_a_bad_token_is_401_not_anonymous(api_app, api_world):
    client = api_app.test_client()
    for header in ("Bearer fct_nope", "Basic abc", "Bearer ", "bearer"):
        response = client.get("/api/experiments", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="faircat"'
        assert response.json["error"] == "unauthorised"


def test_values_and_paging(api_app, api_world):
    client = api_app.test_client()
    headers = {"Authorization": f"Bearer {api_world.tokens['pia_token']}"}
    label = api_world.portal.embargoed
    experiment = client.get(f"/api/experiments/{label}", headers=headers).json
    assert experiment["state"] == "embargoed" and experiment["kept_until"] > experiment["end"]
    assert {m["role"] for m in experiment["members"]} >= {"principal_investigator"}
    rows, after = [], None
    while True:
        url = f"/api/experiments/{label}/datasets?limit=1&sort=name"
        page = client.get(url + (f"&after={after}" if after else ""), headers=headers).json
        rows += [r["name"] for r in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert rows == sorted(rows) and len(rows) == page["total"] == 4
    files = client.get(f"/api/datasets/{api_world.restricted_dataset}/files", headers=headers)
    assert files.json["items"][0]["checksum"].startswith("sha256:")
    assert "location" not in files.json["items"][0]  # storage paths are never shown
    bad = client.get(f"/api/experiments/{label}/datasets?sort=secret", headers=headers)
    assert bad.status_code == 400 and "cannot sort by 'secret'" in bad.json["message"]
