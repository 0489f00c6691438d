"""Compiled official schemas (once per session) and the golden-file comparison."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

GOLDENS = Path(__file__).parent / "goldens"


def _schema(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


@pytest.fixture(scope="session")
def xsd(schemas_dir: Path) -> Callable[[str], etree.XMLSchema]:
    """``xsd("datacite/kernel-4/metadata.xsd")``: the compiled schema, cached for the session."""
    cache: dict[str, etree.XMLSchema] = {}

    def get(relative: str) -> etree.XMLSchema:
        if relative not in cache:
            cache[relative] = _schema(schemas_dir / relative)
        return cache[relative]

    return get


@pytest.fixture(scope="session")
def golden(update_goldens: bool) -> Callable[[str, bytes], None]:
    """``golden("full/datacite.xml", output)``: compare with (or, updating, rewrite) the file."""

    def check(name: str, output: bytes) -> None:
        path = GOLDENS / name
        if update_goldens:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(output)
            return
        if not path.is_file():
            pytest.fail(f"golden {path} is missing: run pytest --update-goldens and review it")
        expected = path.read_bytes()
        if output != expected:
            assert output.decode("utf-8") == expected.decode("utf-8"), (
                f"{name} differs from its golden; if the change is intended, "
                "run pytest --update-goldens and review the diff"
            )

    return check
