"""login_session: portal sessions kept server-side (sign-out ends them)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:00:00.000000

One row per signed-in browser, keyed by the SHA-256 of the secret in its session cookie.
Sign-out deletes the row, a password change or deactivation deletes all of the account's rows.
Transient state: downgrading drops the table (everybody signs in again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import faircat.catalogue.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", faircat.catalogue.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", faircat.catalogue.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_login_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_login_session")),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index("ix_login_session_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))
        batch_op.drop_index("ix_login_session_expires_at")
    op.drop_table("login_session")
