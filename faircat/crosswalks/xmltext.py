"""Text that is safe everywhere: no character XML 1.0 forbids, no lone surrogate.

Catalogue text comes from users, NeXus files and old databases: it may hold ``\\x00``-``\\x1f``
control characters (XML 1.0 forbids all but tab, newline and carriage return), U+FFFE/U+FFFF, and
lone surrogates (which no UTF-8 encoder accepts). lxml refuses such strings and ``json`` writes
them as escapes that strict parsers reject, so every crosswalk passes its text through
:func:`clean` (multi-line text) or :func:`one_line` (names, titles) before building output.
Both return their argument untouched in the common case: one regex search, no copy.
"""

from __future__ import annotations

import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids, and without lone surrogates."""
    # str.isprintable() is one C loop that is False for every control, separator, surrogate and
    # unassigned character: when it says True there is nothing to remove.
    if text.isprintable() or _FORBIDDEN.search(text) is None:
        return text
    return _FORBIDDEN.sub("", text)


def one_line(text: str) -> str:
    """:func:`clean`, with runs of whitespace (newlines included) collapsed to one space."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(_FORBIDDEN.sub("", text).split())
