"""Fixtures of the publisher tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.publisher.exportworld import build_world


@pytest.fixture
def world(catalogue, tmp_path: Path):
    """Experiments in every state, with sentinels planted in everything restricted."""
    return build_world(catalogue, tmp_path)
