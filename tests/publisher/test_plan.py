"""The planner's shortcuts give the same bytes as the crosswalks called one by one, and the
pieces of a page the export writes or rewrites separately are what the renderer produces."""

from __future__ import annotations

import pytest

from faircat.catalogue.public import PublicItem
from faircat.crosswalks import citations, registry, schemaorg
from faircat.publisher import plan, render
from faircat.publisher.pool import files_digest
from faircat.publisher.writer import ExportError, SiteWriter
from tests.crosswalks import cases
from tests.publisher import pagefixtures

RECORDS = sorted(cases.CASES)


@pytest.mark.parametrize("name", RECORDS)
def test_metadata_files_reuse_render_core(name: str) -> None:
    record = cases.CASES[name]()
    expected = registry.render_files(record)
    assert plan.metadata_files(record) == expected
    assert plan.metadata_files(record, registry.render_core(record)) == expected


@pytest.mark.parametrize("name", RECORDS)
def test_page_embeds_the_schemaorg_file_and_the_citation_files(name: str) -> None:
    record = cases.CASES[name]()
    page, files = plan.landing_files(PublicItem(record, 1), pagefixtures.SITE, None)
    assert page.jsonld == schemaorg.schemaorg_jsonld(record).decode().removesuffix("\n")
    texts = {c.style: c.text for c in page.citations}
    assert texts["BibTeX"] == citations.bibtex(record).decode()
    assert texts["RIS"] == citations.ris(record).decode()
    assert not page.preview and "preview.png" not in files


def test_preview_shown_when_the_caller_places_it() -> None:
    item = PublicItem(cases.full(), 1)
    page, files = plan.landing_files(item, pagefixtures.SITE, None, has_preview=True)
    assert page.preview == "preview.png" and "preview.png" not in files
    page, files = plan.landing_files(item, pagefixtures.SITE, b"png")
    assert page.preview == "preview.png" and files["preview.png"] == b"png"


def test_files_digest_covers_every_file_and_the_preview() -> None:
    files = {"a.xml": b"<a/>", "b.json": b"{}"}
    digest = files_digest(files, "key")
    assert digest == files_digest(dict(files), "key")
    assert digest != files_digest({**files, "b.json": b"[]"}, "key")
    assert digest != files_digest(files, "other")
    assert digest != files_digest(files, None)
    assert files_digest({"ab": b"c"}, None) != files_digest({"a": b"bc"}, None)


@pytest.mark.parametrize("name", sorted(pagefixtures.LANDINGS))
def test_every_page_ends_with_the_site_tail(name: str) -> None:
    page = pagefixtures.LANDINGS[name]()
    assert render.render_landing(page).encode().endswith(render.page_tail(page.site))


def test_fragments_equal_the_partial_rendered_alone() -> None:
    site = pagefixtures.SITE
    direct = render.ENV.get_template("partials/site_footer.html").render(site=site)
    assert str(render.fragment("partials/site_footer.html", site=site)) == direct.rstrip("\n")
    assert render.fragment("partials/site_footer.html", site=site) is render.fragment(
        "partials/site_footer.html", site=site
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://doi.org/10.5072/x", "/doi/10.5072/x/", "HTTPS://EXAMPLE.ORG/", "//cdn.example/x",
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", " https://x.example",
        "https://x.example/ ", "data:text/html,<b>", "mailto:a@example.org", "relative/path",
        "/\x00javascript:x", "https://x.example/\ud800", "vbscript:x", "",
    ],
)
def test_href_fast_path_agrees_with_the_rules(url: str) -> None:
    # the rules spelled out: drop what XML forbids and what browsers drop, then judge the scheme
    cleaned = "".join(c for c in url if c not in "\t\n\r" and (c.isprintable() or c == " "))
    cleaned = cleaned.strip()
    scheme = cleaned.split(":", 1)[0].lower() if ":" in cleaned.split("/", 1)[0] else ""
    expected = "" if scheme and scheme not in ("http", "https", "ftp", "mailto") else cleaned
    assert render.href(url) == expected


@pytest.mark.parametrize(
    ("rel", "key"),
    [("/doi/10.5072/x/", "doi/10.5072/x"), ("doi//10.5072/./x", "doi/10.5072/x"),
     ("search/index.json", "search/index.json")],
)
def test_claimed_paths_are_normalised(tmp_path, rel: str, key: str) -> None:
    writer = SiteWriter(tmp_path, fresh=True)
    assert writer.claim(rel) == key
    with pytest.raises(ExportError, match="same path"):
        writer.claim(key)


@pytest.mark.parametrize("rel", ["../x", "/doi/../../x", "/", "", "."])
def test_claims_outside_the_tree_are_refused(tmp_path, rel: str) -> None:
    with pytest.raises(ExportError, match="outside"):
        SiteWriter(tmp_path, fresh=True).claim(rel)


@pytest.mark.parametrize("name", RECORDS)
def test_publish_renders_what_the_crosswalks_render(name: str) -> None:
    from faircat.crosswalks import oai_datacite
    from faircat.errors import MetadataError
    from faircat.publisher.publish import render_metadata

    record = cases.CASES[name]()
    try:
        expected = registry.render_core(record), oai_datacite.oai_datacite_xml(record)
    except MetadataError:
        with pytest.raises(MetadataError):
            render_metadata(record)
        return
    assert render_metadata(record) == expected
