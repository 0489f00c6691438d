"""Reading a search from URL arguments (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from faircat.catalogue.search.query import parse
from faircat.catalogue.search.text import words
from faircat.errors import ValidationError


def q(**args: str | list[str]):
    return parse({k: v if isinstance(v, list) else [v] for k, v in args.items()})


def test_a_full_search():
    query = q(
        q="Lysozyme  soak",
        beamline=["XALOC", "XALOC", "NOTOS"],
        type="raw",
        **{"from": "2024-01-01", "to": "2024-01-31"},
        param="Wavelength",
        min="0,9",
        max="1",
        unit="Å",
        limit="10",
    )
    assert query.terms == ("lysozyme", "soak")
    assert query.beamlines == ("XALOC", "NOTOS")
    assert (query.start_from, query.start_to) == (date(2024, 1, 1), date(2024, 1, 31))
    (param,) = query.parameters
    assert (param.name, param.low, param.high, param.unit.canonical) == (
        "wavelength",
        0.9,
        1.0,
        "meter",
    )
    assert query.sort == "relevance" and query.limit == 10
    assert dict(parse({k: [v] for k, v in query.args()}).args()) == dict(query.args())


def test_relevance_without_words_sorts_by_date():
    assert q(sort="relevance").sort == "newest"
    assert q().sort == "newest"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"param": "wavelength", "min": "1", "unit": "parsecs/fortnight!"}, "unknown unit"),
        ({"param": "wavelength", "min": "2", "max": "1"}, "minimum 2 is above the maximum 1"),
        ({"param": "wavelength", "min": "abc"}, "min 'abc' is not a number"),
        ({"param": "wavelength", "max": "nan"}, "max 'nan' is not a finite number"),
        ({"param": "wavelength", "max": "inf"}, "is not a finite number"),
        ({"param": "wavelength"}, "give a minimum, a maximum or both"),
        ({"max": "3"}, "a range needs the parameter's name"),
        ({"from": "31/01/2024"}, "from date '31/01/2024' is not a date"),
        ({"to": "2024-02-30"}, "to date '2024-02-30' is not a date"),
        ({"from": "2024-02-02", "to": "2024-02-01"}, "is after the 'to' date"),
        ({"type": "cooked"}, "unknown dataset type 'cooked'"),
        ({"sort": "size"}, "cannot sort by 'size'"),
        ({"limit": "0"}, "limit must be 1 to"),
        ({"limit": "ten"}, "limit 'ten' is not a number"),
        ({"q": "x" * 201}, "longer than 200 characters"),
        ({"q": " ".join(f"w{i}" for i in range(13))}, "at most 12 words"),
        ({"beamline": [f"B{i}" for i in range(21)]}, "at most 20 values of 'beamline'"),
    ],
)
def test_every_problem_is_named(args, message):
    with pytest.raises(ValidationError, match=message):
        q(**args)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("scan_0042.nxs", ["scan", "0042", "nxs"]),
        ("Müller", ["muller"]),
        ("C₆H₁₂O₆", ["c6h12o6"]),
        ("10.80100/tls.PUB1-1", ["10", "80100", "tls", "pub1", "1"]),
        ("'; DROP TABLE x; --", ["drop", "table", "x"]),
        ('"a" * OR NEAR(b) :* & !c', ["a", "or", "near", "b", "c"]),
        ("\x00nul", ["nul"]),
    ],
)
def test_words_are_folded_runs_of_letters_and_digits(value, expected):
    assert words(value) == expected
