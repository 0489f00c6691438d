"""Each request form: submitted by the PI, shown to curators, errors explained in place."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from faircat.catalogue.models import ReleaseRequest
from tests.portal.conftest import login, logout, post_form, text_of

JUSTIFICATION = "The paper was accepted in Acta Cryst D (manuscript XY-1234)."


def _selection(world, **extra):
    return {
        "selection-doi-title": "Soaks behind the paper",
        "selection-doi-abstract": "Two soaks.",
        "selection-doi-creators-0-full_name": "Pia Ibáñez",
        "selection-doi-creators-0-orcid": "0000-0002-1825-0097",
        "selection-doi-dataset_ids": [
            world.dataset_ids["EMB1-soak-1"],
            world.dataset_ids["EMB1-soak-2"],
        ],
        "selection-doi-justification": JUSTIFICATION,
        **extra,
    }


FORMS = {
    "early-release": lambda w: (w.embargoed, {"early-release-requested_date": "2026-09-01"}),
    "extension": lambda w: (w.embargoed, {"extension-requested_date": "2030-01-15"}),
    "selection-doi": lambda w: (w.embargoed, _selection(w)),
    "amendment": lambda w: (
        w.public,
        {"amendment-publication_id": "1", "amendment-title": "Thaumatin at room temperature"},
    ),
    "withdrawal": lambda w: (w.public, {}),
}
LABELS = {
    "early-release": "Early release",
    "extension": "Embargo extension",
    "selection-doi": "DOI for a selection",
    "amendment": "Amendment",
    "withdrawal": "Withdrawal",
}


def submit(client, label, kind, data):
    url = f"/portal/experiments/{label}"
    data = {f"{kind}-justification": JUSTIFICATION, **data}
    return post_form(client, url, f"{url}/requests/{kind}", data)


@pytest.mark.parametrize("kind", list(FORMS))
def test_each_request_form_reaches_the_review_queue(client, world, kind):
    login(client, "pia")
    label, data = FORMS[kind](world)
    response = submit(client, label, kind, data)
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"] == "/portal/requests/1"
    page = text_of(client.get("/portal/requests/1"))
    assert "Your request was sent to the curators." in page
    assert LABELS[kind] in page
    assert "Pending" in page
    assert JUSTIFICATION in page
    assert "Pending" in text_of(client.get(f"/portal/experiments/{label}"))
    assert "1 pending request" in text_of(client.get("/portal/"))

    logout(client)
    login(client, "cure")
    queue = text_of(client.get("/portal/curator/"))
    assert "1 pending request," in queue
    assert LABELS[kind] in queue
    assert label in queue
    assert "Pia Ibáñez" in queue
    assert "just now" in queue  # the age, by the app's clock
    # Curators are told of new requests too.
    assert "Request #1:" in text_of(client.get("/portal/"))


def test_request_details_are_readable(client, world):
    login(client, "pia")
    submit(client, world.embargoed, "selection-doi", _selection(world))
    page = text_of(client.get("/portal/requests/1"))
    assert "Soaks behind the paper" in page
    assert "EMB1-soak-1" in page and "EMB1-soak-2" in page
    assert "EMB1-native" not in page
    submit(client, world.embargoed, "extension", {"extension-requested_date": "2030-01-15"})
    assert "<dt>New release date</dt><dd>2030-01-15</dd>" in text_of(
        client.get("/portal/requests/2")
    )


def test_selection_form_is_prefilled_from_members_and_datasets(client, world):
    login(client, "pia")
    page = client.get(f"/portal/experiments/{world.embargoed}").get_data(as_text=True)
    form = page[page.index('id="request-selection-doi"') :]
    assert 'value="Lysozyme soaks under embargo"' in form
    names = re.findall(r'name="selection-doi-creators-\d+-full_name"[^>]*value="([^"]*)"', form)
    assert names == ["Pia Ibáñez", "Cora Oduya", "Paul Tran"]
    assert 'value="0000-0002-1825-0097"' in form
    checked = re.findall(r'name="selection-doi-dataset_ids" value="(\d+)" checked', form)
    assert sorted(map(int, checked)) == sorted(
        v for k, v in world.dataset_ids.items() if k.startswith("EMB1")
    )


def test_edited_creators_are_what_the_request_carries(client, world, catalogue):
    login(client, "pia")
    data = _selection(
        world,
        **{
            # row 1 (Cora) removed in the page; a new row 5 added
            "selection-doi-creators-0-user_id": "1",
            "selection-doi-creators-2-full_name": "Paul Tran",
            "selection-doi-creators-5-full_name": "Nova Newcomer",
            "selection-doi-creators-5-affiliation": "ALBA",
        },
    )
    assert submit(client, world.embargoed, "selection-doi", data).status_code == 302
    with catalogue.transaction() as session:
        stored = session.scalar(select(ReleaseRequest))
        creators = [(c["full_name"], c["user_id"]) for c in stored.payload["creators"]]
    assert creators == [("Pia Ibáñez", 1), ("Paul Tran", None), ("Nova Newcomer", None)]


def test_creator_rows_can_be_added_and_removed_without_javascript(client, world, catalogue):
    login(client, "pia")
    page = text_of(client.get(f"/portal/experiments/{world.embargoed}"))
    assert "Add a creator" in page
    data = _selection(
        world,
        **{
            "selection-doi-creators-1-full_name": "Cora Oduya",
            "selection-doi-creators-2-full_name": "Paul Tran",
        },
    )
    added = submit(client, world.embargoed, "selection-doi", {**data, "add_creator": "1"})
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert 'name="selection-doi-creators-3-full_name"' in html
    assert '<details class="request-form" id="request-selection-doi" open>' in html
    removed = submit(
        client,
        world.embargoed,
        "selection-doi",
        {**data, "remove_creator": "selection-doi-creators-1"},
    )
    form = removed.get_data(as_text=True).split('id="request-selection-doi"')[1]
    form = form.split("</details>")[0]
    assert "Cora Oduya" not in form
    assert "Paul Tran" in form
    with catalogue.transaction() as session:
        assert session.scalar(select(ReleaseRequest)) is None  # nothing was sent


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("extension", {"extension-requested_date": "2032-01-01"}, "past the end of the retention"),
        ("early-release", {"early-release-requested_date": "2026-01-01"}, "is in the past"),
        (
            "selection-doi",
            {
                "selection-doi-title": "T",
                "selection-doi-dataset_ids": ["1"],
                "selection-doi-creators-0-full_name": "",
                "selection-doi-creators-0-orcid": "1234",
            },
            "Every creator needs a name.",
        ),
        (
            "selection-doi",
            {
                "selection-doi-title": "T",
                "selection-doi-dataset_ids": ["1"],
                "selection-doi-creators-0-full_name": "Pia",
                "selection-doi-creators-0-orcid": "0000-0002-1825-0098",
            },
            "invalid ORCID '0000-0002-1825-0098': wrong check digit",
        ),
        (
            "selection-doi",
            {
                "selection-doi-title": "T",
                "selection-doi-dataset_ids": ["4"],  # a dataset of PUB1
                "selection-doi-creators-0-full_name": "Pia",
            },
            "belong to another experiment",
        ),
    ],
)
def test_domain_and_form_errors_are_shown_with_the_input_kept(client, world, kind, data, message):
    login(client, "pia")
    response = submit(client, world.embargoed, kind, data)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert JUSTIFICATION in page  # what was typed comes back
    assert f'id="request-{kind}" open' in page


def test_a_second_pending_request_of_the_same_kind_is_refused_by_name(client, world):
    login(client, "pia")
    submit(client, world.embargoed, "extension", {"extension-requested_date": "2030-01-15"})
    again = submit(client, world.embargoed, "extension", {"extension-requested_date": "2030-02-01"})
    assert again.status_code == 422
    page = text_of(again)
    assert "request #1" in page and "already pending" in page
    assert "Not sent:" in page  # the flash message as well as the inline one
    assert 'value="2030-02-01"' in page


def test_missing_fields_are_named(client, world):
    login(client, "pia")
    url = f"/portal/experiments/{world.embargoed}"
    response = post_form(client, url, f"{url}/requests/extension", {})
    assert response.status_code == 422
    page = text_of(response)
    assert "Give a justification." in page
    assert "Choose the new release date." in page
    assert 'aria-invalid="true"' in page


def test_forms_follow_the_lifecycle(client, world):
    login(client, "pia")
    scheduled = text_of(client.get(f"/portal/experiments/{world.scheduled}"))
    assert 'id="request-extension"' in scheduled
    assert 'id="request-early-release"' not in scheduled
    assert 'id="request-selection-doi"' not in scheduled
    public = text_of(client.get(f"/portal/experiments/{world.public}"))
    assert 'id="request-withdrawal"' in public and 'id="request-amendment"' in public
    assert 'id="request-extension"' not in public
    embargoed = text_of(client.get(f"/portal/experiments/{world.embargoed}"))
    assert 'id="request-amendment"' not in embargoed  # no DOI to amend yet


def test_unknown_request_kinds_are_not_found(client, world):
    login(client, "pia")
    url = f"/portal/experiments/{world.embargoed}"
    assert post_form(client, url, f"{url}/requests/teleport", {}).status_code == 404
