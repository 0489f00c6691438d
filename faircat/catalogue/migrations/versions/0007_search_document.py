"""search_document, search_text: one search document per dataset, and its full-text index

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00.000000

``search_document`` holds, per dataset, the columns a search filters, groups and sorts on;
``search_text`` its words (faircat.catalogue.search.documents writes both). The full-text index
is the database's own, and is not modelled (models/search.py, ``include_name``):

- PostgreSQL: a stored generated ``tsvector`` column ``search_text.search_fts`` (head words
  weighted A, tail words D, configuration ``simple``: names and formulas are not English) and
  its GIN index ``search_fts_gin``;
- SQLite: an external-content FTS5 table ``search_fts`` over ``search_text`` (rowid = dataset
  id), kept in step by three triggers. A later migration that rebuilds ``search_text`` in batch
  mode drops those triggers with the old table: it must create them again
  (``_SQLITE_TRIGGERS``) and run ``INSERT INTO search_fts(search_fts) VALUES('rebuild')``.

``ix_parameter_search`` (type, value, dataset) answers a parameter range from the index alone.
The documents of existing datasets are written by ``faircat search reindex`` (docs/portal.md).
Downgrading drops the tables and the index; nothing else depends on them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import faircat.catalogue.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSTGRES_FULL_TEXT = (
    "ALTER TABLE search_text ADD COLUMN search_fts tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, head), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, tail), 'D')) STORED",
    "CREATE INDEX search_fts_gin ON search_text USING gin (search_fts)",
)
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(head, tail, content='search_text', "
    "content_rowid='dataset_id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER search_fts_insert AFTER INSERT ON search_text BEGIN "
    "INSERT INTO search_fts(rowid, head, tail) VALUES (new.dataset_id, new.head, new.tail); END",
    "CREATE TRIGGER search_fts_delete AFTER DELETE ON search_text BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, head, tail) "
    "VALUES ('delete', old.dataset_id, old.head, old.tail); END",
    "CREATE TRIGGER search_fts_update AFTER UPDATE ON search_text BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, head, tail) "
    "VALUES ('delete', old.dataset_id, old.head, old.tail); "
    "INSERT INTO search_fts(rowid, head, tail) VALUES (new.dataset_id, new.head, new.tail); END",
)


def upgrade() -> None:
    op.create_table(
        "search_document",
        sa.Column(
            "dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("investigation_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=True),
        sa.Column(
            "dataset_type",
            sa.Enum(
                "raw",
                "processed",
                "calibration",
                name="search_dataset_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "start_time", faircat.catalogue.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("techniques", sa.String(length=255), nullable=False),
        sa.Column("investigation_key", sa.String(length=32), nullable=False),
        sa.Column(
            "indexed_at", faircat.catalogue.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
            name=op.f("fk_search_document_dataset_id_dataset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instrument.id"],
            name=op.f("fk_search_document_instrument_id_instrument"),
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigation.id"],
            name=op.f("fk_search_document_investigation_id_investigation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_search_document")),
    )
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.create_index(
            "ix_search_document_instrument", ["instrument_id", "start_time"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_search_document_investigation_id"), ["investigation_id"], unique=False
        )
        batch_op.create_index(
            "ix_search_document_start", ["start_time", "dataset_id"], unique=False
        )
    op.create_table(
        "search_text",
        sa.Column(
            "dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("tail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["search_document.dataset_id"],
            name=op.f("fk_search_text_dataset_id_search_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_search_text")),
    )
    with op.batch_alter_table("parameter", schema=None) as batch_op:
        batch_op.create_index(
            "ix_parameter_search",
            ["parameter_type_id", "numeric_value", "dataset_id"],
            unique=False,
        )

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in _POSTGRES_FULL_TEXT:
            op.execute(statement)
    elif dialect == "sqlite":
        op.execute(_SQLITE_FTS)
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_fts_insert", "search_fts_delete", "search_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table("parameter", schema=None) as batch_op:
        batch_op.drop_index("ix_parameter_search")
    op.drop_table("search_text")  # PostgreSQL: its generated column and GIN index with it
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_index("ix_search_document_start")
        batch_op.drop_index(batch_op.f("ix_search_document_investigation_id"))
        batch_op.drop_index("ix_search_document_instrument")
    op.drop_table("search_document")
