"""What the formats must say: relations, access switching, dates, URLs, registry, caching."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from faircat.crosswalks import citations, datacite, linkset, registry, schemaorg, urls
from faircat.crosswalks.view import FileView

from . import cases


def relations(record) -> set[tuple[str, str]]:
    data = datacite.to_datacite(record)
    return {(r["relationType"], r["relatedIdentifier"]) for r in data["relatedIdentifiers"]}


def rights_uris(record) -> set[str]:
    return {r["rightsUri"] for r in datacite.to_datacite(record)["rightsList"]}


def test_resource_types() -> None:
    assert datacite.to_datacite(cases.full())["types"] == {
        "resourceTypeGeneral": "Dataset",
        "resourceType": "Raw dataset",
    }
    assert datacite.to_datacite(cases.embargoed())["types"]["resourceTypeGeneral"] == "Collection"
    assert datacite.to_datacite(cases.selection())["types"]["resourceTypeGeneral"] == "Collection"


def test_relations_both_ways() -> None:
    assert ("IsPartOf", cases.EXPERIMENT_DOI) in relations(cases.full())
    assert ("HasPart", "10.5072/alba.ds.1001") in relations(cases.embargoed())
    # a dataset without a DOI is linked by its landing URL
    assert ("HasPart", "https://data.alba.example/datasets/ds-1002/") in relations(
        cases.embargoed()
    )
    assert ("IsCollectedBy", "10.5072/alba.bl13") in relations(cases.full())
    assert ("IsDerivedFrom", "10.5072/alba.ds.1001") in relations(cases.processed())
    assert ("IsSupplementTo", "10.1107/S2059798323001234") in relations(cases.selection())
    assert ("HasPart", "10.5072/alba.ds.1003") in relations(cases.selection())


def test_instrument_without_pid_is_not_linked() -> None:
    record = replace(cases.full(), instruments=(replace(cases.XALOC, pid=""),))
    assert not any(kind == "IsCollectedBy" for kind, _ in relations(record))


def test_access_rights_switch_at_release() -> None:
    embargoed, public = cases.embargoed(), cases.public()
    assert "info:eu-repo/semantics/embargoedAccess" in rights_uris(embargoed)
    assert "http://purl.org/coar/access_right/c_f1cf" in rights_uris(embargoed)
    assert "info:eu-repo/semantics/openAccess" in rights_uris(public)
    assert "http://purl.org/coar/access_right/c_abf2" in rights_uris(public)
    assert "info:eu-repo/semantics/openAccess" not in rights_uris(embargoed)
    assert "info:eu-repo/semantics/closedAccess" in rights_uris(cases.withdrawn())


def test_licence_by_spdx() -> None:
    licence = datacite.to_datacite(cases.selection())["rightsList"][0]
    assert licence["rightsIdentifier"] == "cc0-1.0"
    assert licence["rightsIdentifierScheme"] == "SPDX"


def test_dates() -> None:
    dates = {d["dateType"]: d["date"] for d in datacite.to_datacite(cases.full())["dates"]}
    assert dates == {
        "Collected": "2023-05-10/2023-05-13",
        "Accepted": "2023-05-13",
        "Available": "2026-05-13",
        "Issued": "2023-06-01",
        "Updated": "2026-05-14",
    }
    withdrawn = {d["dateType"] for d in datacite.to_datacite(cases.withdrawn())["dates"]}
    assert "Withdrawn" in withdrawn


def test_publication_year_is_release_year() -> None:
    # DOI issued in 2023 at the end of the experiment, embargo ends 2026: the year is 2026
    assert datacite.to_datacite(cases.full())["publicationYear"] == "2026"
    early = replace(cases.full(), dates=replace(cases.full().dates, available=date(2024, 2, 1)))
    assert datacite.to_datacite(early)["publicationYear"] == "2024"
    no_release = replace(cases.full(), dates=replace(cases.full().dates, available=None))
    assert datacite.to_datacite(no_release)["publicationYear"] == "2023"
    assert datacite.to_datacite(replace(early, publication_year=2030))["publicationYear"] == "2030"


def test_creators_orcid_and_ror() -> None:
    creator = datacite.to_datacite(cases.full())["creators"][0]
    assert creator["nameIdentifiers"] == [
        {
            "nameIdentifier": "https://orcid.org/0000-0002-1825-0097",
            "nameIdentifierScheme": "ORCID",
            "schemeUri": "https://orcid.org",
        }
    ]
    assert creator["affiliation"][0]["affiliationIdentifier"] == "https://ror.org/021018s57"
    contributors = datacite.to_datacite(cases.full())["contributors"]
    kinds = [c["contributorType"] for c in contributors]
    assert kinds[0] == "ContactPerson" and kinds[-1] == "HostingInstitution"
    publisher = datacite.to_datacite(cases.full())["publisher"]
    assert publisher["publisherIdentifierScheme"] == "ROR"


def test_embargoed_pages_expose_no_files() -> None:
    leaky = replace(cases.embargoed(), files=(FileView("secret.h5", "files/secret.h5", 1),))
    document = schemaorg.to_schemaorg(leaky)
    assert "distribution" not in document
    assert document["conditionsOfAccess"].startswith("Embargoed until 2026-05-13")
    assert "item" not in linkset.to_linkset(leaky, registry.metadata_files())["linkset"][0]
    public = schemaorg.to_schemaorg(cases.public())
    assert public["distribution"][0]["contentUrl"].endswith("/files/README.txt")
    assert "conditionsOfAccess" not in public


def test_measurement_technique_is_panet_uri() -> None:
    term = schemaorg.to_schemaorg(cases.full())["measurementTechnique"][0]
    assert term["@id"] == "http://purl.org/pan-science/PaNET/PaNET01164"


def test_urls() -> None:
    record = cases.full()
    page = "https://data.alba.example/doi/10.5072/alba.ds.1001/"
    assert urls.landing_url(replace(record, landing_url="")) == page
    assert urls.metadata_url(record, "datacite.xml") == page + "datacite.xml"
    assert urls.file_url(record, record.files[0]) == page + "files/lyso_1_master.h5"
    assert urls.doi_path("10.5072/../x y/.") == "doi/10.5072/%2E%2E/x%20y/%2E/"
    assert urls.doi_path("https://doi.org/10.5072/A%B") == "doi/10.5072/A%25B/"


def test_registry_is_consistent() -> None:
    names = [fmt.name for fmt in registry.FORMATS]
    files = [fmt.file_name for fmt in registry.FORMATS if fmt.file_name]
    prefixes = [fmt.oai_prefix for fmt in registry.FORMATS if fmt.oai_prefix]
    assert len(set(names)) == len(names) and len(set(files)) == len(files)
    assert set(prefixes) == {"oai_dc", "oai_datacite", "datacite"}
    assert all(fmt.namespace and fmt.schema and fmt.element for fmt in registry.oai_formats())
    assert set(files) == {
        "datacite.xml",
        "datacite.json",
        "schemaorg.jsonld",
        "citation.bib",
        "citation.ris",
        "citation.csl.json",
        "citation.txt",
        "linkset.json",
    }
    assert ("linkset.json", linkset.MEDIA_TYPE) not in registry.metadata_files()
    with pytest.raises(KeyError, match="unknown metadata format 'nope'"):
        registry.get("nope")
    assert registry.oai_format("nope") is None


def test_page_links_level_one() -> None:
    links = linkset.page_links(cases.full(), registry.metadata_files())
    rels = [rel for rel, _, _ in links]
    assert rels.count("cite-as") == 1 and rels.count("type") == 2
    assert ("license", "https://spdx.org/licenses/CC-BY-4.0.html", "") in links


def test_citation_cache_renders_once() -> None:
    cache: dict[str, str] = {}
    record = cases.full()
    first = citations.cached_citation(record, "apa", cache)
    assert len(cache) == 1
    assert citations.cached_citation(record, "apa", cache) == first
    assert len(cache) == 1
    cache[citations.citation_key(record, "apa")] = "sentinel"
    assert citations.cached_citation(record, "apa", cache) == "sentinel"  # served from the cache
    changed = replace(record, title="Another title")
    assert citations.citation_key(changed, "apa") != citations.citation_key(record, "apa")
    # the abstract is not part of a citation: editing it keeps the key
    edited = replace(record, description="new abstract")
    assert citations.citation_key(edited, "apa") == citations.citation_key(record, "apa")


def test_apa_names_the_dataset() -> None:
    text = citations.render_style(cases.full(), "apa")
    assert text.startswith("García Pérez, A., & Smith, T. (2026).")
    assert "[Dataset]" in text and text.endswith("https://doi.org/10.5072/alba.ds.1001")


def test_datacite_text_style() -> None:
    assert citations.datacite_text(cases.full()) == (
        "García Pérez, Anna; Smith, Tom (2026): Lysozyme crystal, collection 1. Version 1.0. "
        "ALBA Synchrotron. (Dataset). https://doi.org/10.5072/alba.ds.1001"
    )


def test_rest_body_event() -> None:
    body = datacite.rest_body(cases.full(), event="publish")
    assert body["data"]["attributes"]["event"] == "publish"
    assert (
        body["data"]["attributes"]["url"] == "https://data.alba.example/doi/10.5072/alba.ds.1001/"
    )
    json.dumps(body)


def test_panosc_instrument_and_pid_path() -> None:
    from faircat.crosswalks import panosc

    assert panosc.instrument(cases.XALOC) == {
        "pid": "10.5072/alba.bl13",
        "name": "XALOC",
        "facility": "ALBA",
    }
    no_pid = replace(cases.XALOC, pid="", facility="")
    assert panosc.instrument(no_pid, cases.FACILITY)["pid"] == "ALBA Synchrotron/XALOC"
    assert panosc.pid_path("10.5072/alba.ds.1") == "10.5072%2Falba.ds.1"
    dataset = panosc.dataset(cases.full())
    assert dataset["instrument"]["name"] == "XALOC"
    assert {f["name"] for f in dataset["files"]} == {"lyso_1_master.h5", "lyso_1_data_000001.h5"}
    assert panosc.dataset(replace(cases.full(), access="embargoed"))["files"] == []
