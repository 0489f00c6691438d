"""Words of search documents and of queries, folded the same way on every database.

Both sides go through :func:`words`, so PostgreSQL (``simple`` configuration) and SQLite (FTS5
``unicode61``) only ever see lower-case runs of letters and digits separated by spaces: what a
database's own tokenizer would do with ``scan_0042.nxs``, ``Müller`` or ``C₆H₁₂O₆`` no longer
matters. Compatibility folding turns subscripts into digits and drops accents, so ``muller``
finds ``Müller`` and ``C6H12O6`` finds ``C₆H₁₂O₆``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_WORD = 64  # longer runs (hashes, base64) are not something people type
_RUN = re.compile(r"[^\W_]+")


def fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(value: str | None) -> list[str]:
    """The words of ``value`` in order: letters and digits, folded; everything else separates."""
    if not value:
        return []
    return [w for w in _RUN.findall(fold(value)) if len(w) <= MAX_WORD]


def bag(values: Iterable[str | None], limit: int) -> str:
    """The distinct words of ``values``, first seen first, at most ``limit`` of them, as one
    space-separated string (a dataset of 10,000 frames repeats its file-name words)."""
    seen: dict[str, None] = {}
    for value in values:
        for word in words(value):
            if len(seen) >= limit:
                return " ".join(seen)
            seen.setdefault(word, None)
    return " ".join(seen)


def postgres_query(terms: Iterable[str]) -> str:
    """A ``to_tsquery('simple', ...)`` string: every term as a prefix, all required. Terms come
    from :func:`words`, so they hold no tsquery syntax."""
    return " & ".join(f"{term}:*" for term in terms)


def fts5_query(terms: Iterable[str]) -> str:
    """An FTS5 MATCH string: every term as a quoted prefix, all required."""
    return " AND ".join(f'"{term}"*' for term in terms)
