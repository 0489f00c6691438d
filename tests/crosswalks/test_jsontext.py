"""orjson output equals the standard library's for what the crosswalks serialise."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faircat.crosswalks import citations, datacite, jsontext, linkset, registry, schemaorg

from .cases import CASES

# Valid Unicode text (no lone surrogates: the crosswalks clean those away first).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=30,
)


def stdlib_compact(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


@given(VALUES)
def test_compact_and_indented_match_json(data: object) -> None:
    assert jsontext.compact(data) == stdlib_compact(data)
    indented = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert jsontext.indented(data) == indented.encode()


@given(VALUES)
def test_script_safe_is_json_without_markup(data: object) -> None:
    text = jsontext.script_safe(data)
    assert json.loads(text) == data
    for unsafe in ("<", ">", "&", "\u2028", "\u2029"):
        assert unsafe.encode() not in text


def test_script_safe_escapes() -> None:
    text = jsontext.script_safe({"title": "</script><b>&\u2028\u2029"})
    assert text == b'{"title":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\u2028\\u2029"}\n'


def test_lone_surrogate_is_refused_not_written() -> None:
    with pytest.raises(TypeError):
        jsontext.compact({"title": "\ud800"})


@pytest.mark.parametrize("case", sorted(CASES))
def test_published_json_files_match_json(case: str) -> None:
    record = CASES[case]()
    assert datacite.datacite_json(record) == stdlib_compact(datacite.to_datacite(record))
    script = stdlib_compact(schemaorg.to_schemaorg(record))
    for raw, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        script = script.replace(raw.encode(), escape.encode())
    script = script.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
    assert schemaorg.schemaorg_jsonld(record) == script
    csl = json.dumps([citations.csl_item(record)], ensure_ascii=False, indent=2) + "\n"
    assert citations.csl_json(record) == csl.encode()
    text = linkset.linkset_json(record, registry.metadata_files())
    assert text == (json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n").encode()
