from pathlib import Path

import pytest

from faircat.config import SETTINGS, load_settings, mask_url, split_credentials
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


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://user:secret@api.test.datacite.org",
            "https://user:***@api.test.datacite.org",
        ),
        (
            "postgresql+psycopg://app:hunter2@db:5432/faircat",
            "postgresql+psycopg://app:***@db:5432/faircat",
        ),
        ("https://:secret@api.test.datacite.org/", "https://:***@api.test.datacite.org/"),
        # an unescaped "@" or "/" in the password: its end is not left visible
        ("postgresql://app:se@cr/et@db/faircat", "postgresql://app:***@db/faircat"),
        (
            "postgresql://db/faircat?sslmode=require&password=secret",
            "postgresql://db/faircat?sslmode=require&password=***",
        ),
        (
            "https://api.test.datacite.org/dois?token=secret",
            "https://api.test.datacite.org/dois?token=***",
        ),
        # nothing secret: unchanged
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test", None),
        ("sqlite:////srv/faircat/faircat.db", None),
        ("https://api.datacite.org/", None),
        ("not a URL: secret", None),
        # URLs inside a message (an exception's text)
        (
            "invalid database URL 'postgresql://u:secret@db:x/f': bad port; "
            "also smtp://m:secret@mail",
            "invalid database URL 'postgresql://u:***@db:x/f': bad port; also smtp://m:***@mail",
        ),
    ],
)
def test_mask_url(url, shown):
    masked = mask_url(url)
    assert masked == (shown or url)
    assert "secret" not in masked or shown is None


def test_split_credentials_takes_them_out_of_the_url():
    assert split_credentials("https://us%40er:se%2Fcret@api.test.datacite.org/x") == (
        "https://api.test.datacite.org/x",
        "us@er",
        "se/cret",
    )
    assert split_credentials("https://api.test.datacite.org/") == (
        "https://api.test.datacite.org/",
        None,
        None,
    )
    assert split_credentials("https://:pw@h/") == ("https://h/", None, "pw")


def test_every_url_is_masked_in_show():
    settings = load_settings(
        environ={
            "FAIRCAT_DATACITE_URL": "https://TLS.DATA:hunter2@api.test.datacite.org/",
            "FAIRCAT_DATABASE_URL": "postgresql+psycopg://app:hunter3@db/faircat",
            "FAIRCAT_SMTP_URL": "smtps://mailer:hunter4@mail.example.org:465",
        },
        config_file=None,
    )
    shown = {name: str(value) for name, value, _ in settings.public_items()}
    assert shown["datacite_url"] == "https://TLS.DATA:***@api.test.datacite.org/"
    assert shown["database_url"] == "postgresql+psycopg://app:***@db/faircat"
    assert shown["smtp_url"] == "smtps://mailer:***@mail.example.org:465"
    assert "hunter" not in repr(settings.public_items())


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FAIRCAT_FACILITY_SHORT_NAME", "TLS/../x", "invalid short name 'TLS/../x'"),
        ("FAIRCAT_FACILITY_SHORT_NAME", "<b>TLS</b>", "invalid short name '<b>TLS</b>'"),
        ("FAIRCAT_FACILITY_DOI_PREFIX", "10.80100/x", "invalid DOI prefix '10.80100/x'"),
        ("FAIRCAT_FACILITY_BASE_URL", "https://u:p@data.example.org", "invalid base URL"),
        ("FAIRCAT_FACILITY_BASE_URL", "data.example.org", "invalid base URL"),
    ],
)
def test_values_that_start_every_doi_and_url_are_checked(variable, value, message):
    with pytest.raises(ConfigError, match=f"^{variable}: {variable[8:].lower()}: {message}"):
        load_settings(environ={variable: value}, config_file=None)


def test_the_base_url_loses_its_trailing_slash():
    settings = load_settings(
        environ={"FAIRCAT_FACILITY_BASE_URL": "https://data.example.org/open/"}, config_file=None
    )
    assert settings.facility_base_url == "https://data.example.org/open"


def test_a_password_inside_a_url_is_refused_in_the_file(tmp_path):
    path = write(tmp_path, '[datacite]\nurl = "https://TLS.DATA:hunter2@api.test.datacite.org/"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert "datacite_url carries a password" in str(info.value)
    assert "FAIRCAT_DATACITE_URL" in str(info.value) and "hunter2" not in str(info.value)
    ok = write(tmp_path, '[datacite]\nurl = "https://TLS.DATA@api.test.datacite.org/"\n')
    assert load_settings(ok, environ={}).datacite_url == "https://TLS.DATA@api.test.datacite.org/"
