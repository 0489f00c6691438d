"""User accounts, facility roles and hashed API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from faircat.catalogue.models.base import Base, CreatedMixin, IdMixin, TimestampMixin, UTCDateTime
from faircat.catalogue.models.types import enum_type
from faircat.catalogue.vocab import Role


class User(IdMixin, TimestampMixin, Base):
    """A person or a service account.

    People found in NeXus NXuser groups get an account without a password (``active`` false
    until they claim it), matched later by ORCID or e-mail.
    """

    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(128), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(128))
    family_name: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    orcid: Mapped[str | None] = mapped_column(String(19), unique=True)
    affiliation: Mapped[str | None] = mapped_column(String(255))
    affiliation_ror: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def role_names(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(IdMixin, CreatedMixin, Base):
    """An API token: only the SHA-256 of the secret is stored.

    Tokens are 256-bit random secrets, so a fast hash is enough (no dictionary to attack) and
    lets the web layer find a token with one indexed lookup.
    """

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings to recognise a token
    # An ingest token is bound to one instrument: it may only write there.
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instrument.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")
