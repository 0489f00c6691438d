"""Samples, datasets (with raw -> processed provenance) and datafiles."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import (
    Base,
    BigId,
    BigIdMixin,
    IdMixin,
    TimestampMixin,
    UTCDateTime,
)
from faircat.catalogue.models.types import enum_type
from faircat.catalogue.vocab import DatasetType

if TYPE_CHECKING:
    from faircat.catalogue.models.facility import Instrument, Technique
    from faircat.catalogue.models.investigation import Investigation
    from faircat.catalogue.models.lims import Container

dataset_technique = Table(
    "dataset_technique",
    Base.metadata,
    Column("dataset_id", BigId, ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True),
    Column("technique_id", ForeignKey("technique.id"), primary_key=True, index=True),
)

# Provenance: a processed dataset lists the datasets it was derived from.
dataset_input = Table(
    "dataset_input",
    Base.metadata,
    Column("dataset_id", BigId, ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True),
    Column("input_id", BigId, ForeignKey("dataset.id"), primary_key=True, index=True),
)


class Sample(IdMixin, TimestampMixin, Base):
    __tablename__ = "sample"
    __table_args__ = (UniqueConstraint("investigation_id", "name"),)

    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigation.id"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    chemical_formula: Mapped[str | None] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sample.id"), index=True)
    # MX: where the sample sits in its puck or plate.
    container_id: Mapped[int | None] = mapped_column(ForeignKey("container.id"), index=True)
    position: Mapped[int | None]

    investigation: Mapped[Investigation] = relationship(back_populates="samples")
    parent: Mapped[Sample | None] = relationship(remote_side="Sample.id")
    container: Mapped[Container | None] = relationship(back_populates="samples")


class Dataset(BigIdMixin, TimestampMixin, Base):
    __tablename__ = "dataset"
    __table_args__ = (
        UniqueConstraint("investigation_id", "name"),
        Index("ix_dataset_instrument_start", "instrument_id", "start_time"),
        Index("ix_dataset_updated", "updated_at"),
    )

    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigation.id"))
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instrument.id"))
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("sample.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[DatasetType] = mapped_column(
        enum_type(DatasetType, "dataset_type"), default=DatasetType.RAW
    )
    definition: Mapped[str | None] = mapped_column(String(64))  # NeXus application definition
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(Text)
    complete: Mapped[bool] = mapped_column(default=False)
    doi: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Denormalised totals, kept by the ingest, so listings never sum millions of files.
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    file_count: Mapped[int] = mapped_column(default=0)
    # NeXus default plot, for previews: HDF5 path of the NXdata group.
    plot_path: Mapped[str | None] = mapped_column(String(255))

    investigation: Mapped[Investigation] = relationship(back_populates="datasets")
    instrument: Mapped[Instrument | None] = relationship()
    sample: Mapped[Sample | None] = relationship()
    techniques: Mapped[list[Technique]] = relationship(secondary=dataset_technique)
    inputs: Mapped[list[Dataset]] = relationship(
        secondary=dataset_input,
        primaryjoin=lambda: Dataset.id == dataset_input.c.dataset_id,
        secondaryjoin=lambda: Dataset.id == dataset_input.c.input_id,
    )
    files: Mapped[list[Datafile]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan"
    )


class Datafile(BigIdMixin, TimestampMixin, Base):
    __tablename__ = "datafile"

    dataset_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("dataset.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    location: Mapped[str] = mapped_column(Text, unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(80))  # "sha256:<hex>"
    format: Mapped[str | None] = mapped_column(String(128))
    file_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    file_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    dataset: Mapped[Dataset] = relationship(back_populates="files")
