"""Metadata validation: the packaged kernel-4 XSD, DataCite-worded errors, JSON <-> XML."""

from __future__ import annotations

import base64
import filecmp
import tomllib
from pathlib import Path

import pytest

from faircat.dev.datacite import validate
from tests.dev import json_metadata, xml_record

ROOT = Path(__file__).resolve().parents[2]
DOI = "10.5072/ds.1"


def test_the_xsd_ships_inside_the_package():
    path = validate.SCHEMA_PATH
    assert path.is_file()
    assert (ROOT / "faircat") in path.parents  # works without ../shared
    assert (path.parent / "include" / "datacite-resourceType-v4.xsd").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["faircat"]
    assert "dev/schemas/**/*" in package_data


def test_the_packaged_xsd_is_the_official_one():
    official = ROOT.parent / "shared" / "schemas" / "datacite" / "kernel-4"
    if not official.is_dir():
        pytest.skip("../shared/schemas not present")
    packaged = validate.SCHEMA_PATH.parent
    for name in ["metadata.xsd", *(f"include/{p.name}" for p in (official / "include").iterdir())]:
        assert filecmp.cmp(official / name, packaged / name, shallow=False), name


def test_a_valid_record_has_no_problems():
    assert validate.xsd_problems(DOI, xml_record(DOI)) == []
    assert (
        validate.registrable_problems(DOI, validate.metadata_from_xml(xml_record(DOI)), None) == []
    )


def test_xsd_errors_are_worded_as_datacite_words_them():
    problems = validate.xsd_problems(DOI, xml_record(DOI, title=None))
    assert len(problems) == 1
    assert problems[0].source == "xml"  # the root element, as DataCite names it
    assert problems[0].title.startswith(f"DOI {DOI}: Missing child element(s). Expected is")
    assert "{http://datacite.org/schema/kernel-4}titles" in problems[0].title
    assert problems[0].title.endswith("at line 2, column 0")  # <resource>


def test_attribute_and_value_errors_name_the_element():
    (problem,) = validate.xsd_problems(DOI, xml_record(DOI, resource_type_general="Scan"))
    assert problem.source == "resourceType"
    assert "Attribute 'resourceTypeGeneral'" in problem.title
    assert "'Scan' is not an element of the set" in problem.title
    (problem,) = validate.xsd_problems(DOI, xml_record(DOI, year="20x4"))
    assert problem.source == "publication_year"


def test_mandatory_properties_each_have_a_message():
    assert validate.mandatory_problems(json_metadata()) == []
    problems = validate.mandatory_problems({})
    assert [p.source for p in problems] == [
        "creators",
        "titles",
        "publisher",
        "publication_year",
        "types",
    ]
    problems = validate.mandatory_problems(
        json_metadata(titles=[{"title": "  "}], publicationYear="24", types={"resourceType": "X"})
    )
    assert [p.title for p in problems] == [
        "Titles are missing: at least one non-empty title.",
        "Publication year '24' is not a four-digit year.",
        "Resource type general (types.resourceTypeGeneral) is missing.",
    ]


def test_json_metadata_is_checked_through_the_xsd_too():
    metadata = validate.normalize(json_metadata(types={"resourceTypeGeneral": "Scan"}))
    problems = validate.registrable_problems(DOI, metadata, None)
    assert [p.source for p in problems] == ["resourceType"]


def test_json_metadata_becomes_datacite_xml():
    xml, problem = validate.xml_from_metadata(DOI, validate.normalize(json_metadata("A title")))
    assert problem is None
    assert validate.xsd_problems(DOI, xml) == []
    assert b"<title>A title</title>" in xml
    assert b'<identifier identifierType="DOI">10.5072/ds.1</identifier>' in xml


def test_metadata_read_back_from_xml():
    data = validate.metadata_from_xml(xml_record(DOI))
    assert data == {
        "creators": [
            {
                "name": "García, Anna",
                "nameType": "Personal",
                "givenName": "Anna",
                "familyName": "García",
            }
        ],
        "titles": [{"title": "Lysozyme crystal, collection 1"}],
        "publisher": {"name": "ALBA Synchrotron"},
        "publicationYear": "2024",
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Scan"},
        "schemaVersion": "http://datacite.org/schema/kernel-4",
    }


def test_the_xml_attribute_must_be_base64_of_well_formed_xml():
    xml, problems = validate.decode_xml(base64.b64encode(xml_record(DOI)).decode())
    assert xml == xml_record(DOI) and problems == []
    for value, message in [
        (42, "base64-encoded string"),
        ("%%%", "not valid base64"),
        (base64.b64encode(b"<a><b></a>").decode(), "Opening and ending tag mismatch"),
    ]:
        xml, problems = validate.decode_xml(value)
        assert xml is None
        assert message in problems[0].title


def test_base64_with_line_breaks_is_accepted():
    xml, problems = validate.decode_xml(base64.encodebytes(xml_record(DOI)).decode())
    assert (xml, problems) == (xml_record(DOI), [])


def test_entities_are_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (
        xml_record(DOI)
        .replace(
            b"<resource",
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>\n<resource'.encode(),
            1,
        )
        .replace(b"ALBA Synchrotron", b"&x;")
    )
    assert b"TOP-SECRET" not in repr(validate.metadata_from_xml(xml)).encode()
