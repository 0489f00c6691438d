"""Per-installation state kept in the instance folder.

The secret key signs portal sessions and OAI-PMH resumption tokens. Production sets
``FAIRCAT_SECRET_KEY``; without it (the embedded demo, a laptop) a random key is created once in
``<instance_path>/secret_key`` (mode 0600) so that every web worker and every restart share it:
a per-process random key would break tokens handed out by another worker.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from faircat.config import Settings
from faircat.errors import ConfigError

SECRET_FILE = "secret_key"


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.instance_path) / SECRET_FILE
    if path.exists():
        return _read_when_written(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        # O_EXCL: when two workers race, one creates the file and both read the winner's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_when_written(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot create {path} ({exc.strerror}): set FAIRCAT_SECRET_KEY instead"
        ) from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def _read_when_written(path: Path) -> str:
    """The racing creator may not have written its key yet: wait briefly for it."""
    for _ in range(100):
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        time.sleep(0.01)
    raise ConfigError(f"{path} is empty: delete it or set FAIRCAT_SECRET_KEY")
