"""The portal's HTML: well formed, unique ids, a label for every control."""

from __future__ import annotations

from collections import Counter

import html5lib
import pytest

from tests.portal.conftest import login, post_form

NS = "{http://www.w3.org/1999/xhtml}"


def _pages(client, world) -> dict[str, str]:
    url = f"/portal/experiments/{world.embargoed}"
    post_form(
        client,
        url,
        f"{url}/requests/extension",
        {"extension-requested_date": "2030-01-15", "extension-justification": "time"},
    )
    refused = post_form(
        client, url, f"{url}/requests/extension", {"extension-requested_date": "2032-01-01"}
    )
    pages = {
        name: client.get(path).get_data(as_text=True)
        for name, path in {
            "dashboard": "/portal/",
            "embargoed": url,
            "public": f"/portal/experiments/{world.public}",
            "request": "/portal/requests/1",
        }.items()
    }
    pages["refused"] = refused.get_data(as_text=True)
    return pages


@pytest.fixture
def pages(client, world) -> dict[str, str]:
    login(client, "pia")
    return _pages(client, world)


def test_pages_parse_without_errors_and_have_unique_ids(pages):
    for name, page in pages.items():
        parser = html5lib.HTMLParser(strict=True)
        tree = parser.parse(page)
        ids = Counter(el.get("id") for el in tree.iter() if el.get("id"))
        assert [i for i, n in ids.items() if n > 1] == [], name


def test_every_form_control_has_a_label(pages):
    for name, page in pages.items():
        tree = html5lib.parse(page)
        labelled = {el.get("for") for el in tree.iter(f"{NS}label")}
        wrapped = {
            id(control)
            for label in tree.iter(f"{NS}label")
            for control in label.iter()
            if control.tag in (f"{NS}input", f"{NS}select", f"{NS}textarea")
        }
        for tag in ("input", "select", "textarea"):
            for control in tree.iter(f"{NS}{tag}"):
                if control.get("type") == "hidden":
                    continue
                assert (
                    control.get("id") in labelled
                    or id(control) in wrapped
                    or control.get("aria-label")
                ), f"{name}: unlabelled {tag} {control.get('name')}"
