"""Units of parameters and of searches, reduced to one canonical unit per kind of quantity.

Pure: pint does the physics, nothing here reads the database. A unit string (as NeXus files
write it: ``angstrom``, ``Angstrom``, ``nm``, ``keV``, ``deg``, ``1/s``...) becomes a
:class:`Scale`: its canonical unit (SI root units, e.g. ``meter`` for every length) and the affine
map ``canonical = slope * value + offset`` (the offset is for temperatures in degC/degF). Two
units can be compared when their canonical units are equal. Angles and counts are dimensionless
to pint; their root units (``radian``, ``count``) keep them apart from each other and from plain
numbers, so "10-20 deg" never matches a unitless parameter.

A range asked for in one unit is turned into the range of each stored unit
(:func:`bounds_in`), so the database compares stored values directly, on its index.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import pint

from faircat.errors import ValidationError

# Spellings that NeXus writers use and pint does not know. "A" stays ampere (beam currents).
_ALIASES = {
    "angstroms": "angstrom",
    "ang": "angstrom",
    "aa": "angstrom",
    "deg.": "degree",
    "celsius": "degC",
    "c": "degC",
}
# Converting 0.9 angstrom to nm gives 0.09000000000000001: a stored 0.09 must still be in range.
RELATIVE_SLACK = 1e-9
MAX_UNIT = 64
# pint evaluates unit strings as arithmetic ("9**9**9" would run for ever): only names with a
# one-digit power, joined by * / . or spaces, optionally after "1/", reach it.
_NAME = r"(?:[^\W\d_]|°)+(?:\s*(?:\*\*|\^)\s*-?\d)?"
_UNIT_TEXT = re.compile(rf"(?:1\s*/\s*)?{_NAME}(?:\s*[*/. ]\s*{_NAME})*")


@dataclass(frozen=True)
class Scale:
    unit: str  # pint's name of the unit, e.g. "angstrom"
    canonical: str  # the canonical unit of its kind, e.g. "meter"
    slope: float
    offset: float = 0.0

    def to_canonical(self, value: float) -> float:
        return self.slope * value + self.offset

    def from_canonical(self, value: float) -> float:
        return (value - self.offset) / self.slope


@functools.cache
def _registry() -> pint.UnitRegistry:
    return pint.UnitRegistry()


@functools.lru_cache(maxsize=4096)
def scale_of(unit: str) -> Scale | None:
    """The scale of ``unit`` ("" = a plain number), or None when no spelling of it is known."""
    text = unit.strip()
    if len(text) > MAX_UNIT or (text and not _UNIT_TEXT.fullmatch(text)):
        return None
    registry = _registry()
    for candidate in _candidates(text):
        try:
            zero = registry.Quantity(0.0, candidate).to_root_units()
            one = registry.Quantity(1.0, candidate).to_root_units()
            name = str(registry.Quantity(1.0, candidate).units)
        except Exception:  # pint raises many kinds on odd strings ("1/", "m/", "**")
            continue
        slope = float(one.magnitude) - float(zero.magnitude)
        if not (math.isfinite(slope) and slope > 0):
            continue
        return Scale(name, str(one.units), slope, float(zero.magnitude))
    return None


def _candidates(text: str) -> list[str]:
    if not text:
        return ["dimensionless"]
    found = [text, _ALIASES.get(text.lower(), text)]
    if text.isalpha() and len(text) > 3:
        found.append(text.lower())  # "Angstrom", "Kelvin"; short symbols keep their case (mA/MA)
    return found


def parse_unit(unit: str) -> Scale:
    """The scale of a unit typed by someone searching; a ValidationError naming it otherwise."""
    scale = scale_of(unit)
    if scale is None:
        shown = unit if len(unit) <= MAX_UNIT else unit[:MAX_UNIT] + "…"
        raise ValidationError(
            f"unknown unit {shown!r}: write it as in 'angstrom', 'nm', 'keV', 'K', 'deg' or 'mm'",
            field="unit",
        )
    return scale


def bounds_in(
    low: float | None, high: float | None, asked: Scale, stored: Scale
) -> tuple[float | None, float | None] | None:
    """The range [low, high] given in ``asked`` units, in ``stored`` units (widened by a hair
    so that a value on the boundary stays in), or None when the two measure different things."""
    if asked.canonical != stored.canonical:
        return None

    def convert(value: float | None, sign: int) -> float | None:
        if value is None:
            return None
        converted = stored.from_canonical(asked.to_canonical(value))
        return converted + sign * abs(converted) * RELATIVE_SLACK

    return convert(low, -1), convert(high, +1)
