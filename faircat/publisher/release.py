"""The release job: ``faircat release`` once, ``faircat scheduler`` periodically.

One run, under a database lease so that two schedulers never overlap:

1. **decide** (one transaction): every experiment that has ended gets its experiment DOI (a
   DataPublication whose target state is ``registered``, or ``findable`` if already public);
   every DOI whose experiment reached its release date (the embargo end, or an approved early
   release) is set to become ``findable``; DOIs of withdrawn experiments go back to
   ``registered`` (they keep resolving, to the tombstone); PIs of experiments whose release is
   near are told once per release date. Each registry change is a row in the DOI outbox.
2. **export**: the incremental export publishes the changed records (new OAI-PMH datestamps)
   and rewrites their pages, so a DOI's landing page exists before DataCite hears of it.
3. **register**: the outbox is drained into DataCite (retries with backoff; rejections to
   curators).
4. **mail**: pending notifications are e-mailed.

Every step reads the state the previous runs left and skips what is done, so the job is
idempotent: killed at any point, the next run finishes the work, nothing lost or doubled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from faircat.catalogue import audit, outbox
from faircat.catalogue.facility import get_facility
from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.locks import lease
from faircat.catalogue.models import DataPublication, Investigation, InvestigationMember, User
from faircat.catalogue.public import experiment_doi
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import DoiState, LifecycleState, MemberRole, PublicationKind
from faircat.config import Settings
from faircat.publisher.export import ExportReport, export_site
from faircat.publisher.registrar import Registry, SyncReport, sync_due

CHUNK = 2000
LEASE = "release"
JOB = "release job"  # the actor of the job's decisions in the audit trail


@dataclass
class Decisions:
    registered: int = 0  # experiment DOIs created
    released: int = 0  # DOIs set to become findable
    withdrawn: int = 0  # DOIs set back to registered (tombstones)
    notices: int = 0  # PIs told of an approaching release


@dataclass
class ReleaseReport:
    now: datetime
    decisions: Decisions = field(default_factory=Decisions)
    export: ExportReport | None = None
    registry: SyncReport | None = None
    mailed: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # per step

    def describe(self) -> str:
        d = self.decisions
        lines = [
            f"release job at {self.now.isoformat()}: {d.registered} experiment DOI(s) created, "
            f"{d.released} to become findable, {d.withdrawn} withdrawn, "
            f"{d.notices} release notice(s)"
        ]
        if self.export is not None:
            lines.append(self.export.describe())
        if self.registry is not None:
            lines.append("DataCite: " + self.registry.describe())
            lines += [f"  retry {item}" for item in self.registry.retried[:20]]
            lines += [f"  REJECTED {item}" for item in self.registry.rejected[:20]]
        if self.mailed:
            lines.append("mail: " + self.mailed)
        return "\n".join(lines)


def decide(session: Session, settings: Settings, now: datetime) -> Decisions:
    """Step 1, in the caller's transaction."""
    decisions = Decisions()
    decisions.registered = _experiment_dois(session, settings, now)
    decisions.released = _retarget(session, now, _released(now), DoiState.FINDABLE, "release")
    decisions.withdrawn = _retarget(session, now, _withdrawn(now), DoiState.REGISTERED, "withdraw")
    decisions.notices = _notices(session, settings, now)
    return decisions


def _experiment_dois(session: Session, settings: Settings, now: datetime) -> int:
    has_doi = exists().where(
        DataPublication.investigation_id == Investigation.id,
        DataPublication.kind == PublicationKind.INVESTIGATION,
    )
    facility = get_facility(session)
    count = 0
    while True:
        # Each pass creates the publications it read, so the next pass reads new ones.
        batch = session.scalars(
            select(Investigation)
            .where(Investigation.end_date <= now, ~has_doi)
            .order_by(Investigation.id)
            .limit(CHUNK)
        ).all()
        if not batch:
            return count
        publications = []
        for inv in batch:
            state = state_at(dates_of(inv), now)
            doi = experiment_doi(facility, inv)
            publications.append(
                DataPublication(
                    kind=PublicationKind.INVESTIGATION,
                    investigation_id=inv.id,
                    doi=doi,
                    title=inv.title,
                    abstract=inv.summary,
                    licence=settings.facility_licence,
                    doi_target_state=(
                        DoiState.FINDABLE if state is LifecycleState.PUBLIC else DoiState.REGISTERED
                    ),
                )
            )
            inv.doi = doi
        session.add_all(publications)
        session.flush()
        outbox.enqueue_many(session, [p.id for p in publications], "register", now)
        audit.record_many(
            session,
            "release.create_doi",
            "data_publication",
            [
                (p.id, None, {"doi": p.doi, "target": p.doi_target_state.value})
                for p in publications
            ],
            actor_label=JOB,
            now=now,
            comment="the experiment has ended",
        )
        count += len(publications)


def _released(now: datetime):  # type: ignore[no-untyped-def]
    return and_(
        Investigation.release_date <= now,
        or_(Investigation.withdrawn_at.is_(None), Investigation.withdrawn_at > now),
        DataPublication.doi_target_state != DoiState.FINDABLE,
    )


def _withdrawn(now: datetime):  # type: ignore[no-untyped-def]
    return and_(
        Investigation.withdrawn_at <= now,
        DataPublication.doi_target_state == DoiState.FINDABLE,
    )


def _retarget(session: Session, now: datetime, condition, target: DoiState, reason: str) -> int:  # type: ignore[no-untyped-def]
    count = 0
    while True:
        batch = session.scalars(
            select(DataPublication)
            .join(Investigation, Investigation.id == DataPublication.investigation_id)
            .where(
                condition,
                DataPublication.kind.in_(
                    [PublicationKind.INVESTIGATION, PublicationKind.SELECTION]
                ),
            )
            .order_by(DataPublication.id)
            .limit(CHUNK)
        ).all()
        if not batch:
            return count
        changes = []
        for publication in batch:
            changes.append(
                (
                    publication.id,
                    {"doi": publication.doi, "target": publication.doi_target_state.value},
                    {"doi": publication.doi, "target": target.value},
                )
            )
            publication.doi_target_state = target
        session.flush()
        outbox.enqueue_many(session, [p.id for p in batch], reason, now)
        audit.record_many(
            session, f"release.{reason}", "data_publication", changes, actor_label=JOB, now=now
        )
        count += len(batch)


def _notices(session: Session, settings: Settings, now: datetime) -> int:
    from faircat.catalogue.requests import notify

    horizon = now + timedelta(days=max(settings.release_notice_days, 0))
    due = session.scalars(
        select(Investigation).where(
            Investigation.release_date > now,
            Investigation.release_date <= horizon,
            Investigation.end_date <= now,
            Investigation.withdrawn_at.is_(None),
            or_(
                Investigation.release_notice_for.is_(None),
                Investigation.release_notice_for != Investigation.release_date,
            ),
        )
    ).all()
    for inv in due:
        pis = session.scalars(
            select(User)
            .join(InvestigationMember, InvestigationMember.user_id == User.id)
            .where(
                InvestigationMember.investigation_id == inv.id,
                InvestigationMember.role == MemberRole.PI,
            )
        ).all()
        day = inv.release_date.date().isoformat()
        notify(
            session,
            pis,
            subject=f"The data of {inv.label} become public on {day}",
            body=(
                f"The embargo of experiment {inv.label} ({inv.title}) ends on {day}: its "
                "datasets and files will then be public, with the experiment DOI findable.\n\n"
                "If you need more time, request an embargo extension from the experiment's "
                "page in the portal before that date."
            ),
            now=now,
            link=f"/portal/experiments/{inv.label}",
        )
        inv.release_notice_for = inv.release_date
    return len(due)


def run_release(
    catalogue: Catalogue,
    settings: Settings,
    now: datetime,
    *,
    out: Path | None = None,
    registry: Registry | None = None,
    register: bool = True,
    on_page: Callable[[int, int], None] | None = None,
) -> ReleaseReport:
    """One whole run (see the module docstring); raises ``Busy`` if another run holds the lease."""
    from faircat.mail import send_pending

    report = ReleaseReport(now=now)
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        report.seconds[step] = time.perf_counter() - clock
        clock = time.perf_counter()

    with lease(catalogue, LEASE):
        with catalogue.transaction() as session:
            report.decisions = decide(session, settings, now)
        lap("decide")
        report.export = export_site(catalogue, out=out, now=now, on_page=on_page)
        lap("export")
        if register:
            report.registry = sync_due(
                catalogue, settings, now, client=registry, workers=settings.datacite_workers
            )
        lap("register")
        report.mailed = send_pending(catalogue.sessions, settings, now).describe()
        lap("mail")
    return report
