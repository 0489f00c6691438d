"""HTML for the static site: landing pages, tombstones, listings and the search page.

Pure functions from the page models of :mod:`faircat.publisher.pages` to text; the exporter
decides where the text goes. The templates (``faircat/templates``) only lay out what the models
hold: every decision about what is public was taken by the planner, and the one rule the
templates enforce themselves is that a files section exists only when ``record.files`` does.

Safety: autoescape is on and every value passes through :func:`_finalize`, which drops the
characters no HTML parser or UTF-8 encoder accepts (user text may hold NUL or lone surrogates).
URLs taken from the data go through the ``href`` filter so a ``javascript:`` identifier typed
into the catalogue can never become a link. ``StrictUndefined`` turns a missing field into an
error instead of an empty string on a published page.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from faircat.crosswalks.identifiers import (
    doi_url,
    orcid_uri,
    panet_code,
    pid_type,
    pid_url,
    ror_uri,
)
from faircat.crosswalks.rights import licence
from faircat.crosswalks.urls import file_url
from faircat.crosswalks.view import Organization, Person, Record
from faircat.crosswalks.xmltext import clean

from .pages import LandingPage, ListingPage, Site

KIND_LABELS = {"experiment": "Experiment", "dataset": "Dataset", "selection": "Data selection"}
_SIZE_UNITS = ("kB", "MB", "GB", "TB", "PB")
_SAFE_SCHEMES = ("http", "https", "ftp", "mailto")
_URL_WHITESPACE = re.compile("[\t\n\r]")
_FAST_PREFIXES = ("https://", "http://", "/")


def _finalize(value: Any) -> Any:
    """Every ``{{ }}`` output: Markup as is (already safe), text cleaned, None as nothing."""
    # Called for every {{ }} of every page (~200 a landing page): the common case, plain
    # printable text, costs one type check and one C loop.
    if type(value) is str:
        return value if value.isprintable() else clean(value)
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return clean(value)
    return value


def human_size(size: int | None) -> str:
    """``2.0 MB`` for 2 000 000: decimal units, as storage vendors and Zenodo show them."""
    if size is None:
        return ""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in _SIZE_UNITS:
        value /= 1000
        if value < 1000 or unit == _SIZE_UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def href(url: str) -> str:
    """``url`` when it is safe as a link target (web URL or site path), else ``""``."""
    # The common case first (~30 calls a page): printable text without surrounding spaces that
    # starts with a web scheme or a "/" is returned as is by the full rules below.
    if url.startswith(_FAST_PREFIXES) and url.isprintable() and url.strip() == url:
        return url
    # Browsers drop tabs and newlines inside URLs, so "java\tscript:" must be judged without them.
    url = _URL_WHITESPACE.sub("", clean(url)).strip()
    if not url:
        return ""
    scheme = urlsplit(url).scheme.lower() if ":" in url.split("/", 1)[0] else ""
    if scheme and scheme not in _SAFE_SCHEMES:
        return ""
    return url


def day(value: date | datetime | None) -> str:
    """``13 May 2026``: unambiguous for every reader, unlike 05/13/2026."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def moment(value: datetime | None) -> str:
    """``10 May 2023, 08:00 UTC`` for an acquisition time."""
    if value is None:
        return ""
    zone = value.tzname() or ""
    return f"{day(value)}, {value:%H:%M}" + (f" {zone}" if zone else "")


def iso(value: date | datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def agent_name(who: Person | Organization) -> str:
    """``Given Family`` (natural order on a web page; citations keep ``Family, Given``)."""
    if isinstance(who, Organization):
        return who.name
    return (
        who.full_name
        or " ".join(part for part in (who.given_name, who.family_name) if part)
        or who.display_name
    )


def relation_label(relation: str) -> str:
    """``is supplement to`` from DataCite's ``IsSupplementTo``."""
    words: list[str] = []
    for char in relation:
        if char.isupper() and words:
            words.append(" ")
        words.append(char.lower())
    return "".join(words)


def pid_link(pid: str) -> str:
    """A resolvable, safe URL for an instrument or sample PID (DOI, Handle or URL), or ""."""
    return href(pid_url(*pid_type(pid))) if pid.strip() else ""


def named(who: Person | Organization) -> bool:
    """Whether an agent has a name to show (the catalogue may hold empty ones)."""
    return bool(clean(agent_name(who)).strip())


def kind_label(record: Record) -> str:
    label = KIND_LABELS.get(record.kind, record.kind.title())
    if record.kind == "dataset" and record.dataset_type:
        return f"{record.dataset_type.capitalize()} dataset"
    return label


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("faircat", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
        keep_trailing_newline=True,
        # Templates ship with the package and never change while a process runs: without this,
        # every render and include stats the template file (~25 stats a landing page).
        auto_reload=False,
    )
    env.filters.update(
        size=human_size,
        href=href,
        day=day,
        moment=moment,
        iso=iso,
        name=agent_name,
        relation=relation_label,
    )
    env.globals.update(
        doi_url=doi_url,
        orcid_uri=orcid_uri,
        ror_uri=ror_uri,
        panet_code=panet_code,
        pid_url=pid_url,
        licence=licence,
        file_url=file_url,
        kind_label=kind_label,
        pid_link=pid_link,
        is_person=lambda who: isinstance(who, Person),
        fragment=fragment,
    )
    env.tests["named"] = named
    return env


def fragment(name: str, **values: Any) -> Markup:
    """The partial template ``name`` rendered with ``values`` alone, memoised.

    For the parts of a page that repeat across thousands of pages with the same inputs (site
    header and footer, export links, licence panel): they are rendered once per distinct input
    instead of once per page. Values must be hashable (the page models are frozen).
    """
    return _fragment(name, tuple(sorted(values.items())))


@lru_cache(maxsize=1024)
def _fragment(name: str, values: tuple[tuple[str, Any], ...]) -> Markup:
    text = ENV.get_template(name).render(dict(values))
    return Markup(text[:-1] if text.endswith("\n") else text)


ENV = _environment()
PAGE_TEMPLATES = ("landing.html", "tombstone.html", "listing.html", "search.html")


def warm() -> None:
    """Compile the page templates now (before forking page workers, which then share them)."""
    for name in PAGE_TEMPLATES:
        ENV.get_template(name)


def page_tail(site: Site) -> bytes:
    """The last bytes of every page of ``site``: its footer and the closing tags (base.html).
    A full export that learns the site's beamlines only after its pages were written replaces
    this tail instead of rendering the pages again."""
    footer = fragment("partials/site_footer.html", site=site)
    return f"{footer}\n</body>\n</html>\n".encode()


def _site_url(site: Site, path: str) -> str:
    return site.base_url.rstrip("/") + "/" + path.lstrip("/")


def render_landing(page: LandingPage) -> str:
    """The landing page of an experiment, dataset or selection, open or embargoed."""
    if page.status == "withdrawn":
        return render_tombstone(page)
    return ENV.get_template("landing.html").render(
        page=page, record=page.record, site=page.site, canonical=page.url, current=""
    )


def render_tombstone(page: LandingPage) -> str:
    """The page a withdrawn DOI keeps resolving to: what it was, when and why it went."""
    return ENV.get_template("tombstone.html").render(
        page=page, record=page.record, site=page.site, canonical=page.url, current=""
    )


def render_listing(page: ListingPage) -> str:
    """Home, browse (beamline, technique, year) and index pages."""
    section = page.path.strip("/").split("/", 1)[0]
    return ENV.get_template("listing.html").render(
        page=page,
        site=page.site,
        canonical=_site_url(page.site, page.path),
        home=page.path in ("", "/"),
        current=section,
    )


def render_search(site: Site) -> str:
    """The search page; ``search.js`` filters ``/search/index.json`` in the browser."""
    return ENV.get_template("search.html").render(
        site=site, canonical=_site_url(site, "/search/"), current="search"
    )


def render_not_found(site: Site) -> str:
    """``/404.html``: what the web server answers for a path the site does not have."""
    return ENV.get_template("not_found.html").render(
        site=site, canonical=_site_url(site, "/404.html"), current=""
    )


def _walk(folder: Traversable, prefix: str = "") -> dict[str, bytes]:
    result: dict[str, bytes] = {}
    for entry in folder.iterdir():
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_dir():
            result.update(_walk(entry, f"{prefix}{entry.name}/"))
        else:
            result[prefix + entry.name] = entry.read_bytes()
    return result


def static_files() -> dict[str, bytes]:
    """The assets to publish under ``/static/``, by path relative to it (``site.css``...)."""
    return dict(sorted(_walk(files("faircat").joinpath("static")).items()))
