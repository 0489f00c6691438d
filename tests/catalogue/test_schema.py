"""Migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from faircat.catalogue import schema
from faircat.catalogue.models import Base, Investigation, Parameter, ParameterType
from faircat.catalogue.vocab import ValueType
from tests.catalogue import factories as f


def test_migrated_schema_matches_the_models(catalogue):
    assert schema.current_revision(catalogue.engine) == schema.head_revision()
    assert schema.pending_changes(catalogue.engine) == []
    tables = set(inspect(catalogue.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_login_throttle_migration_downgrades_and_upgrades_again(catalogue):
    """0005 (login_throttle) goes down to 0004 and back up, with a counter in the table."""
    from alembic import command

    from faircat.catalogue import throttle

    throttle.begin(catalogue.engine, throttle.Policy(), ["account:pia"], datetime.now(UTC))
    config = schema.alembic_config()
    try:
        with catalogue.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        assert schema.current_revision(catalogue.engine) == "0004"
        assert "login_throttle" not in inspect(catalogue.engine).get_table_names()
    finally:
        schema.upgrade(catalogue.engine)  # later tests on this database need the head schema
    assert schema.current_revision(catalogue.engine) == schema.head_revision()
    assert schema.pending_changes(catalogue.engine) == []
    indexes = inspect(catalogue.engine).get_indexes("login_throttle")
    assert [i["name"] for i in indexes] == ["ix_login_throttle_window_start"]
    throttle.begin(catalogue.engine, throttle.Policy(), ["account:pia"], datetime.now(UTC))


def test_every_migration_downgrades_to_an_empty_database_and_back(catalogue):
    from alembic import command

    config = schema.alembic_config()
    try:
        with catalogue.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(catalogue.engine).get_table_names()) <= {"alembic_version"}
    finally:
        schema.upgrade(catalogue.engine)
    assert schema.current_revision(catalogue.engine) == schema.head_revision()
    assert schema.pending_changes(catalogue.engine) == []


def test_upgrade_is_idempotent_and_syncs_the_facility(catalogue):
    catalogue.upgrade()
    with catalogue.transaction() as session:
        from faircat.catalogue.facility import get_facility

        assert get_facility(session).name == "Test Light Source"


def test_datetimes_round_trip_as_utc(catalogue):
    madrid = timezone(timedelta(hours=2))
    with catalogue.transaction() as session:
        f.instrument(session)
        inv = f.investigation(session, "P1", start=datetime(2024, 5, 10, 10, tzinfo=madrid))
        inv_id = inv.id
    with catalogue.transaction() as session:
        inv = session.get(Investigation, inv_id)
        assert inv.start_date == datetime(2024, 5, 10, 8, tzinfo=UTC)
        assert inv.start_date.tzinfo is not None


def test_naive_datetimes_are_refused_by_the_column_type(catalogue):
    from sqlalchemy.exc import StatementError

    from faircat.catalogue.models import LogbookEvent

    with pytest.raises(StatementError, match="naive datetime"), catalogue.transaction() as session:
        session.add(
            LogbookEvent(
                type="annotation", category="comment", content="x", event_time=datetime(2024, 5, 10)
            )
        )


def test_parameter_needs_exactly_one_owner(catalogue):
    with pytest.raises(IntegrityError), catalogue.transaction() as session:
        ptype = ParameterType(name="temperature", unit="K", value_type=ValueType.NUMERIC)
        session.add(Parameter(type=ptype, numeric_value=100.0))
    with catalogue.transaction() as session:
        assert session.scalar(select(ParameterType)) is None  # nothing half-written
