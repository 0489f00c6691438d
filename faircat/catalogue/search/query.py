"""A search, read from URL arguments: pure, every problem a ValidationError naming it.

The portal's GET form and the JSON API send the same arguments::

    q          free text: every word must match (as a prefix) the title, proposal, DOI, people,
               sample, formula, dataset or file names
    beamline   facet, repeatable (instrument names)      technique  facet, repeatable (mx, saxs...)
    type       facet, repeatable (raw, processed, calibration)
    from, to   the dataset's start, calendar days (UTC) YYYY-MM-DD, both included
    param, min, max, unit
               a numeric parameter range, e.g. param=wavelength&min=0.9&max=1.0&unit=angstrom;
               without a unit, stored values are compared as they are
    sort       relevance (with text), newest, oldest, name        after  the next-page token
    limit      rows per page

Facet values are checked against the catalogue by the executor (they are names, not ids).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from faircat.catalogue.search import text as words_of
from faircat.catalogue.search.units import Scale, parse_unit
from faircat.catalogue.vocab import DatasetType
from faircat.errors import ValidationError

SORTS = ("relevance", "newest", "oldest", "name")
MAX_TEXT = 200
MAX_TERMS = 12
MAX_FACET_VALUES = 20
MAX_NAME = 255
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000


@dataclass(frozen=True)
class ParameterRange:
    name: str  # folded: matched against parameter type names by the executor
    low: float | None
    high: float | None
    unit: Scale | None  # None: compare stored values as they are, whatever their unit
    unit_text: str = ""


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    terms: tuple[str, ...] = ()
    beamlines: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    start_from: date | None = None
    start_to: date | None = None  # included
    parameters: tuple[ParameterRange, ...] = ()
    sort: str = "newest"
    after: str | None = None
    limit: int = DEFAULT_LIMIT
    problems: tuple[str, ...] = field(default=(), compare=False)

    def args(self, **changes: object) -> list[tuple[str, str]]:
        """This search as URL arguments (for links: facets, sorting, next page)."""
        values: dict[str, object] = {
            "q": self.text,
            "beamline": self.beamlines,
            "technique": self.techniques,
            "type": self.types,
            "from": self.start_from.isoformat() if self.start_from else "",
            "to": self.start_to.isoformat() if self.start_to else "",
            "sort": self.sort,
            "after": self.after or "",
        }
        if self.parameters:
            first = self.parameters[0]
            values |= {
                "param": first.name,
                "min": _number_text(first.low),
                "max": _number_text(first.high),
                "unit": first.unit_text,
            }
        values |= changes
        pairs: list[tuple[str, str]] = []
        for key, value in values.items():
            if isinstance(value, tuple | list):
                pairs += [(key, str(v)) for v in value]
            elif value not in ("", None):
                pairs.append((key, str(value)))
        return pairs


def _number_text(value: float | None) -> str:
    return "" if value is None else repr(value).removesuffix(".0")


def _one(args: Mapping[str, Sequence[str]], key: str) -> str:
    values = args.get(key) or []
    return values[-1].strip() if values else ""


def _many(args: Mapping[str, Sequence[str]], key: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in args.get(key) or [] if v.strip()))
    if len(values) > MAX_FACET_VALUES:
        raise ValidationError(f"at most {MAX_FACET_VALUES} values of {key!r}", field=key)
    for value in values:
        if len(value) > MAX_NAME:
            raise ValidationError(f"the {key} value is too long", field=key)
    return values


def parse_number(raw: str, what: str) -> float | None:
    if not raw:
        return None
    text = raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"{what} {_shown(raw)} is not a number", field=what) from None
    if not math.isfinite(value):
        raise ValidationError(f"{what} {_shown(raw)} is not a finite number", field=what)
    return value


def parse_day(raw: str, what: str) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationError(
            f"{what} date {_shown(raw)} is not a date such as 2024-05-31", field=what
        )
    return day


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def parse(args: Mapping[str, Sequence[str]], *, max_limit: int = MAX_LIMIT) -> SearchQuery:
    """The search in ``args`` (each key mapped to its list of values, as a query string)."""
    text = _one(args, "q")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"the search text is longer than {MAX_TEXT} characters", field="q")
    terms = tuple(dict.fromkeys(words_of.words(text)))
    if len(terms) > MAX_TERMS:
        raise ValidationError(f"use at most {MAX_TERMS} words", field="q")

    types = _many(args, "type")
    known_types = [t.value for t in DatasetType]
    for kind in types:
        if kind not in known_types:
            raise ValidationError(
                f"unknown dataset type {_shown(kind)}: use {', '.join(known_types)}", field="type"
            )

    start_from = parse_day(_one(args, "from"), "from")
    start_to = parse_day(_one(args, "to"), "to")
    if start_from and start_to and start_from > start_to:
        raise ValidationError(
            f"the 'from' date {start_from} is after the 'to' date {start_to}", field="from"
        )

    sort = _one(args, "sort") or ("relevance" if terms else "newest")
    if sort not in SORTS:
        raise ValidationError(
            f"cannot sort by {_shown(sort)}: use {', '.join(SORTS)}", field="sort"
        )
    if sort == "relevance" and not terms:
        sort = "newest"  # nothing to be relevant to: a bookmarked link keeps working

    limit_text = _one(args, "limit")
    limit = DEFAULT_LIMIT
    if limit_text:
        if not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 6):
            raise ValidationError(f"limit {_shown(limit_text)} is not a number", field="limit")
        limit = int(limit_text)
        if not 1 <= limit <= max_limit:
            raise ValidationError(f"limit must be 1 to {max_limit}", field="limit")

    after = _one(args, "after") or None
    return SearchQuery(
        text=text,
        terms=terms,
        beamlines=_many(args, "beamline"),
        techniques=_many(args, "technique"),
        types=types,
        start_from=start_from,
        start_to=start_to,
        parameters=_parameter(args),
        sort=sort,
        after=after,
        limit=limit,
    )


def _parameter(args: Mapping[str, Sequence[str]]) -> tuple[ParameterRange, ...]:
    name = _one(args, "param")
    low = parse_number(_one(args, "min"), "min")
    high = parse_number(_one(args, "max"), "max")
    unit_text = _one(args, "unit")
    if not name:
        if low is not None or high is not None:
            raise ValidationError(
                "a range needs the parameter's name, e.g. wavelength", field="param"
            )
        return ()
    if len(name) > MAX_NAME:
        raise ValidationError("the parameter name is too long", field="param")
    if low is None and high is None:
        raise ValidationError(f"give a minimum, a maximum or both for {_shown(name)}", field="min")
    if low is not None and high is not None and low > high:
        raise ValidationError(
            f"the minimum {_number_text(low)} is above the maximum {_number_text(high)}",
            field="min",
        )
    unit = parse_unit(unit_text) if unit_text else None
    return (ParameterRange(words_of.fold(name).strip(), low, high, unit, unit_text),)
