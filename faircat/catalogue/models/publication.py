"""Data publications (DOIs): one per experiment, one per curated selection of datasets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import Base, BigId, IdMixin, TimestampMixin, UTCDateTime
from faircat.catalogue.models.types import enum_type
from faircat.catalogue.vocab import DoiState, PublicationKind

publication_dataset = Table(
    "publication_dataset",
    Base.metadata,
    Column(
        "publication_id", ForeignKey("data_publication.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("dataset_id", BigId, ForeignKey("dataset.id"), primary_key=True, index=True),
)


class DataPublication(IdMixin, TimestampMixin, Base):
    __tablename__ = "data_publication"
    __table_args__ = (
        Index("ix_publication_investigation", "investigation_id", "kind"),
        Index("ix_publication_updated", "updated_at"),
    )

    kind: Mapped[PublicationKind] = mapped_column(enum_type(PublicationKind, "publication_kind"))
    investigation_id: Mapped[int | None] = mapped_column(ForeignKey("investigation.id"))
    dataset_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("dataset.id"), index=True)
    doi: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(32))
    keywords: Mapped[str | None] = mapped_column(Text)  # comma separated, free text
    doi_state: Mapped[DoiState] = mapped_column(
        enum_type(DoiState, "doi_state"), default=DoiState.NONE
    )
    # The state the registry should reach; the outbox works until doi_state matches.
    doi_target_state: Mapped[DoiState] = mapped_column(
        enum_type(DoiState, "doi_target_state"), default=DoiState.NONE
    )
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    creators: Mapped[list[PublicationCreator]] = relationship(
        back_populates="publication",
        cascade="all, delete-orphan",
        order_by="PublicationCreator.position",
    )
    dates: Mapped[list[PublicationDate]] = relationship(cascade="all, delete-orphan")
    related_items: Mapped[list[RelatedItem]] = relationship(cascade="all, delete-orphan")
    funding: Mapped[list[FundingReference]] = relationship(cascade="all, delete-orphan")


class PublicationCreator(IdMixin, Base):
    __tablename__ = "publication_creator"
    __table_args__ = (UniqueConstraint("publication_id", "position"),)

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("data_publication.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    full_name: Mapped[str] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(128))
    family_name: Mapped[str | None] = mapped_column(String(128))
    orcid: Mapped[str | None] = mapped_column(String(19))
    affiliation: Mapped[str | None] = mapped_column(String(255))
    affiliation_ror: Mapped[str | None] = mapped_column(String(255))
    # "creator", or a DataCite contributorType such as ContactPerson.
    contributor_type: Mapped[str] = mapped_column(String(32), default="creator")

    publication: Mapped[DataPublication] = relationship(back_populates="creators")


class PublicationDate(IdMixin, Base):
    __tablename__ = "publication_date"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("data_publication.id", ondelete="CASCADE"), index=True
    )
    date_type: Mapped[str] = mapped_column(String(32))  # DataCite dateType
    value: Mapped[str] = mapped_column(String(64))  # RKMS-ISO8601, may be a range
    information: Mapped[str | None] = mapped_column(Text)


class RelatedItem(IdMixin, Base):
    __tablename__ = "related_item"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("data_publication.id", ondelete="CASCADE"), index=True
    )
    identifier: Mapped[str] = mapped_column(String(512))
    identifier_type: Mapped[str] = mapped_column(String(32))  # DOI, URL, ...
    relation_type: Mapped[str] = mapped_column(String(64))  # IsSupplementTo, IsCitedBy, ...
    resource_type_general: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)


class FundingReference(IdMixin, Base):
    __tablename__ = "funding_reference"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("data_publication.id", ondelete="CASCADE"), index=True
    )
    funder_name: Mapped[str] = mapped_column(String(255))
    funder_identifier: Mapped[str | None] = mapped_column(String(255))
    funder_identifier_type: Mapped[str | None] = mapped_column(String(32))  # ROR, Crossref...
    award_number: Mapped[str | None] = mapped_column(String(128))
    award_title: Mapped[str | None] = mapped_column(Text)
