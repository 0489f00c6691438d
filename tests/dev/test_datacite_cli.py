"""``faircat dev datacite``: options, and a real start in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from click.testing import CliRunner

from faircat.dev.commands import dev
from tests.dev import json_metadata

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_option():
    result = CliRunner().invoke(dev, ["datacite", "--help"])
    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--prefix",
        "--username",
        "--password",
        "--data",
        "--fail-rate",
        "--fail-status",
        "--delay",
    ):
        assert option in result.output
    assert "not for production" in CliRunner().invoke(dev, ["--help"]).output


def test_bad_options_are_refused():
    for args in (["--fail-rate", "2"], ["--fail-status", "200"], ["--delay", "-1"]):
        result = CliRunner().invoke(dev, ["datacite", *args])
        assert result.exit_code == 2, args


@contextmanager
def cli_server(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, str]]:
    """Start ``faircat dev datacite --port 0 ...``; yield (base URL, printed banner)."""
    code = "from faircat.dev.commands import dev; dev()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "datacite", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("  curl"):
                break
        banner = "".join(lines)
        url = next(w for w in banner.split() if w.startswith("FAIRCAT_DATACITE_URL="))
        yield url.split("=", 1)[1], banner
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_command_serves_the_api(tmp_path):
    data = tmp_path / "datacite.json"
    env = {"FAIRCAT_DEV_DATACITE_PASSWORD": "from-env"}
    with cli_server("--prefix", "10.80100", "--data", str(data), env=env) as (url, banner):
        assert "FAIRCAT_DATACITE_PASSWORD=from-env" in banner
        assert "FAIRCAT_DATACITE_USERNAME=FAIRCAT.TEST" in banner
        assert "FAIRCAT_FACILITY_DOI_PREFIX=10.80100" in banner
        assert requests.get(url + "heartbeat", timeout=5).text == "OK"
        from datacite import DataCiteRESTClient

        client = DataCiteRESTClient("FAIRCAT.TEST", "from-env", "10.80100", url=url, timeout=5)
        client.public_doi(json_metadata(), "https://x.example/1", doi="10.80100/cli.1")
    assert "10.80100/cli.1" in data.read_text()


def test_faults_from_the_command_line():
    with cli_server("--fail-rate", "1", "--fail-status", "502", "--password", "pw") as (url, _):
        assert requests.get(url + "heartbeat", timeout=5).status_code == 502
        assert requests.delete(url + "_dev/faults", timeout=5).status_code == 200
        assert requests.get(url + "heartbeat", timeout=5).status_code == 200
