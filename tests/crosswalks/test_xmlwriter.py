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
    xmltext,
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


# The escaping on its own: what makes the text serialisers well-formed by construction.


def _document(attribute: str, text: str) -> bytes:
    return f'<r a="{xmlwriter.safe_attr(attribute)}">{xmlwriter.safe_text(text)}</r>'.encode()


def test_escapes_every_value() -> None:
    root = parse(_document('a"b<c>&d\te\nf\rg', "<b>&amp;</b> ]]> \r\n"))
    assert root.get("a") == 'a"b<c>&d\te\nf\rg'
    assert root.text == "<b>&amp;</b> ]]> \r\n"
    root = parse(_document("\x00v\ud800\ufffe", "x\x01y\x1f"))
    assert (root.get("a"), root.text) == ("v", "xy")


@settings(max_examples=300, deadline=None)
@given(attribute=text, value=text)
def test_any_text_round_trips(attribute: str, value: str) -> None:
    """Strictly parsed back, every value is itself minus what XML 1.0 forbids."""
    root = parse(_document(attribute, value))
    assert root.get("a") == xmltext.clean(attribute)
    assert (root.text or "") == xmltext.clean(value)


def test_common_values_are_returned_as_they_are() -> None:
    value = "García Pérez, Anna (ALBA) 10.5072/x"
    assert xmlwriter.safe_text(value) is value
    assert xmlwriter.safe_attr(value) is value


def test_values_must_be_text() -> None:
    with pytest.raises(AttributeError):
        xmlwriter.safe_text(5)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        xmlwriter.safe_attr(None)  # type: ignore[arg-type]


def test_item_cache_keys_on_names_and_values() -> None:
    """Items with the same values under other attribute names are not confused, and the
    cache of rendered items stays bounded."""
    data = datacite.to_datacite(cases.full())
    first = datacite_xml.xml_bytes(data)
    swapped = {**data, "subjects": [{"subject": "x", "subjectScheme": "PaNET"}]}
    other = {**data, "subjects": [{"subject": "x", "classificationCode": "PaNET"}]}
    assert b'<subject subjectScheme="PaNET">x</subject>' in datacite_xml.xml_bytes(swapped)
    assert b'<subject classificationCode="PaNET">x</subject>' in datacite_xml.xml_bytes(other)
    for n in range(datacite_xml._ITEM_CACHE_SIZE + 10):
        datacite_xml.xml_bytes({**data, "subjects": [{"subject": f"s{n}", "subjectScheme": "k"}]})
    assert len(datacite_xml._ITEM_CACHE) <= datacite_xml._ITEM_CACHE_SIZE
    assert datacite_xml.xml_bytes(data) == first
