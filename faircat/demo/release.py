"""The demo's workflow: a selection DOI approved, a request waiting, DOIs registered offline.

After the demo catalogue is built, a PI asks for a DOI for some datasets of a public
experiment (approved by the curator) and for an embargo extension (left pending, so the
curator's queue is not empty); then the release job runs against a local DataCite served in
this process (``faircat dev datacite``'s server, its registry kept in
``<instance>/datacite.json``), so ``make demo`` registers every DOI with no network.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import select

from faircat.catalogue import requests as workflow
from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import Investigation, InvestigationMember, User
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import LifecycleState, MemberRole
from faircat.config import Settings
from faircat.dev.datacite.testing import running_datacite
from faircat.publisher.release import ReleaseReport, run_release

DEMO_REGISTRY_PASSWORD = "demo"  # a local, offline registry: not a secret


def _with_pi(session, state: LifecycleState, now: datetime) -> tuple[Investigation, User] | None:  # type: ignore[no-untyped-def]
    rows = session.execute(
        select(Investigation, User)
        .join(InvestigationMember, InvestigationMember.investigation_id == Investigation.id)
        .join(User, User.id == InvestigationMember.user_id)
        .where(InvestigationMember.role == MemberRole.PI)
        .order_by(Investigation.end_date.desc())
    )
    for inv, pi in rows:
        if state_at(dates_of(inv), now) is state:
            return inv, pi
    return None


def add_requests(catalogue: Catalogue, settings: Settings, now: datetime) -> list[str]:
    done = []
    with catalogue.transaction() as session:
        curator = session.scalar(select(User).where(User.username == "curator"))
        public = _with_pi(session, LifecycleState.PUBLIC, now)
        if public and curator:
            inv, pi = public
            payload = workflow.selection_defaults(session, inv)
            payload["dataset_ids"] = payload["dataset_ids"][:2]
            payload["title"] = f"Datasets behind the paper: {inv.title}"
            request = workflow.submit(
                session,
                actor=pi,
                investigation=inv,
                kind="selection_doi",
                now=now,
                justification="Cited in our article",
                payload=payload,
            )
            session.flush()
            workflow.decide(
                session,
                curator=curator,
                request_id=request.id,
                approve=True,
                comment="Approved for the demo",
                now=now,
                settings=settings,
            )
            done.append(f"selection DOI approved for {inv.label}")
        embargoed = _with_pi(session, LifecycleState.EMBARGOED, now)
        if embargoed:
            inv, pi = embargoed
            workflow.submit(
                session,
                actor=pi,
                investigation=inv,
                kind="extension",
                now=now,
                justification="The paper is under review",
                requested_date=inv.release_date + timedelta(days=365),
            )
            done.append(f"extension request pending for {inv.label}")
    return done


def release_demo(catalogue: Catalogue, settings: Settings, now: datetime) -> ReleaseReport:
    """Run the release job against a local DataCite (kept in the instance folder)."""
    registry = settings.instance_path / "datacite.json"
    with running_datacite(
        prefix=settings.facility_doi_prefix,
        username=settings.datacite_username,
        password=DEMO_REGISTRY_PASSWORD,
        data=registry,
    ) as handle:
        local = dataclasses.replace(
            settings, datacite_url=handle.url, datacite_password=DEMO_REGISTRY_PASSWORD
        )
        return run_release(catalogue, local, now)
