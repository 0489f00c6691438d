"""Failed portal sign-ins, counted per account name and per client address (see throttle.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from faircat.catalogue.models.base import Base, UTCDateTime


class LoginThrottle(Base):
    """One counter per key (``account:<username>`` or ``address:<ip>``) for its current window.

    The row is kept in the database, not in a worker's memory, so every web worker sees the same
    counts. A row whose window has ended means the same as no row and may be deleted at any time.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_window_start", "window_start"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Failed attempts in the window, plus attempts still being checked (see throttle.reserve).
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
