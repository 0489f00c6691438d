"""Shared fixtures: schemas, goldens, settings and a fresh database per test on each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from faircat.catalogue.store import Catalogue
    from faircat.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing with them",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def schemas_dir() -> Path:
    """The official schemas: ../shared/schemas, or FAIRCAT_SCHEMAS_DIR.

    Absent schemas fail loudly: a validation test that silently passes is worse than none.
    """
    path = Path(os.environ.get("FAIRCAT_SCHEMAS_DIR", ROOT.parent / "shared" / "schemas"))
    if not (path / "oai-response.xsd").is_file():
        pytest.fail(
            f"official schemas not found at {path}: put shared/ beside the project "
            "or set FAIRCAT_SCHEMAS_DIR"
        )
    return path


# -- databases ---------------------------------------------------------------------------------
# Every test that asks for `catalogue` runs twice: on SQLite and on PostgreSQL. Each backend is
# migrated once per session; each test then gets an empty copy (SQLite: a copied file,
# PostgreSQL: truncated tables), which keeps the suite fast without sharing state.

PG_ENV = "FAIRCAT_TEST_DATABASE_URL"


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return f"faircat: PostgreSQL tests against {url}"
    return f"faircat: PostgreSQL tests SKIPPED ({PG_ENV} is not set); SQLite only"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from faircat.catalogue import schema
    from faircat.catalogue.db import make_engine

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import uuid

    from sqlalchemy import text

    from faircat.catalogue import schema
    from faircat.catalogue.db import make_engine

    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL not configured: set {PG_ENV} (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    name = f"faircat_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    from sqlalchemy import text

    from faircat.catalogue import schema
    from faircat.catalogue.db import make_engine
    from faircat.catalogue.models import Base

    engine = make_engine(url)
    with engine.begin() as connection:
        missing = connection.execute(text("SELECT to_regclass('public.investigation')")).scalar()
        if missing is None:  # a test dropped the schema (demo --reset): migrate again
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        else:
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    if missing is None:
        schema.upgrade(engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        import shutil

        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "faircat.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    from faircat.config import load_settings

    return load_settings(
        environ={},
        overrides={
            "database_url": database_url,
            "instance_path": str(tmp_path / "instance"),
            "site_dir": str(tmp_path / "site"),
            # files a test writes anywhere under its folder may be served (downloads, previews)
            "data_roots": str(tmp_path),
            "facility_name": "Test Light Source",
            "facility_short_name": "TLS",
            "facility_ror": "https://ror.org/05a28rw58",
            "facility_doi_prefix": "10.80100",
            "facility_base_url": "https://data.tls.example.org",
        },
    )


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment under which a ``faircat`` command uses the test's catalogue."""
    return {
        "FAIRCAT_DATABASE_URL": settings.database_url,
        "FAIRCAT_INSTANCE_PATH": str(settings.instance_path),
        "FAIRCAT_SITE_DIR": str(settings.site_dir),
        "FAIRCAT_CONFIG": "",
    }


@pytest.fixture
def catalogue(settings: Settings) -> Iterator[Catalogue]:
    from faircat.catalogue.store import Catalogue

    catalogue = Catalogue.open(settings)
    catalogue.upgrade()
    yield catalogue
    catalogue.close()


@pytest.fixture
def session(catalogue: Catalogue) -> Iterator[Session]:
    """A session in one transaction, committed at the end of the test (if it did not fail)."""
    with catalogue.transaction() as session:
        yield session
