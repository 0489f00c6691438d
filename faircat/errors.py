"""The exception tree of faircat.

Every error a user can cause derives from :class:`FaircatError`, so the CLI and the web layer catch
one class and print its message; anything else is a bug and keeps its traceback.

    FaircatError
    ├── ConfigError            bad settings file or environment variable
    ├── ValidationError        bad input: names the record and the field
    │   ├── DuplicateError     the thing already exists (proposal/visit, username...)
    │   ├── NotFoundError      a referenced thing does not exist (user, instrument...)
    │   └── RequestError       a release request cannot be submitted or decided as asked
    ├── PermissionDenied       the access policy said no
    ├── IngestError            one file could not be ingested (names the file and the problem)
    └── MetadataError          a record lacks something a metadata format requires
"""

from __future__ import annotations


class FaircatError(Exception):
    """Root of every error faircat reports to a user."""

    exit_code = 1


class ConfigError(FaircatError):
    """The settings file or a FAIRCAT_* environment variable is invalid."""

    exit_code = 78  # EX_CONFIG


class ValidationError(FaircatError):
    """Input that breaks a rule of the catalogue."""

    exit_code = 65  # EX_DATAERR

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DuplicateError(ValidationError):
    """The object to create already exists."""


class NotFoundError(ValidationError):
    """A referenced object does not exist."""

    exit_code = 66  # EX_NOINPUT


class RequestError(ValidationError):
    """A release request breaks a rule: a conflicting pending request, a decided request..."""


class PermissionDenied(FaircatError):
    """The access policy refused the action."""

    exit_code = 77  # EX_NOPERM


class IngestError(FaircatError):
    """One file could not be ingested; the message names the file and the problem."""

    exit_code = 65

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class MetadataError(FaircatError):
    """A record lacks something mandatory for a metadata format."""

    exit_code = 65

    def __init__(self, record: str, field: str, message: str | None = None) -> None:
        super().__init__(message or f"{record}: missing mandatory field {field!r}")
        self.record = record
        self.field = field
