"""The release job: ``faircat release`` once, ``faircat scheduler`` periodically.

One run, under a database lease so that two schedulers never overlap:

1. **decide** (one transaction): every experiment that has ended gets its experiment DOI (a
   DataPublication whose target state is ``registered``, or ``findable`` if already public);
   every dataset of a public experiment gets its dataset DOI (``findable``: a dataset DOI is
   only ever created for public data, never under embargo), including datasets added to an
   experiment after its release; every DOI whose experiment reached its release date (the
   embargo end, or an approved early release) is set to become ``findable``; DOIs of withdrawn
   experiments (experiment, selections, datasets) go back to ``registered`` (they keep
   resolving, to the tombstone); PIs of experiments whose release is near are told once per
   release date. Each registry change is a row in the DOI outbox.
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

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from faircat.catalogue import audit, outbox
from faircat.catalogue.facility import get_facility
from faircat.catalogue.lifecycle import dates_of, public_clause, state_at
from faircat.catalogue.locks import lease
from faircat.catalogue.models import (
    DataPublication,
    Dataset,
    Investigation,
    InvestigationMember,
    User,
)
from faircat.catalogue.public import dataset_doi, dataset_title, experiment_doi
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import DoiState, LifecycleState, MemberRole, PublicationKind
from faircat.config import Settings
from faircat.publisher.export import ExportReport, export_site
from faircat.publisher.registrar import Registry, SyncReport, sync_due

CHUNK = 2000
# Dataset DOIs created per run at most. A backlog (the first run on a catalogue of a million
# public datasets, or a mass release of experiments with many datasets each) is spread over
# the next runs, so that no run holds one decide transaction for many minutes or spends hours
# in registry calls while other DOIs (releases, withdrawals) wait behind it in the outbox.
DATASET_DOIS_PER_RUN = 20_000
LEASE = "release"
JOB = "release job"  # the actor of the job's decisions in the audit trail


@dataclass
class Decisions:
    registered: int = 0  # experiment DOIs created
    dataset_dois: int = 0  # dataset DOIs created (findable: their experiment is public)
    more_dataset_dois: bool = False  # the per-run limit was reached: more at the next run
    released: int = 0  # DOIs set to become findable
    withdrawn: int = 0  # DOIs set back to registered (tombstones)
    notices: int = 0  # PIs told of an approaching release
    # Datasets left without a DOI because theirs is taken (by another dataset whose name
    # differs only by case or punctuation, or by another publication): "doi: why".
    conflicts: list[str] = field(default_factory=list)


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
            f"{d.dataset_dois} dataset DOI(s) created"
            f"{' (the most per run: more at the next run)' if d.more_dataset_dois else ''}, "
            f"{d.released} to become findable, {d.withdrawn} withdrawn, "
            f"{d.notices} release notice(s)"
        ]
        if d.conflicts:
            lines.append(f"{len(d.conflicts)} dataset(s) left without a DOI (theirs is taken):")
            lines += [f"  CONFLICT {item}" for item in d.conflicts[:20]]
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
    decisions.dataset_dois = _dataset_dois(session, settings, now, decisions.conflicts)
    decisions.more_dataset_dois = decisions.dataset_dois >= DATASET_DOIS_PER_RUN
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


def _dataset_dois(session: Session, settings: Settings, now: datetime, conflicts: list[str]) -> int:
    """A findable DOI for every dataset of a public experiment that has its experiment DOI.

    The DOI is the one the public view already gives the dataset's record
    (:func:`~faircat.catalogue.public.dataset_doi`, the same inputs), so the registrar finds the
    record's DataCite XML under it. Only public experiments: nothing of an embargoed
    experiment's datasets may reach DataCite. Datasets added to a public experiment later
    (processed data) are found by the next run. Set-based: a few statements per chunk of
    datasets, keyset-paginated on the dataset id (a dataset skipped for a conflict is not read
    again in the same run); at most :data:`DATASET_DOIS_PER_RUN`, oldest datasets first.
    """
    experiment_has_doi = exists().where(
        DataPublication.investigation_id == Investigation.id,
        DataPublication.kind == PublicationKind.INVESTIGATION,
    )
    dataset_has_doi = exists().where(
        DataPublication.dataset_id == Dataset.id,
        DataPublication.kind == PublicationKind.DATASET,
    )
    facility = get_facility(session)
    count = 0
    last = 0
    while count < DATASET_DOIS_PER_RUN:
        rows = session.execute(
            select(
                Dataset.id,
                Dataset.name,
                Dataset.title,
                Dataset.description,
                Dataset.doi,
                Investigation,
            )
            .join(Investigation, Investigation.id == Dataset.investigation_id)
            .where(public_clause(now), experiment_has_doi, ~dataset_has_doi, Dataset.id > last)
            .order_by(Dataset.id)
            .limit(min(CHUNK, DATASET_DOIS_PER_RUN - count))
        ).all()
        if not rows:
            return count
        last = rows[-1].id
        wanted = {}  # dataset id -> (doi, row), first come first served within the chunk
        by_doi: dict[str, int] = {}
        seen: dict[str, int] = {}  # lower case: DOIs are case-insensitive (as publish compares)
        for row in rows:
            doi = dataset_doi(experiment_doi(facility, row.Investigation), row.name, row.doi)
            if doi.lower() in seen:
                other = seen[doi.lower()]
                conflicts.append(f"{doi}: also the DOI of dataset {other} (dataset {row.id})")
                continue
            seen[doi.lower()] = by_doi[doi] = row.id
            wanted[row.id] = (doi, row)
        # A DOI already held by another publication, or stored on another dataset.
        taken = {
            doi: f"already the DOI of publication {pid}"
            for doi, pid in session.execute(
                select(DataPublication.doi, DataPublication.id).where(
                    DataPublication.doi.in_(list(by_doi))
                )
            )
        }
        for doi, ds_id in session.execute(
            select(Dataset.doi, Dataset.id).where(Dataset.doi.in_(list(by_doi)))
        ):
            if ds_id != by_doi[doi]:
                taken.setdefault(doi, f"stored on dataset {ds_id}")
        for doi, why in taken.items():
            ds_id = by_doi[doi]
            conflicts.append(f"{doi}: {why} (dataset {ds_id})")
            del wanted[ds_id]
        if not wanted:
            continue
        created = session.execute(
            insert(DataPublication).returning(DataPublication.id, DataPublication.dataset_id),
            [
                {
                    "kind": PublicationKind.DATASET,
                    "investigation_id": row.Investigation.id,
                    "dataset_id": ds_id,
                    "doi": doi,
                    "title": dataset_title(row.Investigation.title, row.name, row.title),
                    "abstract": row.description,
                    "licence": settings.facility_licence,
                    "doi_target_state": DoiState.FINDABLE,
                }
                for ds_id, (doi, row) in wanted.items()
            ],
        ).all()
        ids = {ds_id: pub_id for pub_id, ds_id in created}
        # Storing the DOI on the dataset changes nothing that is published: its record already
        # carries this very DOI (derived from the same inputs), so its content hash, page and
        # OAI datestamp stay as they are. The experiment is re-read by this run's export anyway
        # (its new publications are changes too); ``updated_at`` is set to the job's clock.
        unstored = [
            {"id": ds_id, "doi": doi, "updated_at": now}
            for ds_id, (doi, row) in wanted.items()
            if not row.doi
        ]
        if unstored:
            session.execute(update(Dataset), unstored)
        outbox.enqueue_many(session, [ids[ds_id] for ds_id in wanted], "register", now)
        audit.record_many(
            session,
            "release.create_doi",
            "data_publication",
            [
                (ids[ds_id], None, {"doi": doi, "target": DoiState.FINDABLE.value})
                for ds_id, (doi, _row) in wanted.items()
            ],
            actor_label=JOB,
            now=now,
            comment="the experiment is public",
        )
        count += len(wanted)
    return count


def _released(now: datetime):  # type: ignore[no-untyped-def]
    # Dataset DOIs are born findable (their experiment is public), so in practice this moves
    # experiment and selection DOIs. Nothing has to go the other way: an extension is refused
    # once the experiment is public, so a released experiment never goes back under embargo.
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
                    [
                        PublicationKind.INVESTIGATION,
                        PublicationKind.SELECTION,
                        PublicationKind.DATASET,
                    ]
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
