"""Demo logbooks and one MX shipment, added after the NeXus files are ingested."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from faircat.catalogue.checksum import sha256_file
from faircat.catalogue.models import (
    Container,
    Datafile,
    Dataset,
    Instrument,
    Investigation,
    LogbookEvent,
    Parcel,
    ParcelEvent,
    ProcessingRun,
    ProcessingShell,
    SamplePlan,
    Shipment,
    Tag,
)
from faircat.catalogue.vocab import (
    ContainerType,
    DatasetType,
    EventCategory,
    EventType,
    MemberRole,
    ParcelStatus,
    ProcessingStatus,
    ShellType,
    TagScope,
)

NOTES = (
    "Beam realigned after refill; intensity back to nominal.",
    "Sample looked homogeneous under the microscope; proceeding with the full scan.",
    "Radiation damage visible after the third frame set: reduce exposure for the next crystal.",
    "Calibration with the standard done, detector distance confirmed.",
    "Good data. Keep this one for the paper.",
)
COMMANDS = ("ascan th 0 10 100 0.1", "mv energy 8979", "ct 1", "dscan samx -1 1 40 0.5")


def add_logbooks(session: Session, rng: random.Random) -> None:
    important = Tag(name="important", colour="#b3261e", scope=TagScope.GLOBAL)
    alignment = Tag(name="alignment", colour="#1f6feb", scope=TagScope.GLOBAL)
    session.add_all([important, alignment])
    for inv in session.scalars(select(Investigation).order_by(Investigation.id)):
        instrument = inv.instruments[0]
        datasets = sorted(inv.datasets, key=lambda d: d.start_time or inv.start_date)
        authors = [m.user_id for m in inv.members if m.role is not MemberRole.LOCAL_CONTACT]
        for ds in datasets:
            when = ds.start_time or inv.start_date
            session.add(
                LogbookEvent(
                    investigation_id=inv.id,
                    instrument_id=instrument.id,
                    dataset_id=ds.id,
                    type=EventType.NOTIFICATION,
                    category=EventCategory.INFO,
                    title="Data collection started",
                    source="sardana",
                    content=f"Scan {ds.name} started: {ds.title}",
                    event_time=when,
                )
            )
            session.add(
                LogbookEvent(
                    investigation_id=inv.id,
                    instrument_id=instrument.id,
                    dataset_id=ds.id,
                    type=EventType.NOTIFICATION,
                    category=EventCategory.COMMANDLINE,
                    source="sardana",
                    content=rng.choice(COMMANDS),
                    event_time=when + timedelta(seconds=5),
                )
            )
        if datasets and authors:
            note = LogbookEvent(
                investigation_id=inv.id,
                instrument_id=instrument.id,
                type=EventType.ANNOTATION,
                category=EventCategory.COMMENT,
                author_id=rng.choice(authors),
                content=rng.choice(NOTES),
                event_time=(datasets[-1].start_time or inv.start_date) + timedelta(minutes=30),
            )
            if rng.random() < 0.4:
                note.tags.append(important)
            session.add(note)
    for instrument in session.scalars(select(Instrument).order_by(Instrument.id)):
        scientist = instrument.scientists[0] if instrument.scientists else None
        session.add(
            LogbookEvent(
                instrument_id=instrument.id,
                type=EventType.ANNOTATION,
                category=EventCategory.COMMENT,
                author_id=scientist.id if scientist else None,
                content="Monochromator recalibrated with Cu foil edge.",
                tags=[alignment],
            )
        )


def add_mx_shipment(session: Session, rng: random.Random, data_dir: Path, now: datetime) -> None:
    """A shipment for the newest finished MX visit, with processing of its datasets."""
    inv = session.scalar(
        select(Investigation)
        .join(Investigation.datasets)
        .where(Dataset.definition == "NXmx", Investigation.end_date < now)
        .order_by(Investigation.end_date.desc())
        .limit(1)
    )
    if inv is None:
        return
    pi = next((m.user_id for m in inv.members if m.role is MemberRole.PI), None)
    shipment = Shipment(
        investigation_id=inv.id, name=f"Shipment {inv.label}", sender_id=pi, courier="World Courier"
    )
    parcel = Parcel(
        name="Dewar 1",
        tracking_number=f"WC{rng.randrange(10**9):09d}",
        storage_condition="LN2 dry shipper",
    )
    shipment.parcels.append(parcel)
    t0 = inv.start_date - timedelta(days=5)
    for i, status in enumerate(ParcelStatus):
        offset = (
            timedelta(days=i)
            if status is not ParcelStatus.SENT_BACK
            else (inv.end_date - t0 + timedelta(days=1))
        )
        parcel.history.append(ParcelEvent(status=status, at=t0 + offset))
    puck = Container(
        name=f"ALBA-P{rng.randrange(1000):04d}",
        type=ContainerType.PUCK,
        capacity=16,
        sample_changer_location="cell 3, position 2",
    )
    parcel.containers.append(puck)
    session.add(shipment)
    session.flush()

    raw = [d for d in inv.datasets if d.type is DatasetType.RAW]
    for position, sample in enumerate(sorted(inv.samples, key=lambda s: s.name), start=1):
        sample.container = puck
        sample.position = position
        session.add(
            SamplePlan(
                sample_id=sample.id,
                protein_acronym=sample.name.split("-")[0][:12].upper(),
                required_resolution=1.8,
                required_completeness=99.0,
                required_multiplicity=4.0,
                beam_size=20.0,
                space_group="P43212",
                cell_a=78.9,
                cell_b=78.9,
                cell_c=37.1,
                cell_alpha=90,
                cell_beta=90,
                cell_gamma=90,
            )
        )

    folder = data_dir / inv.label / "processed"
    folder.mkdir(parents=True, exist_ok=True)
    stats = folder / "aimless_summary.txt"
    stats.write_text("autoPROC/aimless summary\nspace group P 43 21 2\nresolution 39.45-1.52\n")
    processed = Dataset(
        investigation_id=inv.id,
        instrument_id=raw[0].instrument_id if raw else None,
        name="autoPROC-1",
        title=f"autoPROC processing of {inv.label}",
        type=DatasetType.PROCESSED,
        start_time=inv.end_date,
        end_time=inv.end_date + timedelta(hours=1),
        location=str(folder),
        complete=True,
        inputs=raw,
        techniques=list(raw[0].techniques) if raw else [],
        size=stats.stat().st_size,
        file_count=1,
    )
    processed.files.append(
        Datafile(
            name=stats.name,
            location=str(stats),
            size=stats.stat().st_size,
            checksum=f"sha256:{sha256_file(stats)}",
            format="text/plain",
        )
    )
    session.add(processed)
    session.flush()
    run = ProcessingRun(
        program="autoPROC",
        status=ProcessingStatus.SUCCESS,
        output_dataset_id=processed.id,
        started_at=processed.start_time,
        ended_at=processed.end_time,
        space_group="P43212",
        cell_a=78.91,
        cell_b=78.91,
        cell_c=37.08,
        cell_alpha=90,
        cell_beta=90,
        cell_gamma=90,
    )
    shells = (
        (ShellType.OVERALL, 39.45, 1.52, 0.071, 0.077, 0.029, 14.2, 99.8, 7.1, 0.998),
        (ShellType.INNER, 39.45, 4.12, 0.032, 0.035, 0.013, 41.5, 99.6, 6.8, 0.999),
        (ShellType.OUTER, 1.55, 1.52, 0.912, 0.988, 0.377, 1.9, 98.7, 6.9, 0.642),
    )
    for shell, low, high, rmerge, rmeas, rpim, isig, compl, mult, cc in shells:
        run.shells.append(
            ProcessingShell(
                shell=shell,
                resolution_low=low,
                resolution_high=high,
                r_merge=rmerge,
                r_meas=rmeas,
                r_pim=rpim,
                i_over_sigma=isig,
                completeness=compl,
                multiplicity=mult,
                cc_half=cc,
                anomalous_completeness=compl - 1.5,
                anomalous_multiplicity=mult / 2,
            )
        )
    session.add(run)
    session.flush()
    from faircat.catalogue.models.lims import processing_input

    for ds in raw:
        session.execute(processing_input.insert().values(run_id=run.id, dataset_id=ds.id))
