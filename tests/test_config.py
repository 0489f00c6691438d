from pathlib import Path

import pytest

from faircat.config import SETTINGS, load_settings
from faircat.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "faircat.toml"
    path.write_text(text)
    return path


def test_defaults_put_sqlite_under_instance(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'faircat.db'}"
    assert settings.facility_embargo_years == 3
    assert settings.facility_retention_years == 5
    assert settings.facility_licence == "CC-BY-4.0"


def test_file_sections_then_environment_wins(tmp_path):
    path = write(tmp_path, '[facility]\nname = "File Facility"\nembargo_years = 2\n')
    settings = load_settings(path, environ={"FAIRCAT_FACILITY_EMBARGO_YEARS": "4"})
    assert settings.facility_name == "File Facility"
    assert settings.facility_embargo_years == 4
    assert settings.source["facility_name"] == str(path)
    assert settings.source["facility_embargo_years"] == "FAIRCAT_FACILITY_EMBARGO_YEARS"


def test_secrets_are_refused_in_the_file(tmp_path):
    path = write(tmp_path, 'secret_key = "oops"\n')
    with pytest.raises(ConfigError, match="FAIRCAT_SECRET_KEY"):
        load_settings(path, environ={})


def test_unknown_setting_is_named(tmp_path):
    path = write(tmp_path, "[facility]\nembargo_yeers = 2\n")
    with pytest.raises(ConfigError, match="facility_embargo_yeers"):
        load_settings(path, environ={})


def test_bad_values_name_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="FAIRCAT_FACILITY_EMBARGO_YEARS"):
        load_settings(environ={"FAIRCAT_FACILITY_EMBARGO_YEARS": "three"})
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(write(tmp_path, "[facility\n"), environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_secrets_are_masked_in_show(tmp_path):
    settings = load_settings(
        environ={
            "FAIRCAT_DATABASE_URL": "postgresql+psycopg://app:hunter2@db/faircat",
            "FAIRCAT_SECRET_KEY": "s3cret",
        },
        config_file=None,
    )
    shown = {name: str(value) for name, value, _ in settings.public_items()}
    assert "hunter2" not in shown["database_url"] and "db/faircat" in shown["database_url"]
    assert shown["secret_key"] == "***"


def test_every_setting_is_documented():
    doc = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    for setting in SETTINGS:
        assert f"FAIRCAT_{setting.name.upper()}" in doc, setting.name


def test_login_throttling_defaults_and_sections(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./faircat.toml
    defaults = load_settings(environ={})
    assert defaults.login_account_failures == 5
    assert defaults.login_address_failures == 50
    assert defaults.login_window_minutes == 15
    assert defaults.web_trusted_proxies == 0  # X-Forwarded-For is not trusted by default
    path = write(
        tmp_path,
        "[login]\naccount_failures = 3\naddress_failures = 0\nwindow_minutes = 30\n"
        "[web]\ntrusted_proxies = 1\n",
    )
    settings = load_settings(path, environ={"FAIRCAT_LOGIN_ACCOUNT_FAILURES": "10"})
    assert settings.login_account_failures == 10
    assert settings.login_address_failures == 0
    assert settings.login_window_minutes == 30
    assert settings.web_trusted_proxies == 1


def test_login_window_must_be_at_least_a_minute():
    with pytest.raises(ConfigError, match="login_window_minutes must be at least 1"):
        load_settings(environ={"FAIRCAT_LOGIN_WINDOW_MINUTES": "0"})
    with pytest.raises(ConfigError, match="FAIRCAT_LOGIN_ACCOUNT_FAILURES"):
        load_settings(environ={"FAIRCAT_LOGIN_ACCOUNT_FAILURES": "-1"})


def test_export_jobs_default_section_and_refusal(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).export_jobs == 0  # one per core
    settings = load_settings(write(tmp_path, "[export]\njobs = 6\n"), environ={})
    assert settings.export_jobs == 6
    with pytest.raises(ConfigError, match="FAIRCAT_EXPORT_JOBS: export_jobs must not be negative"):
        load_settings(environ={"FAIRCAT_EXPORT_JOBS": "-2"})
