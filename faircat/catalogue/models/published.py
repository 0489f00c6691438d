"""What has been published: one row per public, metadata-only or withdrawn record.

Written only by the publisher, from the public view; read by the static export (listings,
sitemap, search index) and by the OAI-PMH provider, which never touches the restricted tables.
Metadata is serialised once per format at publish time, so serving a page of records is a read
of stored text. ``datestamp`` moves whenever what is exposed changes (release, amendment,
withdrawal): it is the OAI-PMH datestamp.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from faircat.catalogue.models.base import Base, BigId, BigIdMixin, UTCDateTime


class PublishedRecord(BigIdMixin, Base):
    __tablename__ = "published_record"
    __table_args__ = (
        Index("ix_published_record_datestamp", "datestamp", "id"),
        Index("ix_published_record_investigation", "investigation_id"),
    )

    pid: Mapped[str] = mapped_column(String(255), unique=True)  # the DOI
    kind: Mapped[str] = mapped_column(String(16))  # experiment | dataset | selection
    status: Mapped[str] = mapped_column(String(16))  # open | embargoed | withdrawn
    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigation.id"))
    dataset_id: Mapped[int | None] = mapped_column(BigId)
    datestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)  # landing page path, "/doi/<prefix>/<suffix>/"
    title: Mapped[str] = mapped_column(Text)
    snippet: Mapped[str] = mapped_column(Text, default="")  # for listings and search
    release_year: Mapped[int | None]
    # Listing and OAI set memberships, newline-separated (read for every record on every
    # export: plain text splits ten times faster than JSON decodes).
    beamlines: Mapped[str] = mapped_column(Text, default="")
    techniques: Mapped[str] = mapped_column(Text, default="")  # PaNET IRIs
    technique_names: Mapped[str] = mapped_column(Text, default="")
    # The record header's <setSpec> elements, ready to embed (empty when not exposed by OAI).
    set_specs: Mapped[str] = mapped_column(Text, default="")


class PublishedMetadata(Base):
    """A record's metadata in one format (``oai_dc``, ``oai_datacite``, ``datacite``), without
    the XML declaration, ready to embed. Kept apart from the record row so that listing every
    record reads a few small columns, not kilobytes of XML per record.
    """

    __tablename__ = "published_metadata"

    record_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("published_record.id", ondelete="CASCADE"), primary_key=True
    )
    format: Mapped[str] = mapped_column(String(32), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


class PublishedSet(Base):
    """OAI-PMH set membership of a record, one row per set and ancestor set (``beamline`` and
    ``beamline:xaloc``). The record's datestamp is copied here so that a selective harvest is
    one range scan of ``(spec, datestamp, record_id)``, however rare the set.
    """

    __tablename__ = "published_set"
    __table_args__ = (
        PrimaryKeyConstraint("record_id", "spec"),
        Index("ix_published_set_keyset", "spec", "datestamp", "record_id"),
    )

    record_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("published_record.id", ondelete="CASCADE")
    )
    spec: Mapped[str] = mapped_column(String(255))
    datestamp: Mapped[datetime] = mapped_column(UTCDateTime())


class OaiSet(Base):
    """The name of every set the publisher has used (for ListSets)."""

    __tablename__ = "oai_set"

    spec: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class PublishState(Base):
    """Small key/value state of the publisher (e.g. the time of the last publish run)."""

    __tablename__ = "publish_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[datetime] = mapped_column(UTCDateTime())
