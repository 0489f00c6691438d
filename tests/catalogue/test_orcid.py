import pytest

from faircat.catalogue.orcid import normalise_orcid
from faircat.errors import ValidationError


@pytest.mark.parametrize(
    "value",
    [
        "0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1825-0097",
        "0000000218250097",
        " http://orcid.org/0000-0002-1825-0097 ",
    ],
)
def test_accepted_spellings_normalise(value):
    assert normalise_orcid(value) == "0000-0002-1825-0097"


def test_x_check_digit():
    assert normalise_orcid("0000-0002-1694-233x") == "0000-0002-1694-233X"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0000-0002-1825-0098", "wrong check digit"),
        ("0000-0002-1825", "expected"),
        ("orcid", "expected"),
    ],
)
def test_invalid_orcids_are_named(value, problem):
    with pytest.raises(ValidationError, match=problem) as info:
        normalise_orcid(value)
    assert value in str(info.value)
