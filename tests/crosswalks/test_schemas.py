"""Every output validates against its official schema (XSD, DataCite JSON schema, JSON-LD)."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from urllib.parse import urlparse

import pytest
from datacite import schema45
from lxml import etree
from pyld import jsonld

from faircat.crosswalks import (
    citations,
    datacite,
    datacite_xml,
    linkset,
    oai_datacite,
    oai_dc,
    registry,
    schemaorg,
)
from faircat.crosswalks.view import Record

from .cases import CASES
from .outputs import outputs, panosc_json

KERNEL_45 = "datacite/kernel-4.5/metadata.xsd"
KERNEL_4 = "datacite/kernel-4/metadata.xsd"
OAI_DC = "oai-pmh/oai_dc.xsd"
OAI_DATACITE = "datacite/oai-1.1/oai.xsd"
OAI_RESPONSE = "oai-response.xsd"
OAI = "http://www.openarchives.org/OAI/2.0/"
SCHEMA_ORG = "https://schema.org/"
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@cache
def record(case: str) -> Record:
    return CASES[case]()


def parse(data: bytes) -> etree._Element:
    """Strict parsing: no network, no entities, no recovery."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, recover=False)
    return etree.fromstring(data, parser)


def assert_valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    assert schema.validate(element), "\n".join(str(e) for e in schema.error_log)


def no_network_loader(url: str, options: dict) -> dict:
    raise AssertionError(f"JSON-LD processing tried to fetch {url}")


def _reject_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


cases = pytest.mark.parametrize("case", CASES)


@cases
def test_datacite_json_schema(case: str) -> None:
    data = datacite.to_datacite(record(case))
    errors = [e.message for e in schema45.validator.iter_errors(copy.deepcopy(data))]
    assert not errors
    assert schema45.validate(copy.deepcopy(data))
    body = datacite.rest_body(record(case), event="publish")
    assert body["data"]["type"] == "dois"
    assert schema45.validate(copy.deepcopy(body["data"]["attributes"]))


@cases
@pytest.mark.parametrize("xsd_path", [KERNEL_45, KERNEL_4])
def test_datacite_xml_schema(case: str, xsd_path: str, xsd) -> None:
    assert_valid(xsd(xsd_path), parse(datacite_xml.datacite_xml(record(case))))


@cases
def test_datacite_xml_matches_json(case: str) -> None:
    """The XML says what the JSON says: the datacite package's own converter agrees on content."""
    data = datacite.to_datacite(record(case))
    theirs = schema45.dump_etree(copy.deepcopy(data))
    ours = datacite_xml.element_from_json(data)

    def texts(root: etree._Element) -> list[tuple[str, str]]:
        return sorted(
            (etree.QName(e).localname, (e.text or "").strip())
            for e in root.iter()
            if isinstance(e.tag, str) and (e.text or "").strip()
        )

    assert texts(ours) == texts(theirs)


@cases
def test_oai_dc_schema(case: str, xsd) -> None:
    assert_valid(xsd(OAI_DC), parse(oai_dc.oai_dc_xml(record(case))))


@cases
def test_oai_datacite_schema(case: str, xsd) -> None:
    root = parse(oai_datacite.oai_datacite_xml(record(case)))
    assert_valid(xsd(OAI_DATACITE), root)
    payload = root.find("{http://schema.datacite.org/oai/oai-1.1/}payload")
    assert len(payload) == 1
    assert_valid(xsd(KERNEL_4), payload[0])
    assert_valid(xsd(KERNEL_45), payload[0])


def get_record_response(element: etree._Element, identifier: str) -> etree._Element:
    """A minimal OAI-PMH GetRecord response with ``element`` as the metadata payload."""
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI})
    etree.SubElement(root, f"{{{OAI}}}responseDate").text = "2026-05-14T10:00:00Z"
    request = etree.SubElement(root, f"{{{OAI}}}request", verb="GetRecord")
    request.text = "https://data.alba.example/oai"
    get_record = etree.SubElement(root, f"{{{OAI}}}GetRecord")
    rec = etree.SubElement(get_record, f"{{{OAI}}}record")
    header = etree.SubElement(rec, f"{{{OAI}}}header")
    etree.SubElement(header, f"{{{OAI}}}identifier").text = identifier
    etree.SubElement(header, f"{{{OAI}}}datestamp").text = "2026-05-14T10:00:00Z"
    etree.SubElement(rec, f"{{{OAI}}}metadata").append(element)
    # A round trip, as a client sees it: namespace declarations exactly as serialised.
    return parse(etree.tostring(root, encoding="UTF-8"))


@cases
@pytest.mark.parametrize("prefix", [fmt.oai_prefix for fmt in registry.oai_formats()])
def test_oai_payload_in_envelope(case: str, prefix: str, xsd) -> None:
    fmt = registry.oai_format(prefix)
    assert fmt is not None and fmt.element is not None
    element = fmt.element(record(case))
    assert etree.QName(element).namespace == fmt.namespace
    response = get_record_response(element, f"oai:data.alba.example:{record(case).local_id}")
    assert_valid(xsd(OAI_RESPONSE), response)


@cases
def test_schemaorg_jsonld_parses_offline(case: str) -> None:
    text = schemaorg.schemaorg_jsonld(record(case)).decode("utf-8")
    document = json.loads(text)
    assert document["@context"] == {"@vocab": SCHEMA_ORG}
    options = {"documentLoader": no_network_loader}
    expanded = jsonld.expand(document, options)
    assert len(expanded) == 1
    node = expanded[0]
    assert node["@type"] == [SCHEMA_ORG + "Dataset"]
    # Nothing dropped: every property of the document maps to a schema.org term.
    properties = {key for key in document if not key.startswith("@")}
    assert {key.removeprefix(SCHEMA_ORG) for key in node if not key.startswith("@")} == properties
    quads = jsonld.to_rdf(document, {**options, "format": "application/n-quads"})
    assert f"<{document['@id']}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> " in quads


@cases
def test_schemaorg_is_script_safe(case: str) -> None:
    text = schemaorg.schemaorg_jsonld(record(case)).decode("utf-8")
    assert not set("<>&") & set(text)
    assert json.loads(text) == json.loads(json.dumps(schemaorg.to_schemaorg(record(case))))


@cases
def test_linkset_anchors_absolute(case: str) -> None:
    data = json.loads(registry.get("linkset").render(record(case)))
    contexts = data["linkset"]
    assert len(contexts[0]["cite-as"]) == 1
    for context in contexts:
        assert urlparse(context["anchor"]).scheme == "https"
        for rel, targets in context.items():
            if rel != "anchor":
                assert all(urlparse(t["href"]).scheme in ("https", "http") for t in targets)
    described = {t["href"] for t in contexts[0]["describedby"]}
    assert described == {c["anchor"] for c in contexts if "describes" in c}
    items = {t["href"] for t in contexts[0].get("item", [])}
    assert items == {c["anchor"] for c in contexts if "collection" in c}
    assert linkset.MEDIA_TYPE == "application/linkset+json"


@cases
def test_csl_json_shape(case: str) -> None:
    items = json.loads(citations.csl_json(record(case)))
    assert len(items) == 1
    item = items[0]
    assert item["type"] == "dataset" and item["title"] and item["author"]
    assert all(("family" in name) or ("literal" in name) for name in item["author"])
    assert isinstance(item["issued"]["date-parts"][0][0], int)


def _bibtex_balanced(text: str) -> bool:
    depth = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


@cases
def test_bibtex_and_ris_shape(case: str) -> None:
    bib = citations.bibtex(record(case)).decode("utf-8")
    assert bib.startswith("@misc{") and _bibtex_balanced(bib)
    assert all(re.match(r"^  [a-z]+ = \{.*\},?$", line) for line in bib.splitlines()[1:-1])
    ris = citations.ris(record(case)).decode("utf-8")
    lines = ris.split("\r\n")
    assert lines[0] == "TY  - DATA" and lines[-2] == "ER  - " and lines[-1] == ""
    assert all(re.match(r"^[A-Z][A-Z0-9]  - ", line) for line in lines[:-1])


@cases
def test_panosc_json(case: str) -> None:
    data = json.loads(panosc_json(record(case)))
    assert data["pid"] and data["title"] and isinstance(data["isPublic"], bool)
    if record(case).kind == "dataset":
        assert data["creationDate"].endswith("Z")
    else:
        assert data["type"] in ("proposal", "collection")


@cases
def test_every_output_is_clean_utf8(case: str) -> None:
    for name, data in outputs(record(case)).items():
        text = data.decode("utf-8")  # strict: a lone surrogate cannot have been encoded
        assert not _XML_FORBIDDEN.search(text), name
        if name.endswith((".json", ".jsonld")):
            json.loads(text, parse_constant=_reject_constant)
