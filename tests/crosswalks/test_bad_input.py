"""Hostile text, huge abstracts, missing fields: outputs stay valid; missing essentials raise."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from datacite import schema45
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from faircat.crosswalks import datacite, datacite_xml, oai_dc, schemaorg
from faircat.crosswalks.view import Organization, Person
from faircat.errors import MetadataError

from . import cases
from .outputs import outputs
from .test_schemas import KERNEL_4, OAI_DC, assert_valid, parse


def test_huge_abstract_stays_valid(xsd) -> None:
    record = cases.huge_abstract()
    assert len(record.description) >= 100_000
    rendered = outputs(record)
    assert_valid(xsd(KERNEL_4), parse(rendered["datacite.xml"]))
    assert_valid(xsd(OAI_DC), parse(rendered["oai_dc.xml"]))
    assert schema45.validate(copy.deepcopy(datacite.to_datacite(record)))


def test_hostile_text_cannot_close_a_script() -> None:
    text = schemaorg.schemaorg_jsonld(cases.hostile()).decode()
    assert "</script" not in text.lower() and "<!--" not in text and "]]>" not in text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"creators": ()}, "creators"),
        ({"creators": (Person(), Organization("  "))}, "creators"),
        ({"title": ""}, "title"),
        ({"title": " \x00\x01 "}, "title"),
        ({"doi": ""}, "doi"),
        ({"doi": "not-a-doi"}, "doi"),
    ],
)
def test_missing_mandatory_field_names_record_and_field(change: dict, field: str) -> None:
    record = replace(cases.full(), **change)
    for fmt_name, render in _every_renderer():
        with pytest.raises(MetadataError) as caught:
            render(record)
        assert caught.value.field == field, fmt_name
        assert caught.value.record in (record.doi, f"dataset {record.local_id}")
        assert field in str(caught.value)


def test_missing_publication_year() -> None:
    record = replace(cases.full(), dates=replace(cases.full().dates, available=None, issued=None))
    with pytest.raises(MetadataError, match="publication_year"):
        datacite.to_datacite(record)


def _every_renderer():
    from faircat.crosswalks import citations, linkset, registry

    for fmt in registry.FORMATS:
        yield fmt.name, fmt.render
    yield "apa", lambda r: citations.render_style(r, "apa")
    yield "page_links", lambda r: linkset.page_links(r, registry.metadata_files())


text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=text, abstract=text, given_name=text, family=text, keyword=text)
def test_any_text_gives_valid_output(title, abstract, given_name, family, keyword, xsd) -> None:
    record = replace(
        cases.full(),
        title="T" + title,  # a title of only forbidden characters is a missing title: tested above
        description=abstract,
        creators=(Person(given_name, "F" + family),),
        keywords=(keyword,),
    )
    assert_valid(xsd(KERNEL_4), parse(datacite_xml.datacite_xml(record)))
    assert_valid(xsd(OAI_DC), parse(oai_dc.oai_dc_xml(record)))
    assert schema45.validate(copy.deepcopy(datacite.to_datacite(record)))
    jsonld = schemaorg.schemaorg_jsonld(record).decode("utf-8")
    assert "<" not in jsonld
    etree.fromstring(datacite_xml.datacite_xml(record))
