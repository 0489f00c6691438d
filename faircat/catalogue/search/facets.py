"""Facets: names in URLs resolved to ids, and counts from one grouped query.

Facets are disjunctive, as people expect from checkboxes: the counts of a facet are computed
with every filter *except that facet's own*, so ticking XALOC still shows how many datasets
BL13 would add. One grouped query returns, for each (beamline, type, technique set) cell of the
rows that fail at most one facet filter, how many datasets are in it; :func:`tally` derives the
total and every facet from those cells in Python. Cells are few (beamlines x types x the
technique sets in use), so this costs one scan of the matching rows instead of four.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from faircat.catalogue.models import Instrument, Technique
from faircat.catalogue.panet import TECHNIQUES
from faircat.catalogue.vocab import DatasetType
from faircat.errors import ValidationError

_SHORT = {pid: short for short, (pid, _name) in TECHNIQUES.items()}


@dataclass(frozen=True)
class Choice:
    id: int | str  # instrument or technique id, or the dataset type's value
    key: str  # what URLs carry
    label: str


@dataclass(frozen=True)
class FacetValue:
    key: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Vocabulary:
    """Every value each facet can take (beamlines and techniques are public reference data)."""

    beamlines: tuple[Choice, ...]
    techniques: tuple[Choice, ...]
    types: tuple[Choice, ...]


def vocabulary(conn: Connection) -> Vocabulary:
    beamlines = tuple(
        Choice(row.id, row.name, row.name)
        for row in conn.execute(select(Instrument.id, Instrument.name).order_by(Instrument.name))
    )
    techniques = tuple(
        Choice(row.id, _SHORT.get(row.pid, row.name), row.name)
        for row in conn.execute(select(Technique.id, Technique.pid, Technique.name))
    )
    types = tuple(Choice(t.value, t.value, t.value) for t in DatasetType)
    return Vocabulary(beamlines, tuple(sorted(techniques, key=lambda c: c.label)), types)


def resolve(choices: Sequence[Choice], asked: Iterable[str], what: str) -> tuple[Choice, ...]:
    """The choices named in ``asked`` (by key or label, any case); an unknown name is an error
    that lists the known ones."""
    by_name: dict[str, Choice] = {}
    for choice in choices:
        by_name.setdefault(choice.key.casefold(), choice)
        by_name.setdefault(choice.label.casefold(), choice)
    found = []
    for name in asked:
        choice = by_name.get(name.casefold())
        if choice is None:
            known = ", ".join(c.key for c in choices) or "none"
            shown = name if len(name) <= 40 else name[:40] + "…"
            raise ValidationError(f"unknown {what} {shown!r} (known: {known})", field=what)
        found.append(choice)
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Selection:
    beamlines: frozenset[int]
    techniques: frozenset[int]
    types: frozenset[str]

    def beamline_ok(self, instrument_id: int | None) -> bool:
        return not self.beamlines or instrument_id in self.beamlines

    def technique_ok(self, techniques: frozenset[int]) -> bool:
        return not self.techniques or bool(self.techniques & techniques)

    def type_ok(self, kind: str) -> bool:
        return not self.types or kind in self.types


def technique_ids(text: str) -> frozenset[int]:
    return frozenset(int(part) for part in text.split())


@dataclass(frozen=True)
class Tally:
    total: int
    beamlines: Counter[int | None]
    techniques: Counter[int]
    types: Counter[str]


def tally(cells: Iterable[tuple[int | None, str, str, int]], selection: Selection) -> Tally:
    """Total and facet counts from (instrument id, type, technique text, count) cells."""
    total = 0
    beamlines: Counter[int | None] = Counter()
    techniques: Counter[int] = Counter()
    types: Counter[str] = Counter()
    for instrument_id, kind, technique_text, count in cells:
        kind = str(getattr(kind, "value", kind))
        used = technique_ids(technique_text)
        b = selection.beamline_ok(instrument_id)
        t = selection.technique_ok(used)
        y = selection.type_ok(kind)
        if b and t and y:
            total += count
        if t and y:
            beamlines[instrument_id] += count
        if b and y:
            for technique in used:
                techniques[technique] += count
        if b and t:
            types[kind] += count
    return Tally(total, beamlines, techniques, types)


def values(
    choices: Sequence[Choice],
    counts: Counter[int] | Counter[int | None] | Counter[str],
    selected: Iterable[Choice],
) -> list[FacetValue]:
    """The values to show: those with datasets, and the selected ones even at zero."""
    chosen = {c.id for c in selected}
    return [
        FacetValue(c.key, c.label, counts.get(c.id, 0), c.id in chosen)  # type: ignore[call-overload]
        for c in choices
        if counts.get(c.id, 0) or c.id in chosen  # type: ignore[call-overload]
    ]
