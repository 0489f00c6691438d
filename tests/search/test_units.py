"""Units: pint's conversions, reduced to canonical units per kind of quantity (pure)."""

from __future__ import annotations

import time

import pytest

from faircat.catalogue.search.units import bounds_in, parse_unit, scale_of
from faircat.errors import ValidationError


@pytest.mark.parametrize(
    ("unit", "canonical", "one_in_canonical"),
    [
        ("angstrom", "meter", 1e-10),
        ("Angstrom", "meter", 1e-10),  # as NeXus files write it
        ("Å", "meter", 1e-10),
        ("nm", "meter", 1e-9),
        ("um", "meter", 1e-6),
        ("µm", "meter", 1e-6),
        ("mm", "meter", 1e-3),
        ("keV", "gram * meter ** 2 / second ** 2", 1.602176634e-13),
        ("eV", "gram * meter ** 2 / second ** 2", 1.602176634e-16),
        ("K", "kelvin", 1.0),
        ("degC", "kelvin", 274.15),
        ("deg", "radian", 0.017453292519943295),
        ("degrees", "radian", 0.017453292519943295),
        ("counts", "count", 1.0),
        ("", "dimensionless", 1.0),
        ("1/s", "1 / second", 1.0),
        ("1/angstrom", "1 / meter", 1e10),
        ("mA", "ampere", 1e-3),
        ("A", "ampere", 1.0),  # ampere, never angstrom: beam currents are written in mA and A
    ],
)
def test_units_and_their_canonical_units(unit, canonical, one_in_canonical):
    scale = scale_of(unit)
    assert scale is not None and scale.canonical == canonical
    assert scale.to_canonical(1.0) == pytest.approx(one_in_canonical, rel=1e-12)


@pytest.mark.parametrize(
    ("low", "high", "asked", "stored", "expected"),
    [
        (0.9, 1.0, "angstrom", "nm", (0.09, 0.1)),
        (0.09, 0.1, "nm", "angstrom", (0.9, 1.0)),
        (12.0, 13.0, "keV", "eV", (12000.0, 13000.0)),
        (100.0, 120.0, "K", "degC", (-173.15, -153.15)),
        (0.0, None, "degC", "K", (273.15, None)),
        (None, 90.0, "deg", "rad", (None, 1.5707963267948966)),
    ],
)
def test_ranges_convert_to_the_stored_unit(low, high, asked, stored, expected):
    converted = bounds_in(low, high, parse_unit(asked), parse_unit(stored))
    assert converted is not None
    for got, want in zip(converted, expected, strict=True):
        assert (got is None) == (want is None)
        if want is not None:
            assert got == pytest.approx(want, rel=1e-8)


def test_a_stored_value_on_the_boundary_stays_in_range():
    # 0.9 angstrom in nm is 0.09000000000000001: a stored 0.09 must still match
    low, high = bounds_in(0.9, 1.0, parse_unit("angstrom"), parse_unit("nm"))
    assert low <= 0.09 and high >= 0.1


@pytest.mark.parametrize(
    ("asked", "stored"),
    [("keV", "angstrom"), ("deg", ""), ("counts", ""), ("deg", "counts"), ("mA", "angstrom")],
)
def test_different_quantities_never_compare(asked, stored):
    assert bounds_in(1.0, 2.0, parse_unit(asked), parse_unit(stored)) is None


@pytest.mark.parametrize("unit", ["furlongs per fortnightx", "1/", "m**", "9**9**9**9", "x" * 65])
def test_unknown_units_are_named(unit):
    with pytest.raises(ValidationError, match="unknown unit"):
        parse_unit(unit)


@pytest.mark.parametrize(
    "unit", ["9**9**9**9", "m**9**9", "m^(9^9)", "2**2**2**2**2 m", "1e308 m", "kilo" * 16]
)
def test_hostile_unit_strings_are_refused_at_once(unit):
    started = time.monotonic()
    assert scale_of(unit) is None
    assert time.monotonic() - started < 1.0
