"""Fixtures of the release-request tests (builders and queries live in helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.workflow.helpers import SmtpServer, World, build_world, free_port


@pytest.fixture
def world(session: Session) -> World:
    """People and experiments in the test's one transaction (see helpers.build_world)."""
    return build_world(session)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A local SMTP server on a free port; a test may ``stop()`` and ``start()`` it."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()
