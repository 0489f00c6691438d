"""One settings object: defaults < ``faircat.toml`` < ``FAIRCAT_*`` environment < overrides.

Every setting is declared once in :data:`SETTINGS` with its type and help text; the TOML file uses
sections (``[facility] name = ...`` is the setting ``facility_name``), the environment the flat
upper-case name (``FAIRCAT_FACILITY_NAME``). Secrets are only read from the environment: a secret
found in the file is refused, because settings files end up in repositories and backups.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from faircat.catalogue import identifiers
from faircat.errors import ConfigError, ValidationError

ENV_PREFIX = "FAIRCAT_"
CONFIG_FILE_ENV = "FAIRCAT_CONFIG"
DEFAULT_CONFIG_FILE = "faircat.toml"


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "instance_path", str, "instance", "Folder for the SQLite database, demo data and state."
    ),
    Setting(
        "database_url",
        str,
        "",
        "SQLAlchemy URL of the catalogue; empty means sqlite:///<instance_path>/faircat.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
        secret=True,
    ),
    Setting("site_dir", str, "site", "Folder the static publisher writes the public site into."),
    Setting(
        "export_jobs",
        int,
        0,
        "Worker processes an export (faircat export, the release job) writes pages with; 0: one "
        "per usable core. More than the cores helps where creating files is slow (network or "
        "virtual disks): page writing then waits on the disk, not the CPU.",
    ),
    Setting("secret_key", str, "", "Signs sessions and OAI-PMH resumption tokens.", secret=True),
    Setting("facility_name", str, "ALBA Synchrotron", "Facility name, publisher of every DOI."),
    Setting("facility_short_name", str, "ALBA", "Short name used in identifiers and titles."),
    Setting(
        "facility_ror", str, "", "ROR identifier of the facility, e.g. https://ror.org/0xxxxxxxx."
    ),
    Setting("facility_doi_prefix", str, "10.80100", "DataCite DOI prefix of the facility."),
    Setting(
        "facility_embargo_years",
        int,
        3,
        "Embargo: data become public this many years after the end of the experiment.",
    ),
    Setting(
        "facility_retention_years",
        int,
        5,
        "Minimum retention: nothing is deleted before end of experiment + this many years.",
    ),
    Setting("facility_licence", str, "CC-BY-4.0", "Default licence of released data (SPDX id)."),
    Setting(
        "facility_base_url",
        str,
        "https://data.alba.example.org",
        "Public base URL of the published site (landing pages, OAI-PMH base URL).",
    ),
    Setting("facility_timezone", str, "Europe/Madrid", "Timezone shown to people on pages."),
    Setting(
        "oai_admin_email", str, "data-curation@alba.example.org", "OAI-PMH Identify adminEmail."
    ),
    Setting(
        "oai_repository_identifier",
        str,
        "",
        "OAI-PMH repository identifier (a dotted domain name; identifiers are "
        "oai:<it>:<DOI>); empty means the host of facility_base_url.",
    ),
    Setting("oai_page_size", int, 100, "OAI-PMH records per ListRecords/ListIdentifiers page."),
    Setting(
        "oai_token_hours", int, 24, "Hours a resumption token stays valid (its expirationDate)."
    ),
    Setting(
        "oai_max_concurrent",
        int,
        4,
        "OAI-PMH requests one web worker serves at once; more are answered 503 + Retry-After.",
    ),
    Setting("datacite_url", str, "http://127.0.0.1:5800/", "DataCite REST API base URL."),
    Setting("datacite_username", str, "ALBA.DATA", "DataCite repository id (datacentre symbol)."),
    Setting("datacite_password", str, "", "DataCite repository password.", secret=True),
    Setting(
        "datacite_workers",
        int,
        4,
        "DataCite calls the release job makes at once (DataCite allows ~3,000 requests per "
        "5 minutes per IP).",
    ),
    Setting(
        "release_notice_days",
        int,
        30,
        "Days before an embargo ends that the PI is told (and may ask for an extension).",
    ),
    Setting(
        "release_interval_minutes",
        int,
        15,
        "How often 'faircat scheduler' runs the release job.",
    ),
    Setting(
        "smtp_url",
        str,
        "",
        "SMTP server for notification e-mail: smtp://host:port, "
        "smtp+starttls://user:pass@host:port or smtps://user:pass@host:port; empty sends no "
        "e-mail (the portal still shows them).",
        secret=True,
    ),
    Setting(
        "mail_from",
        str,
        "data-curation@alba.example.org",
        "From address of notification e-mail, e-mail or 'Name <e-mail>'.",
    ),
    Setting(
        "login_account_failures",
        int,
        5,
        "Failed portal sign-ins for one username within login_window_minutes after which "
        "that username is refused (HTTP 429) until the window ends; 0 switches the limit off.",
    ),
    Setting(
        "login_address_failures",
        int,
        50,
        "Failed portal sign-ins from one client address (IPv6: its /64) within "
        "login_window_minutes after which that address is refused until the window ends; "
        "0 switches the limit off.",
    ),
    Setting(
        "login_window_minutes",
        int,
        15,
        "Length of the window in which failed sign-ins are counted, starting at the first "
        "failure (at least 1).",
    ),
    Setting(
        "web_trusted_proxies",
        int,
        0,
        "Reverse proxies (nginx, a load balancer) in front of the web workers whose "
        "X-Forwarded-For is trusted for the client address; 0 trusts none (workers reached "
        "directly). Behind one nginx: 1.",
    ),
    Setting(
        "data_roots",
        str,
        "",
        "Folders data files may be served from (downloads, zips, previews, the HDF5 explorer), "
        "separated by ':' like PATH; a file whose location resolves (symlinks followed) outside "
        "them is refused. Empty means <instance_path>/demo-data only: nothing else is served "
        "until the facility's storage is listed here.",
    ),
    Setting(
        "oidc_issuer",
        str,
        "",
        "Facility sign-in: issuer URL of the facility's OpenID Connect provider (discovery at "
        "<issuer>/.well-known/openid-configuration); empty switches it off. https:// (http:// "
        "only on 127.0.0.1 or localhost).",
    ),
    Setting("oidc_client_id", str, "", "Client id of the portal at the OpenID Connect provider."),
    Setting(
        "oidc_client_secret", str, "", "Client secret of the portal at the provider.", secret=True
    ),
    Setting("oidc_scopes", str, "openid profile email", "Scopes asked for; must hold openid."),
    Setting(
        "oidc_match_claim",
        str,
        "preferred_username",
        "Claim (ID token, else UserInfo) naming the account, compared with oidc_match_field.",
    ),
    Setting(
        "oidc_match_field",
        str,
        "username",
        "Account field the claim must equal: username, email (only with email_verified: true) "
        "or orcid.",
    ),
    Setting("oidc_label", str, "", "Button text: 'Sign in with <it>'; empty: facility_name."),
    Setting(
        "oidc_redirect_uri",
        str,
        "",
        "Callback URL registered at the provider; empty: built from the request. Behind a "
        "proxy terminating HTTPS: https://<portal host>/portal/login/oidc/callback.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclasses.dataclass(frozen=True)
class Settings:
    """The resolved settings. Build it with :func:`load_settings`."""

    instance_path: Path
    database_url: str
    site_dir: Path
    secret_key: str
    facility_name: str
    facility_short_name: str
    facility_ror: str
    facility_doi_prefix: str
    facility_embargo_years: int
    facility_retention_years: int
    facility_licence: str
    facility_base_url: str
    facility_timezone: str
    oai_admin_email: str
    oai_repository_identifier: str
    oai_page_size: int
    oai_token_hours: int
    oai_max_concurrent: int
    datacite_url: str
    datacite_username: str
    datacite_password: str
    datacite_workers: int
    export_jobs: int
    release_notice_days: int
    release_interval_minutes: int
    smtp_url: str
    mail_from: str
    login_account_failures: int
    login_address_failures: int
    login_window_minutes: int
    web_trusted_proxies: int
    data_roots: str
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str
    oidc_scopes: str
    oidc_match_claim: str
    oidc_match_field: str
    oidc_label: str
    oidc_redirect_uri: str
    source: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)

    def public_items(self) -> list[tuple[str, Any, str]]:
        """(name, value, where it came from) with secrets masked, for ``faircat config show``."""
        rows = []
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            if setting.secret and value:
                value = _mask(str(value))
            elif isinstance(value, str):
                value = mask_url(value)  # datacite_url may carry a password too
            rows.append((setting.name, value, self.source.get(setting.name, "default")))
        return rows


def _mask(value: str) -> str:
    # A URL stays readable (scheme, user, host, database); anything else is hidden whole.
    return mask_url(value) if "://" in value else "***"


# scheme://user:password@ - the password runs to the last "@" of the word: an unescaped "@" in
# it (or a "/", which SQLAlchemy accepts) must not leave its end visible.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*):[^\s]*@")
# ?password=..., &sslpassword=..., ?token=..., &api_key=...: libpq and many APIs take these.
_QUERY_SECRET = re.compile(
    r"([?&;][\w.-]*(?:pass|pwd|secret|token|key)[\w.-]*=)[^&;#\s'\"]*", re.IGNORECASE
)


def mask_url(text: str) -> str:
    """``text`` with every URL password replaced by ``***`` (``https://user:***@host/``), and
    the values of query parameters named like a password, secret, token or key. Works on a
    URL or on any message quoting URLs (an exception's text); a user name alone is shown."""
    if "://" not in text:
        return text
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    return _QUERY_SECRET.sub(r"\1***", text)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(``url`` without its user and password, the user, the password), so that HTTP clients
    get the credentials apart and never quote them in an error message."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    bare = urlunsplit(parts._replace(netloc=host))
    return bare, unquote(user) or None, unquote(password) if colon else None


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}".replace("-", "_")
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


def _coerce(setting: Setting, value: Any, where: str) -> Any:
    if setting.type is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: {setting.name} must be an integer, not {value!r}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{where}: {setting.name} must be an integer, not {value!r}"
            ) from None
        if number < 0:
            raise ConfigError(f"{where}: {setting.name} must not be negative")
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {setting.name} must be a string, not {value!r}")
    return value


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read settings file: {exc.strerror}") from None
    flat = _flatten(data)
    for name in flat:
        setting = _BY_NAME.get(name)
        if setting is None:
            known = ", ".join(sorted(_BY_NAME))
            raise ConfigError(f"{path}: unknown setting {name!r} (known: {known})")
        if setting.secret:
            raise ConfigError(
                f"{path}: {name} is a secret; set it in the environment as "
                f"{ENV_PREFIX}{name.upper()}, not in the settings file"
            )
        if isinstance(flat[name], str) and split_credentials(flat[name])[2] is not None:
            # A password inside a URL is a secret too (datacite_url: use datacite_password).
            raise ConfigError(
                f"{path}: {name} carries a password; set it in the environment as "
                f"{ENV_PREFIX}{name.upper()}, not in the settings file"
            )
    return flat


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Resolve the settings.

    The file is ``config_file``, else ``$FAIRCAT_CONFIG``, else ``./faircat.toml`` when present.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    source: dict[str, str] = {}

    explicit = config_file or env.get(CONFIG_FILE_ENV)
    path = Path(explicit) if explicit else Path(DEFAULT_CONFIG_FILE)
    if explicit and not path.is_file():
        raise ConfigError(f"{path}: settings file not found")
    if path.is_file():
        for name, value in _read_file(path).items():
            values[name] = _coerce(_BY_NAME[name], value, str(path))
            source[name] = str(path)

    for setting in SETTINGS:
        key = ENV_PREFIX + setting.name.upper()
        if key in env:
            values[setting.name] = _coerce(setting, env[key], key)
            source[setting.name] = key

    for name, value in (overrides or {}).items():
        if name not in _BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(_BY_NAME[name], value, "override")
        source[name] = "override"

    _check_identifiers(values, source)
    instance = Path(values["instance_path"]).expanduser().resolve()
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{instance / 'faircat.db'}"
    values["instance_path"] = instance
    values["site_dir"] = Path(values["site_dir"]).expanduser().resolve()
    if values["facility_embargo_years"] > 50:
        raise ConfigError("facility_embargo_years must be at most 50")
    if values["login_window_minutes"] < 1:
        raise ConfigError("login_window_minutes must be at least 1")
    _check_oidc(values)
    return Settings(**values, source=source)


OIDC_MATCH_FIELDS = ("username", "email", "orcid")


def _check_oidc(values: dict[str, Any]) -> None:
    """Facility sign-in settings, refused at start rather than at someone's first sign-in."""
    if not values["oidc_issuer"]:
        return
    try:
        parts = urlsplit(values["oidc_issuer"])
        scheme, host = parts.scheme, parts.hostname
    except ValueError:
        scheme, host = "", None
    # The issuer's answers decide who is signed in: only over TLS, but for a local provider.
    local = host in ("127.0.0.1", "localhost", "::1")
    if not host or not (scheme == "https" or (scheme == "http" and local)):
        raise ConfigError("oidc_issuer must be https://... (http:// only on 127.0.0.1)")
    if not values["oidc_client_id"]:
        raise ConfigError("oidc_client_id must be set when oidc_issuer is")
    if "openid" not in values["oidc_scopes"].split():
        raise ConfigError("oidc_scopes must include openid")
    if not values["oidc_match_claim"].strip():
        raise ConfigError("oidc_match_claim must name a claim")
    if values["oidc_match_field"] not in OIDC_MATCH_FIELDS:
        raise ConfigError(f"oidc_match_field must be one of: {', '.join(OIDC_MATCH_FIELDS)}")


def _check_identifiers(values: dict[str, Any], source: Mapping[str, str]) -> None:
    """The short name and the prefix start every DOI, the base URL every landing page URL
    DataCite resolves to: checked by the rules of every other identifier (the base URL comes
    back without a trailing slash)."""
    checks = {
        "facility_short_name": lambda value: identifiers.code(value, "short name"),
        "facility_doi_prefix": identifiers.doi_prefix,
        "facility_base_url": identifiers.base_url,
    }
    for name, check in checks.items():
        try:
            values[name] = check(values[name])
        except ValidationError as exc:
            where = source.get(name, "default")
            raise ConfigError(f"{where}: {name}: {exc}") from None
