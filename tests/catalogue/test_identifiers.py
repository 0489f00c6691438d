"""The identifier rules every way into the catalogue shares (pure: no database)."""

from __future__ import annotations

import pytest

from faircat.catalogue import identifiers
from faircat.errors import ValidationError

ACCEPTED_CODES = [
    "mx23694",  # Diamond
    "2024-0123",
    "ih-ch-1234",  # ESRF in-house
    "2024031234",
    "P1",
    "a.b_c-d",
    "1",
    "x" * 64,
]

REFUSED_CODES = [
    ("<img src=x onerror=alert(1)>", "markup"),
    ("../../tmp/x", "a relative path"),
    ("/etc/passwd", "an absolute path"),
    ("a/b", "a slash"),
    ("a\\b", "a backslash"),
    ("..", "dots only"),
    (".", "a dot"),
    (".hidden", "a leading dot"),
    ("-1", "a leading dash"),
    ("mx 23694", "a space inside"),
    ("mx\t1", "a tab"),
    ("mx1\n", "a trailing newline"),
    ("mx\x001", "NUL"),
    ("mx\x1b[31m", "an escape sequence"),
    ("mx\u202e1", "a bidi override"),
    ("mx\u200b1", "a zero-width space"),
    ("", "empty"),
    ("   ", "blank"),
    ("x" * 65, "over-long"),
    ("ñu1", "a non-ASCII letter"),
    ("a;b", "a semicolon"),
    ("a%2e", "a percent escape"),
    ("a?b", "a question mark"),
    ("a#b", "a hash"),
    ('a"b', "a quote"),
]


@pytest.mark.parametrize("value", ACCEPTED_CODES)
@pytest.mark.parametrize("check", [identifiers.proposal, identifiers.visit])
def test_real_codes_are_accepted_unchanged(check, value):
    assert check(value) == value


def test_surrounding_spaces_are_dropped():
    assert identifiers.proposal("  mx23694 ") == "mx23694"


@pytest.mark.parametrize(("value", "why"), REFUSED_CODES)
@pytest.mark.parametrize(
    ("check", "what"), [(identifiers.proposal, "proposal"), (identifiers.visit, "visit")]
)
def test_unsafe_codes_are_refused_with_field_and_value(check, what, value, why):
    with pytest.raises(ValidationError) as info:
        check(value)
    message = str(info.value)
    assert info.value.field == what
    # the value is shown as its repr: markup inert, control characters visible, one line
    assert message.startswith(f"invalid {what} {value!r}: "), why
    assert "\n" not in message and "\x1b" not in message and "\u202e" not in message


@pytest.mark.parametrize(
    "value", ["XALOC", "NCD-SWEET", "BL13", "ID30A-3", "DIAMOND BEAMLINE I04", "i04.1"]
)
def test_instrument_names_as_nexus_files_carry_them(value):
    assert identifiers.instrument_name(value) == value


@pytest.mark.parametrize(
    "value",
    ["", " ", "<b>XALOC</b>", "BL/13", "..", "A  B", "A\tB", "A\nB", "X" * 65, "-X", "XA\x00"],
)
def test_unsafe_instrument_names_are_refused(value):
    with pytest.raises(ValidationError, match=r"^invalid instrument name "):
        identifiers.instrument_name(value)


def test_instrument_key_is_the_beamline_page_segment():
    assert identifiers.instrument_key("NCD-SWEET") == identifiers.instrument_key("ncd sweet")
    assert identifiers.instrument_key("XALOC") == "xaloc"
    assert identifiers.instrument_key("DIAMOND BEAMLINE I04") == "diamond-beamline-i04"


@pytest.mark.parametrize("value", ["1", "42", "scan_0001", "Scan 2", "avg_1-2", "αβ-1", "a.b"])
def test_dataset_names_are_free_text_that_says_something(value):
    assert identifiers.dataset_name(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "<img src=x onerror=alert(1)>",
        "../x",
        "a/b",
        "a\\b",
        "..",
        "---",
        "αβ",  # its DOI part would be "-" only
        "",
        "scan\n2",
        "scan\x7f",
        "scan\u2028",
        "x" * 256,
    ],
)
def test_unsafe_dataset_names_are_refused(value):
    with pytest.raises(ValidationError, match=r"^invalid dataset name "):
        identifiers.dataset_name(value)


def test_doi_length_is_bounded_by_the_columns():
    fits = "10.80100/tls." + "x" * (identifiers.MAX_DOI - 13)
    assert identifiers.doi_length(fits, "dataset name") == fits
    with pytest.raises(ValidationError, match="256 characters long"):
        identifiers.doi_length(fits + "x", "dataset name")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("10.80100", True),
        ("10.5072", True),
        ("10.123", False),
        ("11.80100", False),
        ("10.80100/x", False),
        ("", False),
    ],
)
def test_doi_prefix(value, ok):
    if ok:
        assert identifiers.doi_prefix(value) == value
    else:
        with pytest.raises(ValidationError, match="invalid DOI prefix"):
            identifiers.doi_prefix(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://data.tls.example.org", "https://data.tls.example.org"),
        ("https://data.tls.example.org/", "https://data.tls.example.org"),
        ("http://localhost:8080/site", "http://localhost:8080/site"),
    ],
)
def test_base_urls(value, expected):
    assert identifiers.base_url(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "data.tls.example.org",
        "ftp://data.tls.example.org",
        "https://user:pw@data.tls.example.org",
        "https://data.tls.example.org/?x=1",
        "https://data.tls.example.org/#top",
        "https://data.tls.example.org/a b",
        'https://data.tls.example.org/"><script>',
        "https://",
        "https://host:port",
    ],
)
def test_bad_base_urls(value):
    with pytest.raises(ValidationError, match="invalid base URL"):
        identifiers.base_url(value)
