"""The HTML renderer: what each page type shows and hides, escaping, and well-formed pages."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import pairwise
from types import SimpleNamespace

import jinja2
import lxml.html
import pytest

from faircat.publisher import render
from faircat.publisher.pages import Link, ListingPage
from tests.publisher import pagefixtures

try:  # html5lib parses exactly as browsers do; lxml's HTML4 parser is the fallback
    import html5lib
except ImportError:  # pragma: no cover - depends on the environment
    html5lib = None


def _tree(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def _well_formed(html: str) -> None:
    """An HTML5 document: doctype, parses strictly where html5lib is there, one h1, lang."""
    assert html.startswith("<!doctype html>\n")
    if html5lib is not None:
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        parser.parse(html)
    tree = _tree(html)
    assert tree.get("lang") == "en"
    assert len(tree.findall(".//h1")) == 1
    levels = [int(h.tag[1]) for h in tree.iter("h1", "h2", "h3", "h4")]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    ids = [el.get("id") for el in tree.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for img in tree.iter("img"):
        assert img.get("alt"), lxml.html.tostring(img)
    for tag in ("header", "nav", "main", "footer"):
        assert tree.find(f".//{tag}") is not None, tag
    assert tree.xpath("//a[@class='skip-link']/@href") == ["#main"]
    assert tree.xpath("//meta[@name='viewport']")
    assert tree.findtext(".//title").strip()


def _jsonld(html: str) -> dict:
    scripts = _tree(html).xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


def _text(html: str) -> str:
    return " ".join(_tree(html).text_content().split())


@pytest.mark.parametrize("name", sorted(pagefixtures.LANDINGS))
def test_every_landing_page_is_well_formed(name: str) -> None:
    page = pagefixtures.LANDINGS[name]()
    html = render.render_landing(page)
    _well_formed(html)
    assert _jsonld(html)["@type"] == "Dataset"
    tree = _tree(html)
    assert tree.xpath("//link[@rel='canonical']/@href") == [page.url]


@pytest.mark.parametrize("name", sorted(pagefixtures.LISTINGS))
def test_every_listing_is_well_formed(name: str) -> None:
    _well_formed(render.render_listing(pagefixtures.LISTINGS[name]()))


def test_search_page_is_well_formed() -> None:
    html = render.render_search(pagefixtures.SITE)
    _well_formed(html)
    tree = _tree(html)
    assert sorted(tree.xpath("//script/@src")) == ["/static/search.js", "/static/site.js"]
    assert tree.xpath("//*[@id='search-count']/@aria-live") == ["polite"]
    assert tree.xpath("//label[@for='q']")
    assert "needs JavaScript" in _text(html)
    assert tree.xpath("//link[@rel='canonical']/@href") == ["https://data.alba.example/search/"]


def test_open_landing_page_shows_everything() -> None:
    page = pagefixtures.open_dataset()
    html = render.render_landing(page)
    tree = _tree(html)
    text = _text(html)
    assert tree.findtext(".//h1") == "Lysozyme crystal, collection 1"
    assert "Anna García Pérez" in text and "Universitat de Barcelona" in text
    assert tree.xpath("//a[@class='orcid']/@href") == [
        "https://orcid.org/0000-0002-1825-0097",
        "https://orcid.org/0000-0001-5109-3700",
    ]
    assert "Open access" in text
    # Files: sizes human readable, checksum, download link.
    files = tree.get_element_by_id("files-heading").getparent()
    assert "2.0 MB" in files.text_content() and "1.0 GB" in files.text_content()
    assert "ab" * 32 in files.text_content()
    assert files.xpath(".//a/@href")[0].endswith("/files/lyso_1_master.h5")
    # Parameters with units, sample with formula, technique with its PaNET link.
    params = tree.get_element_by_id("parameters-heading").getparent().text_content()
    assert "wavelength" in params and "0.9792" in params and "angstrom" in params
    assert "C613H959N193O185S10" in text
    assert tree.xpath("//a[@href='http://purl.org/pan-science/PaNET/PaNET01164']")
    assert "10 May 2023, 08:00 UTC" in text and "13 May 2026" in text
    # Preview, licence, citations, related items and links to the other records.
    assert tree.xpath("//img[@src='preview.png']/@alt") == [page.preview_alt]
    assert tree.xpath("//a[@rel='license']/@href") == [
        "https://creativecommons.org/licenses/by/4.0/legalcode"
    ]
    assert "Creative Commons Attribution 4.0 International" in text
    assert [t.text for t in tree.xpath("//*[@role='tab']")] == ["DataCite", "APA", "BibTeX", "RIS"]
    assert len(tree.xpath("//pre[@class='cite__text']")) == 4
    assert tree.xpath("//a[@href='https://doi.org/10.1107/S2059798323001234']")
    assert tree.xpath("//a[@href='/doi/10.5072/alba.exp.2023-0042/']")
    # Every metadata file linked, with its media type.
    for file in page.metadata_files:
        assert tree.xpath(f"//a[@href='{file.file_name}']/@type") == [file.media_type]


def test_head_carries_jsonld_meta_tags_and_signposting() -> None:
    page = pagefixtures.open_dataset()
    html = render.render_landing(page)
    tree = _tree(html)
    head = tree.find("head")
    assert _jsonld(html) == json.loads(page.jsonld)
    for name, content in page.meta_tags:
        assert content in head.xpath(f"meta[@name='{name}']/@content"), name
    assert head.xpath("link[@rel='schema.DC']/@href") == ["http://purl.org/dc/elements/1.1/"]
    links = [(el.get("rel"), el.get("href"), el.get("type") or "") for el in head.iter("link")]
    for link in page.head_links:
        assert (link.rel, link.href, link.type) in links
    assert len([rel for rel, *_ in links if rel == "cite-as"]) == 1


def test_embargoed_page_is_metadata_only() -> None:
    page = pagefixtures.embargoed_experiment()
    assert page.record.files == () and page.embargo_until is not None
    html = render.render_landing(page)
    tree = _tree(html)
    text = _text(html)
    assert "embargo until 13 May 2026" in text
    assert "Embargoed until 13 May 2026" in text
    assert tree.get_element_by_id("files-heading", None) is None
    assert tree.get_element_by_id("parameters-heading", None) is None
    assert tree.get_element_by_id("sample-heading", None) is None
    assert not tree.xpath("//table") and not tree.xpath("//a[@download]")
    assert not tree.xpath("//link[@rel='item']")
    # Still a full citable record: creators, dates, citation, its datasets.
    assert "Anna García Pérez" in text and "10 May 2023" in text
    assert tree.xpath("//*[@role='tab']")
    assert "Datasets in this experiment" in text


def test_no_files_section_even_if_an_embargoed_record_slipped_through_with_none() -> None:
    # The planner strips files; the template itself keys on record.files alone.
    page = pagefixtures.landing(replace(pagefixtures.cases.embargoed(), description=""))
    tree = _tree(render.render_landing(page))
    assert tree.get_element_by_id("files-heading", None) is None
    assert tree.get_element_by_id("description-heading", None) is None


def test_withdrawn_page_is_a_tombstone() -> None:
    page = pagefixtures.withdrawn_dataset()
    for html in (render.render_tombstone(page), render.render_landing(page)):
        _well_formed(html)
        tree = _tree(html)
        text = _text(html)
        assert "This DOI was withdrawn" in text
        assert "1 September 2026" in text
        assert "the sample was mislabelled" in text
        assert "https://doi.org/10.5072/alba.ds.1001-w" in text
        assert "Withdrawn" in tree.xpath("string(//*[contains(@class,'badge--withdrawn')])")
        assert tree.xpath("//*[@role='tab']"), "the citation stays"
        for heading in ("files-heading", "parameters-heading", "sample-heading"):
            assert tree.get_element_by_id(heading, None) is None
        assert not tree.xpath("//a[@download]")
        assert tree.xpath("//meta[@name='robots']/@content") == ["noindex"]


def test_selection_lists_its_datasets() -> None:
    html = render.render_landing(pagefixtures.selection())
    text = _text(html)
    assert "Data selection" in text
    assert "Datasets in this selection" in text
    assert "Lysozyme, merged" in text
    assert "Creative Commons Zero v1.0 Universal" in text


NASTY = pagefixtures.NASTY_TITLE


def test_hostile_title_is_escaped_everywhere() -> None:
    html = render.render_landing(pagefixtures.nasty_title())
    assert "<b>bold</b>" not in html
    assert "</script><script>" not in html
    tree = _tree(html)
    assert tree.findtext(".//h1") == NASTY
    assert tree.findtext(".//title").startswith(NASTY)
    assert tree.xpath("//meta[@name='citation_title']/@content") == [NASTY]
    assert not tree.xpath("//b")
    # Only our own scripts: the title did not open one.
    assert len(tree.xpath("//script")) == 2
    assert _jsonld(html)["name"] == NASTY
    _well_formed(html)


def test_control_characters_and_surrogates_never_reach_the_page() -> None:
    html = render.render_landing(pagefixtures.hostile())
    html.encode("utf-8")  # no lone surrogate
    assert "\x00" not in html and "\x08" not in html
    _well_formed(html)


def test_dangerous_urls_are_not_linked() -> None:
    page = pagefixtures.landing(
        replace(
            pagefixtures.cases.full(),
            related=(
                pagefixtures.cases.RelatedItem(" JavaScript:alert(1)", "IsCitedBy", "URL"),
                pagefixtures.cases.RelatedItem("java\tscript:alert(2)", "IsCitedBy", "URL"),
            ),
        ),
        part_of=(Link("evil", "javascript:alert(3)"),),
    )
    html = render.render_landing(page)
    targets = _tree(html).xpath("//a/@href | //img/@src")
    assert not [url for url in targets if "script:" in "".join(url.lower().split())]
    assert "alert(1)" in _text(html)  # shown as text, not as a link


def test_listing_shows_items_and_groups() -> None:
    html = render.render_listing(pagefixtures.home())
    tree = _tree(html)
    assert tree.findtext(".//h1") == "ALBA Open Data"
    assert tree.xpath("//form[@action='/search/']//input[@name='q']")
    assert "/doi/10.5072/alba.ds.1001/" in tree.xpath("//a/@href")
    assert "Recently released" in _text(html)
    years = _tree(render.render_listing(pagefixtures.years()))
    assert [h.text for h in years.iter("h2")] == ["2026", "2023"]
    assert years.xpath("//a[@href='/years/'][@aria-current='page']")
    empty = render.render_listing(pagefixtures.empty_listing())
    assert "Nothing has been published here yet." in _text(empty)


def test_strict_undefined_catches_a_missing_field() -> None:
    broken = SimpleNamespace(site=pagefixtures.SITE, path="/x/", title="Broken", intro="")
    with pytest.raises(jinja2.UndefinedError):
        render.render_listing(broken)  # type: ignore[arg-type]
    page = pagefixtures.open_dataset()
    incomplete = SimpleNamespace(**{k: getattr(page, k) for k in ("site", "record", "url")})
    incomplete.status = "open"
    with pytest.raises(jinja2.UndefinedError):
        render.render_landing(incomplete)  # type: ignore[arg-type]


def test_listing_page_model_is_the_contract() -> None:
    # Rendering needs nothing beyond the documented fields.
    page = ListingPage(site=pagefixtures.SITE, path="/beamlines/", title="Beamlines")
    _well_formed(render.render_listing(page))


@pytest.mark.parametrize(
    ("size", "text"),
    [(None, ""), (0, "0 B"), (999, "999 B"), (2_048_000, "2.0 MB"), (10**18, "1000.0 PB")],
)
def test_human_size(size: int | None, text: str) -> None:
    assert render.human_size(size) == text


def test_static_files() -> None:
    assets = render.static_files()
    assert {"site.css", "site.js", "search.js", "orcid.svg"} <= set(assets)
    assert all(isinstance(data, bytes) and data for data in assets.values())
    css = assets["site.css"].decode()
    assert "@import" not in css and "url(http" not in css  # works offline
    assert b"/search/index.json" in assets["search.js"]


def test_the_site_has_a_styled_not_found_page_the_web_server_serves():
    from faircat.publisher.nginx import generic_config
    from faircat.publisher.render import render_not_found
    from tests.publisher.pagefixtures import SITE

    page = render_not_found(SITE)
    assert '<meta name="robots" content="noindex">' in page
    assert 'href="/portal/"' in page and "Not found" in page
    assert "error_page 404 /404.html;" in generic_config("/srv/site", SITE.base_url, [])
