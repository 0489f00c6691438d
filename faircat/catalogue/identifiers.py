"""The rules for catalogue values that become part of a DOI, a site path or a URL. Pure.

Proposal codes and visit ids make the experiment DOI (``<prefix>/<facility>.<proposal>-<visit>``),
dataset names extend it (``<experiment DOI>.<name>``), instrument names name the beamline pages
of the public site, and the DOIs name the landing page folders. Every way into the catalogue
(``faircat investigation add``, NeXus ingest, the demo, ``faircat instrument add``, the facility
profile) checks its values here, so that what one refuses none accepts: a file whose
experiment identifier is markup or a path (``<img src=x onerror=alert(1)>-1``,
``../../tmp/x-1``) never becomes an experiment, let alone a findable DOI.

The character set is DataCite's safe one for a DOI suffix (letters, digits, ``.``, ``_``,
``-``): nothing needs escaping in a URL, a file name or XML. Refusals are
:class:`~faircat.errors.ValidationError` naming the field and showing the value with ``repr``,
so markup is shown inert and control characters visible.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from faircat.errors import ValidationError

MAX_CODE = 64  # the proposal, visit and instrument name columns
MAX_DATASET_NAME = 255  # the dataset name column
MAX_DOI = 255  # the DOI columns (DataCite's own limit is larger)

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
# NeXus files name their instrument as the facility does ("DIAMOND BEAMLINE I04"): single
# spaces inside the name are allowed, nothing that needs escaping anywhere.
_INSTRUMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]| (?! ))*(?<! )\Z")
_ALNUM = re.compile(r"[A-Za-z0-9]")
# Markup and path separators; control, format (bidi overrides, zero-width) and line separators.
_NAME_FORBIDDEN = re.compile(
    r"[<>/\\\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)
_DOI_PREFIX = re.compile(r"10\.[0-9]{4,9}\Z")
_URL_FORBIDDEN = re.compile(r"[\s<>\"'`\\{}|^\x00-\x1f\x7f]")
_KEY = re.compile(r"[^a-z0-9]+")

CODE_RULE = f"1-{MAX_CODE} letters, digits, '.', '_' or '-', starting with a letter or digit"


def _refuse(what: str, value: object, rule: str) -> ValidationError:
    return ValidationError(f"invalid {what} {value!r}: {rule}", field=what)


def code(value: str, what: str) -> str:
    """``value`` without surrounding spaces when it is a valid code, else ValidationError."""
    if not isinstance(value, str):
        raise _refuse(what, value, CODE_RULE)
    text = value.strip(" ")
    if len(text) > MAX_CODE or not _CODE.match(text):
        raise _refuse(what, value, CODE_RULE)
    return text


def proposal(value: str) -> str:
    """A proposal code: ``mx23694``, ``2024031234``, ``ih-ch-1234``..."""
    return code(value, "proposal")


def visit(value: str) -> str:
    """A visit id: ``1``, ``2``, ``a``..."""
    return code(value, "visit")


def instrument_name(value: str) -> str:
    """An instrument name as NeXus files carry it: ``XALOC``, ``NCD-SWEET``, ``BL13``..."""
    text = value.strip(" ") if isinstance(value, str) else ""
    if not text or len(text) > MAX_CODE or not _INSTRUMENT.match(text):
        raise _refuse(
            "instrument name",
            value,
            f"1-{MAX_CODE} letters, digits, '.', '_', '-' or single spaces, starting with a "
            "letter or digit",
        )
    return text


def instrument_key(name: str) -> str:
    """What tells instruments apart on the public site: the beamline page's path segment
    (lower case, punctuation folded), so two names sharing it would share one page."""
    return _KEY.sub("-", name.lower()).strip("-")


def dataset_name(value: str) -> str:
    """A dataset name (a NeXus ``entry_identifier`` or a file name): free text, but no markup,
    no path separator, no control character, and at least one letter or digit, so the DOI
    suffix derived from it (punctuation folded to ``-``) says something."""
    rule = (
        f"1-{MAX_DATASET_NAME} characters, at least one of them A-Z, a-z or 0-9; no '<', '>', '/', "
        "'\\' or control characters"
    )
    if not isinstance(value, str):
        raise _refuse("dataset name", value, rule)
    text = value.strip(" ")
    if len(text) > MAX_DATASET_NAME or not _ALNUM.search(text) or _NAME_FORBIDDEN.search(text):
        raise _refuse("dataset name", value, rule)
    return text


def doi_length(doi: str, what: str) -> str:
    """``doi`` when it fits the catalogue's DOI columns, else a refusal naming ``what``."""
    if len(doi) > MAX_DOI:
        raise ValidationError(
            f"{what} would make the DOI {doi[:60]!r}... {len(doi)} characters long (at most "
            f"{MAX_DOI}): shorten it",
            field=what,
        )
    return doi


def doi_prefix(value: str) -> str:
    """A DataCite DOI prefix: ``10.`` and 4-9 digits."""
    text = value.strip() if isinstance(value, str) else ""
    if not _DOI_PREFIX.match(text):
        raise _refuse("DOI prefix", value, "'10.' followed by 4-9 digits, e.g. 10.80100")
    return text


def base_url(value: str) -> str:
    """The public site's base URL: http(s), a host, a path at most; no credentials, query,
    fragment or characters that need escaping (it starts every landing page URL)."""
    rule = "an http:// or https:// URL with a host and no user, query or fragment"
    text = value.strip().rstrip("/") if isinstance(value, str) else ""
    if _URL_FORBIDDEN.search(text):
        raise _refuse("base URL", value, rule)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _refuse("base URL", value, rule) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
        or "?" in text
        or "#" in text
    ):
        raise _refuse("base URL", value, rule)
    return text
