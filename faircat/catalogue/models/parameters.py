"""Typed parameters with units, attached to an investigation, dataset, datafile or sample."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import Base, BigId, BigIdMixin, IdMixin, UTCDateTime
from faircat.catalogue.models.types import enum_type
from faircat.catalogue.vocab import ValueType


class ParameterType(IdMixin, Base):
    """A name + unit + value type; NeXus fields become parameter types named by their path."""

    __tablename__ = "parameter_type"
    __table_args__ = (UniqueConstraint("name", "unit"),)

    name: Mapped[str] = mapped_column(String(255))
    unit: Mapped[str] = mapped_column(String(64), default="")  # "" = dimensionless / none
    value_type: Mapped[ValueType] = mapped_column(enum_type(ValueType, "value_type"))
    description: Mapped[str | None] = mapped_column(Text)
    # Restricted parameters are never published, even when their dataset is public.
    public: Mapped[bool] = mapped_column(default=True)


class Parameter(BigIdMixin, Base):
    """One value; exactly one owner column is set (checked by the database)."""

    __tablename__ = "parameter"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN investigation_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN dataset_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN datafile_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN sample_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
        # PaNOSC filters: parameter name + numeric range.
        Index("ix_parameter_type_numeric", "parameter_type_id", "numeric_value"),
    )

    parameter_type_id: Mapped[int] = mapped_column(ForeignKey("parameter_type.id"))
    investigation_id: Mapped[int | None] = mapped_column(
        ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    dataset_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("dataset.id", ondelete="CASCADE"), index=True
    )
    datafile_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("datafile.id", ondelete="CASCADE"), index=True
    )
    sample_id: Mapped[int | None] = mapped_column(
        ForeignKey("sample.id", ondelete="CASCADE"), index=True
    )
    numeric_value: Mapped[float | None] = mapped_column(Float)
    string_value: Mapped[str | None] = mapped_column(Text)
    datetime_value: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[float | None] = mapped_column(Float)

    type: Mapped[ParameterType] = relationship(lazy="joined")

    @property
    def value(self) -> float | str | datetime | None:
        if self.numeric_value is not None:
            return self.numeric_value
        if self.datetime_value is not None:
            return self.datetime_value
        return self.string_value
