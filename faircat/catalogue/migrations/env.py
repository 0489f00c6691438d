"""Alembic environment: runs on the connection handed in by faircat.catalogue.schema."""

from __future__ import annotations

from alembic import context

from faircat.catalogue.models import Base
from faircat.catalogue.models.search import include_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through 'faircat db upgrade'")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER needs batch mode
        compare_type=True,
        include_name=include_name,  # full-text objects of one database only (models/search.py)
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
