"""The catalogue as one object: settings, engine and session factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from faircat.catalogue import schema
from faircat.catalogue.db import make_engine, make_sessionmaker, transaction
from faircat.catalogue.facility import sync_facility
from faircat.config import Settings
from faircat.errors import ConfigError


@dataclass
class Catalogue:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, settings: Settings) -> Catalogue:
        engine = make_engine(settings.database_url)
        return cls(settings, engine, make_sessionmaker(engine))

    def upgrade(self) -> str | None:
        """Migrate to the newest schema and apply the facility profile; returns the revision."""
        schema.upgrade(self.engine)
        with self.transaction() as session:
            sync_facility(session, self.settings)
        return schema.current_revision(self.engine)

    def check_schema(self) -> None:
        current, head = schema.current_revision(self.engine), schema.head_revision()
        if current != head:
            raise ConfigError(
                f"the catalogue database is at revision {current or 'none'}, the code needs "
                f"{head}: run 'faircat db upgrade'"
            )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
