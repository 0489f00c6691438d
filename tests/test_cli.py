"""The faircat command, end to end on a real database (both backends)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from faircat.cli import main
from faircat.demo.nexusgen import example_spec, write_nexus, write_not_hdf5
from tests.conftest import cli_env


@pytest.fixture
def run(settings, tmp_path):
    env = cli_env(settings)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    invoke("db", "upgrade")
    return invoke


def test_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])
    for command in (
        "config",
        "db",
        "demo",
        "dev",
        "doi",
        "ingest",
        "instrument",
        "investigation",
        "mail",
        "release",
        "request",
        "scheduler",
        "serve",
        "token",
        "user",
    ):
        assert command in result.output


def test_users_instruments_and_tokens(run):
    run("instrument", "add", "XALOC", "--full-name", "XALOC MX", "--technique", "mx")
    run(
        "user",
        "add",
        "ana",
        "--name",
        "Ana García",
        "--orcid",
        "0000-0002-1825-0097",
        "--role",
        "curator",
    )
    listed = run("user", "list").output
    assert "ana" in listed and "Ana García" in listed and "curator" in listed
    token = run("token", "create", "--user", "ana", "--name", "ingest", "--instrument", "XALOC")
    assert token.output.splitlines()[0].startswith("fct_")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("user", "add", "bob", "--name", "Bob", "--orcid", "0000-0002-1825-0098"),
            65,
            "wrong check digit",
        ),
        (("token", "create", "--user", "ghost", "--name", "x"), 66, "user 'ghost' does not exist"),
        (
            (
                "investigation",
                "add",
                "--proposal",
                "P1",
                "--visit",
                "1",
                "--title",
                "T",
                "--start",
                "2025-01-02",
                "--end",
                "2025-01-01",
                "--instrument",
                "XALOC",
            ),
            65,
            "before start",
        ),
        (
            (
                "investigation",
                "add",
                "--proposal",
                "P1",
                "--visit",
                "1",
                "--title",
                "T",
                "--start",
                "2025-01-01",
                "--end",
                "2025-01-02",
                "--instrument",
                "NOPE",
            ),
            66,
            "unknown instrument",
        ),
        (
            (
                "investigation",
                "add",
                "--proposal",
                "P1",
                "--visit",
                "1",
                "--title",
                "T",
                "--start",
                "yesterday",
                "--end",
                "2025-01-02",
                "--instrument",
                "XALOC",
            ),
            65,
            "invalid start",
        ),
    ],
)
def test_bad_input_gets_one_clear_line_and_an_exit_code(run, args, code, message):
    run("instrument", "add", "XALOC", "--full-name", "XALOC MX", "--technique", "mx")
    result = run(*args, code=code)
    assert message in result.output
    assert "Traceback" not in result.output


def test_duplicate_investigation(run):
    run("instrument", "add", "XALOC", "--full-name", "XALOC MX", "--technique", "mx")
    args = (
        "investigation",
        "add",
        "--proposal",
        "P1",
        "--visit",
        "1",
        "--title",
        "T",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-02",
        "--instrument",
        "XALOC",
    )
    assert "release date 2028-01-02" in run(*args).output
    assert "already exists" in run(*args, code=65).output


def test_ingest_reports_failures_and_exit_code(run, tmp_path):
    run("instrument", "add", "XALOC", "--full-name", "XALOC MX", "--technique", "mx")
    data = tmp_path / "data"
    data.mkdir()
    write_nexus(data / "a.nxs", example_spec("mx", 1))
    write_not_hdf5(data / "b.nxs")
    result = run("ingest", str(data), "--no-progress", code=1)
    assert "FAILED" in result.output and "b.nxs" in result.output
    assert "1 created" in result.output and "1 failed" in result.output
    again = run("ingest", str(data / "a.nxs"), "--no-progress")
    assert "1 unchanged" in again.output


def test_ingest_names_links_it_skipped(run, tmp_path):
    import h5py

    run("instrument", "add", "XALOC", "--full-name", "XALOC MX", "--technique", "mx")
    path = write_nexus(tmp_path / "loop.nxs", example_spec("mx", 1))
    with h5py.File(path, "a") as f:
        f["entry/loop"] = h5py.SoftLink("/entry/loop")
    result = run("ingest", str(path), "--no-progress")  # exit 0: the file is read
    assert "1 created" in result.output and "(1 read with warnings)" in result.output
    assert f"WARNING {path}: skipped soft link /entry/loop -> /entry/loop" in result.output


def test_config_show_masks_secrets(run):
    result = run("config", "show")
    assert "facility_embargo_years" in result.output


@pytest.mark.parametrize("as_json", [(), ("--json",)])
def test_config_show_never_prints_a_password_in_a_url(settings, as_json):
    env = cli_env(settings) | {
        "FAIRCAT_DATACITE_URL": "https://user:hunter2@api.test.datacite.org",
        "FAIRCAT_DATABASE_URL": "postgresql+psycopg://app:hunter3@db.example.org/faircat",
    }
    result = CliRunner().invoke(main, ["config", "show", *as_json], env=env)
    assert result.exit_code == 0, result.output
    assert "hunter" not in result.output
    assert "https://user:***@api.test.datacite.org" in result.output
    assert "postgresql+psycopg://app:***@db.example.org/faircat" in result.output


def test_errors_quoting_a_database_url_hide_its_password(settings):
    env = cli_env(settings) | {"FAIRCAT_DATABASE_URL": "postgresql+psycopg://app:hunter2@db:x/f"}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 78, result.output
    assert "invalid database URL 'postgresql+psycopg://app:***@db:x/f'" in result.output
    assert "hunter2" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--proposal", "<img src=x onerror=alert(1)>", "--visit", "1"),
            "invalid proposal '<img src=x onerror=alert(1)>'",
        ),
        (("--proposal", "../../tmp/x", "--visit", "1"), "invalid proposal '../../tmp/x'"),
        (("--proposal", "P1", "--visit", "1/.."), "invalid visit '1/..'"),
    ],
)
def test_investigation_add_refuses_unsafe_identifiers(run, args, message):
    run("instrument", "add", "XALOC", "--full-name", "XALOC MX", "--technique", "mx")
    dates = ("--start", "2025-01-01", "--end", "2025-01-02", "--instrument", "XALOC")
    result = run("investigation", "add", *args, "--title", "T", *dates, code=65)
    assert message in result.output and "Traceback" not in result.output


def test_instrument_add_refuses_unsafe_names(run):
    result = run("instrument", "add", "<b>X</b>", "--full-name", "X", code=65)
    assert "invalid instrument name '<b>X</b>'" in result.output


def test_demo_builds_a_catalogue_from_nothing(run, tmp_path):
    now = "2026-11-23T12:00:00+00:00"
    result = run(
        "demo",
        "--investigations",
        "8",
        "--seed",
        "7",
        "--now",
        now,
        "--reset",
        "--data-dir",
        str(tmp_path / "demo"),
        "--no-progress",
    )
    out = result.output
    assert "8 investigations" in out
    for state in ("public", "embargoed", "active", "scheduled"):
        assert state in out
    assert "0 failed" in out
    # the release job ran against the in-process local DataCite: DOIs registered, none failed
    assert "DOI(s) synced" in out and "to retry" not in out and "rejected" not in out
    assert "extension request pending" in out or "selection DOI approved" in out
    refused = run("demo", "--investigations", "3", "--no-progress", code=65)
    assert "--reset" in refused.output
    # the export's worker processes are the operator's to choose; 0 is refused by name
    site = tmp_path / "site-one-process"
    exported = run("export", "--out", str(site), "--jobs", "1", "--no-progress", "--now", now)
    assert "full export" in exported.output and (site / "index.html").is_file()
    assert "--jobs" in run("export", "--jobs", "0", code=2).output


def test_password_is_prompted_never_an_argument(run, settings):
    from click.testing import CliRunner

    from faircat.catalogue.accounts import get_user, verify_password
    from faircat.catalogue.store import Catalogue

    env = {"FAIRCAT_DATABASE_URL": settings.database_url, "FAIRCAT_CONFIG": "",
           "FAIRCAT_INSTANCE_PATH": str(settings.instance_path)}
    result = CliRunner().invoke(main, ["user", "add", "ana", "--name", "Ana", "--set-password"],
                                input="s3cret horse\ns3cret horse\n", env=env)
    assert result.exit_code == 0, result.output
    catalogue = Catalogue.open(settings)
    with catalogue.transaction() as session:
        assert verify_password(get_user(session, "ana"), "s3cret horse")
    catalogue.close()
