"""The streaming XML writer against lxml, the reference: same document (C14N), valid, well-formed.

Also: :func:`registry.render_core` (the combined fast path) gives exactly the bytes of each
format's own function, and the writer refuses everything that could break well-formedness.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from faircat.crosswalks import (
    datacite,
    datacite_xml,
    oai_datacite,
    oai_dc,
    registry,
    schemaorg,
    xmlwriter,
)
from faircat.crosswalks.view import Funding, Organization, Person, Record

from . import cases
from .cases import CASES
from .test_schemas import KERNEL_4, KERNEL_45, OAI_DATACITE, OAI_DC, assert_valid, parse


def c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


def reference_bytes(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def writer_and_reference(record: Record) -> list[tuple[str, bytes, etree._Element]]:
    """(name, writer bytes, lxml reference element) for each XML format."""
    data = datacite.to_datacite(record)
    return [
        ("datacite", datacite_xml.xml_bytes(data), datacite_xml.element_from_json(data)),
        ("oai_dc", oai_dc.oai_dc_xml(record), oai_dc.reference_element(record)),
        (
            "oai_datacite",
            oai_datacite.oai_datacite_xml(record),
            oai_datacite.reference_element(record),
        ),
    ]


def assert_same_as_reference(record: Record) -> None:
    for name, fast, reference in writer_and_reference(record):
        ours = parse(fast)  # strict: no recovery, no entities, no network
        theirs = parse(reference_bytes(reference))
        assert c14n(ours) == c14n(theirs), name


def assert_valid_everywhere(record: Record, xsd) -> None:
    assert_valid(xsd(KERNEL_45), parse(datacite_xml.datacite_xml(record)))
    assert_valid(xsd(KERNEL_4), parse(datacite_xml.datacite_xml(record)))
    assert_valid(xsd(OAI_DC), parse(oai_dc.oai_dc_xml(record)))
    assert_valid(xsd(OAI_DATACITE), parse(oai_datacite.oai_datacite_xml(record)))


ALL_CASES = pytest.mark.parametrize("case", [*CASES, "huge_abstract"])


@ALL_CASES
def test_writer_equals_lxml_reference(case: str, xsd) -> None:
    record = cases.huge_abstract() if case == "huge_abstract" else CASES[case]()
    assert_same_as_reference(record)
    assert_valid_everywhere(record, xsd)


@pytest.mark.parametrize("case", CASES)
def test_writer_bytes_equal_reference_bytes(case: str) -> None:
    """Same layout as lxml's pretty printer, byte for byte (the goldens did not change)."""
    for name, fast, reference in writer_and_reference(CASES[case]()):
        assert fast == reference_bytes(reference), name


@pytest.mark.parametrize("case", CASES)
def test_elements_equal_reference(case: str) -> None:
    """The OAI-PMH element API (the writer's bytes parsed back) gives the reference tree."""
    record = CASES[case]()
    data = datacite.to_datacite(record)
    pairs = [
        (datacite_xml.datacite_element(record), datacite_xml.element_from_json(data)),
        (oai_dc.oai_dc_element(record), oai_dc.reference_element(record)),
        (oai_datacite.oai_datacite_element(record), oai_datacite.reference_element(record)),
    ]
    for ours, theirs in pairs:
        assert c14n(ours) == c14n(theirs)


@pytest.mark.parametrize("case", CASES)
def test_render_core_equals_each_format(case: str) -> None:
    record = CASES[case]()
    core = registry.render_core(record)
    assert tuple(core) == registry.CORE_FILES
    assert core["datacite.xml"] == datacite_xml.datacite_xml(record)
    assert core["datacite.json"] == datacite.datacite_json(record)
    assert core["schemaorg.jsonld"] == schemaorg.schemaorg_jsonld(record)
    assert core["oai_dc.xml"] == oai_dc.oai_dc_xml(record)
    files = registry.render_files(record)
    for fmt in registry.file_formats():
        assert files[fmt.file_name] == fmt.render(record), fmt.name


text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=text, abstract=text, given_name=text, family=text, keyword=text, attribute=text)
def test_any_text_same_as_reference(
    title, abstract, given_name, family, keyword, attribute, xsd
) -> None:
    record = replace(
        cases.full(),
        title="T" + title,
        description=abstract,
        creators=(Person(given_name, "F" + family), Organization("O" + keyword, ror=attribute)),
        keywords=(keyword,),
        # Attribute values: awardURI and the ROR identifiers carry arbitrary text here.
        fundings=(Funding("EC", award_number="1" + keyword, award_uri=attribute),),
    )
    assert_same_as_reference(record)
    assert_valid(xsd(OAI_DC), parse(oai_dc.oai_dc_xml(record)))
    assert registry.render_core(record)["datacite.xml"] == datacite_xml.datacite_xml(record)


# The writer on its own.

DIALECT = xmlwriter.Dialect({None: "urn:a", "p": "urn:p"})


def test_escapes_every_value() -> None:
    w = DIALECT.writer("root", {"p:x": 'a"b<c>&d\te\nf\rg'})
    w.leaf("t", "<b>&amp;</b> ]]> \r\n")
    w.start("c", {"k": "\x00v\ud800\ufffe"})
    w.leaf("p:t", "x\x01y\x1f", {"xml:lang": "en"})
    w.end("c")
    data = w.finish()
    root = parse(data)
    assert root.get("{urn:p}x") == 'a"b<c>&d\te\nf\rg'
    assert root[0].text == "<b>&amp;</b> ]]> \r\n"
    assert root[1].get("k") == "v"
    assert root[1][0].text == "xy"
    assert root[1][0].get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_layout_like_lxml() -> None:
    w = DIALECT.writer("root")
    w.start("empty", {"a": "1"})
    w.end()
    w.leaf("blank", "")
    w.start("outer")
    w.leaf("inner", "x")
    w.end()
    expected = etree.Element("{urn:a}root", nsmap={None: "urn:a", "p": "urn:p"})
    etree.SubElement(expected, "{urn:a}empty", a="1")
    etree.SubElement(expected, "{urn:a}blank").text = ""
    etree.SubElement(etree.SubElement(expected, "{urn:a}outer"), "{urn:a}inner").text = "x"
    assert w.finish() == reference_bytes(expected)


@pytest.mark.parametrize(
    "bad_tag", ["a b", "<x>", "a>", "1a", "q:t", "", "a:b:c", "x\x00", "é", "a\n"], ids=repr
)
def test_rejects_bad_names(bad_tag: str) -> None:
    w = DIALECT.writer("root")
    with pytest.raises(ValueError):
        w.leaf(bad_tag, "x")
    with pytest.raises(ValueError):
        w.leaf("t", "x", {bad_tag: "v"})


def test_rejects_namespace_declarations_as_attributes() -> None:
    w = DIALECT.writer("root")
    for name in ("xmlns", "xmlns:q"):
        with pytest.raises(ValueError):
            w.leaf("t", "x", {name: "urn:q"})


def test_refuses_unbalanced_documents() -> None:
    w = DIALECT.writer("root")
    w.start("a")
    with pytest.raises(ValueError, match="unclosed"):
        w.finish()
    with pytest.raises(ValueError, match="open"):
        w.end("b")
    w = DIALECT.writer("root")
    with pytest.raises(ValueError, match="root"):
        w.end()


def test_values_must_be_text() -> None:
    w = DIALECT.writer("root")
    with pytest.raises((TypeError, AttributeError)):
        w.leaf("t", 5)  # type: ignore[arg-type]
    with pytest.raises((TypeError, AttributeError)):
        w.leaf("t", "x", {"a": None})  # type: ignore[dict-item]


def test_dialect_checks() -> None:
    with pytest.raises(ValueError):
        xmlwriter.Dialect({"a": "urn:x", "b": "urn:x"})  # a:k and b:k would be one attribute
    with pytest.raises(ValueError):
        xmlwriter.Dialect({"xmlfoo": "urn:x"})
    with pytest.raises(ValueError):
        DIALECT.attr_map({"a": "k", "b": "k"})


def test_leaves_equals_leaf() -> None:
    names = DIALECT.attr_map({"text": "unused", "kind": "kind", "uri": "p:uri"})
    items = [{"text": "a&b", "kind": 'q"'}, {"text": "c"}, {"uri": "\t", "text": ""}]
    one = DIALECT.writer("root")
    one.leaves("item", items, "text", names)
    other = DIALECT.writer("root")
    other.leaf("item", "a&b", {"kind": 'q"'})
    other.leaf("item", "c")
    other.leaf("item", "", {"p:uri": "\t"})
    assert one.finish() == other.finish()
