"""Every case x format equals its reviewed golden file (``pytest --update-goldens`` rewrites)."""

from __future__ import annotations

import json
from functools import cache

import pytest

from .cases import CASES
from .outputs import FILE_NAMES, outputs

COMPACT_JSON = {"datacite.json", "schemaorg.jsonld"}


@cache
def rendered(case: str) -> dict[str, bytes]:
    return outputs(CASES[case]())


@pytest.mark.parametrize("file_name", FILE_NAMES)
@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, file_name: str, golden) -> None:
    output = rendered(case)[file_name]
    if file_name in COMPACT_JSON:
        # Published compact (fast to write, small); the golden is the same JSON indented so a
        # reviewer can read its diff. Escapes and key order are checked in test_schemas.
        output = json.dumps(json.loads(output), ensure_ascii=False, indent=2).encode() + b"\n"
    golden(f"{case}/{file_name}", output)


def test_every_output_has_a_golden_name() -> None:
    assert set(rendered("full")) == set(FILE_NAMES)
