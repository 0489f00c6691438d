"""Portal sign-in sessions, kept server-side so that signing out really ends them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from faircat.catalogue.models.base import Base, UTCDateTime


class LoginSession(Base):
    """One signed-in browser. The cookie carries a random secret; only its SHA-256 is stored.

    A session cookie is signed, not encrypted, and a copy saved before sign-out would stay valid
    until it expires if the cookie alone decided. With this row the server decides: sign-out
    deletes it, a password change or deactivation deletes every row of the account, and a
    replayed cookie finds nothing. A leaked table gives no usable cookie (hashes only).
    """

    __tablename__ = "login_session"
    __table_args__ = (Index("ix_login_session_expires_at", "expires_at"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
