"""How a dataset is named wherever people see it: portal, request forms, queue, landing pages.

A dataset's ``name`` is its NeXus ``entry_identifier`` (a scan number such as ``scan_0042``) or
the file's stem; alone it tells little. Its display name adds what the scan was: the NeXus
entry title, or else the sample.
"""

from __future__ import annotations


def display_name(name: str, title: str | None = None, sample: str | None = None) -> str:
    """``"scan_0042 · lysozyme: mx scan 42"``; the name alone when there is nothing to add."""
    extra = (title or "").strip() or (sample or "").strip()
    if not extra or extra == name:
        return name
    if len(extra) > 120:
        extra = extra[:119].rstrip() + "…"
    return f"{name} · {extra}"
