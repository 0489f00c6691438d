"""login_throttle: failed portal sign-ins per account name and per client address

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:00:00.000000

One row per throttled key (``account:<username>``, ``address:<ip>``) and its current window;
faircat.catalogue.throttle counts, refuses and deletes rows whose window has ended. The table
holds only transient state: downgrading drops it (every counter starts again from zero).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import faircat.catalogue.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "window_start",
            faircat.catalogue.models.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index("ix_login_throttle_window_start", ["window_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index("ix_login_throttle_window_start")
    op.drop_table("login_throttle")
