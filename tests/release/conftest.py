"""A catalogue with experiments at every point of the lifecycle, and a local DataCite."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from faircat.catalogue.models import Dataset, Investigation
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import MemberRole, Role
from faircat.config import Settings
from faircat.dev.datacite.testing import DataCiteHandle, running_datacite
from tests.catalogue import factories as f

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
YEAR = timedelta(days=365)
PREFIX = "10.80100"


@pytest.fixture
def datacite() -> Iterator[DataCiteHandle]:
    with running_datacite(prefix=PREFIX, username="TLS.DATA", password="secret") as handle:
        yield handle


@pytest.fixture
def release_settings(settings: Settings, datacite: DataCiteHandle) -> Settings:
    return dataclasses.replace(
        settings,
        datacite_url=datacite.url,
        datacite_username=datacite.username,
        datacite_password=datacite.password,
        facility_doi_prefix=PREFIX,
    )


def experiment(
    catalogue: Catalogue, proposal: str, *, end: datetime, days: int = 2, title: str | None = None
) -> int:
    with catalogue.transaction() as session:
        inv = f.investigation(
            session,
            proposal,
            start=end - timedelta(days=days),
            days=days,
            members=(("pi", MemberRole.PI),),
            title=title or f"Experiment {proposal}",
        )
        inv.summary = f"Summary of {proposal}"
        session.add(
            Dataset(
                investigation_id=inv.id,
                instrument_id=inv.instruments[0].id,
                name="scan1",
                title=f"{proposal} scan",
                complete=True,
                start_time=end - timedelta(hours=5),
                end_time=end - timedelta(hours=4),
            )
        )
        return inv.id


@pytest.fixture
def world(catalogue: Catalogue, release_settings: Settings) -> Catalogue:
    """EMB ended a year ago (embargoed); PUB ended 4 years ago (public); RUN is running;
    SOON's embargo ends in 10 days."""
    with catalogue.transaction() as session:
        f.instrument(session, "XALOC", "mx")
        f.user(session, "pi", email="pi@example.org")
        f.user(session, "cura", Role.CURATOR, email="curator@example.org")
    experiment(catalogue, "EMB", end=NOW - YEAR)
    experiment(catalogue, "PUB", end=NOW - 4 * YEAR)
    experiment(catalogue, "RUN", end=NOW + timedelta(days=1), days=3)
    experiment(catalogue, "SOON", end=NOW - 3 * YEAR + timedelta(days=10))
    return catalogue


def investigation(catalogue: Catalogue, proposal: str) -> Investigation:
    with catalogue.transaction() as session:
        return session.scalar(select(Investigation).where(Investigation.proposal == proposal))


def approved(
    catalogue: Catalogue,
    settings: Settings,
    proposal: str,
    kind: str,
    now: datetime,
    *,
    selection: dict[str, str] | None = None,
    **fields: object,
) -> None:
    """A request of the PI ``pi`` on experiment ``proposal``, approved by curator ``cura``.
    ``selection``: fields set on the experiment's default selection payload (selection_doi)."""
    from faircat.catalogue import requests as workflow
    from faircat.catalogue.models import User

    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == proposal))
        pi = session.scalar(select(User).where(User.username == "pi"))
        curator = session.scalar(select(User).where(User.username == "cura"))
        if selection is not None:
            fields["payload"] = workflow.selection_defaults(session, inv) | selection
        request = workflow.submit(
            session, actor=pi, investigation=inv, kind=kind, now=now, **fields
        )
        session.flush()
        workflow.decide(
            session,
            curator=curator,
            request_id=request.id,
            approve=True,
            comment="ok",
            now=now,
            settings=settings,
        )
