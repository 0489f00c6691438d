"""Shared settings for the browser tests: Debian's Chromium driven by Playwright.

Never a downloaded browser. The flags are those that start Chromium headless in this sandbox
without reaching for the network (background networking, component updates, sync, QUIC).
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = Path("/tmp/faircat-screens")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
