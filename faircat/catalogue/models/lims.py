"""MX LIMS (ISPyB-like): shipments, parcels, containers, sample plans, processing results."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Float, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import (
    Base,
    BigId,
    CreatedMixin,
    IdMixin,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)
from faircat.catalogue.models.types import enum_type
from faircat.catalogue.vocab import ContainerType, ParcelStatus, ProcessingStatus, ShellType

if TYPE_CHECKING:
    from faircat.catalogue.models.data import Sample


class Shipment(IdMixin, TimestampMixin, Base):
    __tablename__ = "shipment"

    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigation.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    courier: Mapped[str | None] = mapped_column(String(128))
    comments: Mapped[str | None] = mapped_column(Text)

    parcels: Mapped[list[Parcel]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan"
    )


class Parcel(IdMixin, CreatedMixin, Base):
    """A box (dewar) in a shipment; its current status is the newest history row."""

    __tablename__ = "parcel"

    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipment.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    storage_condition: Mapped[str | None] = mapped_column(String(64))  # e.g. "LN2 dry shipper"

    shipment: Mapped[Shipment] = relationship(back_populates="parcels")
    history: Mapped[list[ParcelEvent]] = relationship(
        back_populates="parcel", cascade="all, delete-orphan", order_by="ParcelEvent.at"
    )
    containers: Mapped[list[Container]] = relationship(back_populates="parcel")

    @property
    def status(self) -> ParcelStatus | None:
        return self.history[-1].status if self.history else None


class ParcelEvent(IdMixin, Base):
    __tablename__ = "parcel_event"
    __table_args__ = (Index("ix_parcel_event_parcel_at", "parcel_id", "at"),)

    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"))
    status: Mapped[ParcelStatus] = mapped_column(enum_type(ParcelStatus, "parcel_status"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str | None] = mapped_column(Text)

    parcel: Mapped[Parcel] = relationship(back_populates="history")


class Container(IdMixin, Base):
    __tablename__ = "container"

    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcel.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))  # puck barcode / name
    type: Mapped[ContainerType] = mapped_column(enum_type(ContainerType, "container_type"))
    capacity: Mapped[int] = mapped_column(default=16)
    # Where the sample changer holds it at the beamline, e.g. "cell 3, position 2".
    sample_changer_location: Mapped[str | None] = mapped_column(String(64))

    parcel: Mapped[Parcel | None] = relationship(back_populates="containers")
    samples: Mapped[list[Sample]] = relationship(back_populates="container")


class UnitCellMixin:
    """A unit cell: edges in angstrom, angles in degrees (planned or found by processing)."""

    cell_a: Mapped[float | None] = mapped_column(Float)
    cell_b: Mapped[float | None] = mapped_column(Float)
    cell_c: Mapped[float | None] = mapped_column(Float)
    cell_alpha: Mapped[float | None] = mapped_column(Float)
    cell_beta: Mapped[float | None] = mapped_column(Float)
    cell_gamma: Mapped[float | None] = mapped_column(Float)


class SamplePlan(UnitCellMixin, IdMixin, Base):
    """Experiment and processing plan for one MX sample."""

    __tablename__ = "sample_plan"

    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"), unique=True)
    protein_acronym: Mapped[str] = mapped_column(String(64), index=True)
    required_resolution: Mapped[float | None] = mapped_column(Float)  # angstrom
    required_completeness: Mapped[float | None] = mapped_column(Float)  # percent
    required_multiplicity: Mapped[float | None] = mapped_column(Float)
    beam_size: Mapped[float | None] = mapped_column(Float)  # micrometre
    space_group: Mapped[str | None] = mapped_column(String(32))
    search_models: Mapped[str | None] = mapped_column(Text)  # PDB ids or file names


processing_input = Table(
    "processing_input",
    Base.metadata,
    Column("run_id", ForeignKey("processing_run.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_id", BigId, ForeignKey("dataset.id"), primary_key=True, index=True),
)


class ProcessingRun(UnitCellMixin, IdMixin, TimestampMixin, Base):
    __tablename__ = "processing_run"

    program: Mapped[str] = mapped_column(String(64))  # autoPROC, xia2, XDS...
    status: Mapped[ProcessingStatus] = mapped_column(
        enum_type(ProcessingStatus, "processing_status")
    )
    output_dataset_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("dataset.id"), index=True
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message: Mapped[str | None] = mapped_column(Text)
    space_group: Mapped[str | None] = mapped_column(String(32))

    shells: Mapped[list[ProcessingShell]] = relationship(cascade="all, delete-orphan")


class ProcessingShell(IdMixin, Base):
    """Statistics of one resolution shell (overall, inner, outer) of a processing run."""

    __tablename__ = "processing_shell"
    __table_args__ = (UniqueConstraint("run_id", "shell"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("processing_run.id", ondelete="CASCADE"))
    shell: Mapped[ShellType] = mapped_column(enum_type(ShellType, "shell_type"))
    resolution_low: Mapped[float | None] = mapped_column(Float)
    resolution_high: Mapped[float | None] = mapped_column(Float)
    r_merge: Mapped[float | None] = mapped_column(Float)
    r_meas: Mapped[float | None] = mapped_column(Float)
    r_pim: Mapped[float | None] = mapped_column(Float)
    i_over_sigma: Mapped[float | None] = mapped_column(Float)
    completeness: Mapped[float | None] = mapped_column(Float)
    multiplicity: Mapped[float | None] = mapped_column(Float)
    cc_half: Mapped[float | None] = mapped_column(Float)
    anomalous_completeness: Mapped[float | None] = mapped_column(Float)
    anomalous_multiplicity: Mapped[float | None] = mapped_column(Float)
