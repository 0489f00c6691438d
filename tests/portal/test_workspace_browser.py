"""The workspace in Chromium: a PI filters and sorts an experiment's datasets, a curator browses
every experiment; at phone width no table value is off-screen. Screenshots land in
/tmp/faircat-screens/workspace-*.png."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from faircat.catalogue.models import Dataset, Investigation, Sample
from faircat.catalogue.vocab import DatasetType
from tests.browser import DESKTOP, PHONE, SCREENS
from tests.catalogue.factories import NOW
from tests.portal.test_browser import (  # noqa: F401 - browser, served: fixtures open_page uses
    _overflow,
    _sign_in,
    browser,
    open_page,
    served,
)

pytestmark = pytest.mark.browser


def _add_scans(catalogue: Any) -> None:
    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "EMB1"))
        lyso = Sample(investigation_id=inv.id, name="lysozyme", chemical_formula="C613H959N193")
        session.add(lyso)
        session.flush()
        for n in range(30):
            session.add(
                Dataset(
                    investigation_id=inv.id,
                    name=f"scan_{n:04d}",
                    title=f"lysozyme soak with a rather long descriptive title number {n}",
                    type=DatasetType.PROCESSED if n % 5 == 0 else DatasetType.RAW,
                    sample_id=lyso.id,
                    start_time=NOW - timedelta(days=50, minutes=-n),
                    size=10**9 + n,
                    file_count=n % 4 + 1,
                )
            )


def _shot(page: Any, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"workspace-{name}.png"), full_page=True)


def _cells_on_screen(page: Any) -> list[str]:
    """Table cells whose right edge is beyond the viewport (should be none)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('table.data-table td')]
             .filter(td => td.getBoundingClientRect().right > window.innerWidth + 1)
             .map(td => td.textContent.trim().slice(0, 40))"""
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pi_filters_and_sorts_datasets_and_curator_browses(open_page: Any, catalogue: Any):  # noqa: F811
    _add_scans(catalogue)
    page = open_page(DESKTOP)
    _sign_in(page, "pia")
    page.get_by_role("link", name="Experiments", exact=True).click()
    page.get_by_role("link", name="EMB1-1").click()
    table = page.locator("table.data-table")
    assert table.locator("tbody tr").count() == 33
    page.get_by_label("Name, title or sample").fill("soak with")
    page.get_by_label("Type").select_option("processed")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    assert "6 datasets match the filters." in page.inner_text("main")
    assert table.locator("tbody tr").count() == 6
    page.get_by_role("link", name="Size").click()  # sizes sort largest first
    page.wait_for_load_state("networkidle")
    first = table.locator("tbody tr").first.locator("td").first.inner_text()
    assert first.startswith("scan_0025")
    assert page.locator("th[aria-sort=descending]").count() == 1
    _shot(page, "experiment-desktop")

    phone = open_page(PHONE)
    _sign_in(phone, "pia")
    phone.goto("/portal/experiments/EMB1-1")
    assert _overflow(phone) == 0
    assert _cells_on_screen(phone) == []
    _shot(phone, "experiment-phone")

    curator = open_page(DESKTOP)
    _sign_in(curator, "cure")
    curator.get_by_role("link", name="Experiments", exact=True).click()
    text = curator.inner_text("main")
    for label in ("EMB1-1", "ACT1-1", "PUB1-1", "SCH1-1", "OTH1-1"):
        assert label in text
    curator.get_by_label("State").select_option("embargoed")
    curator.get_by_role("button", name="Filter").click()
    curator.wait_for_load_state("networkidle")
    assert "2 experiments." in curator.inner_text("main")
    _shot(curator, "browse-desktop")
    curator.set_viewport_size(PHONE)
    assert _cells_on_screen(curator) == [] and _overflow(curator) == 0
