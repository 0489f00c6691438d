"""Controlled vocabularies of the catalogue (stored as their string values)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Facility-wide roles of a user account (instrument scientists are per instrument)."""

    USER = "user"
    CURATOR = "curator"
    ADMIN = "admin"
    SERVICE = "service"  # beamline ingest or publisher accounts that authenticate with tokens


class MemberRole(StrEnum):
    PI = "principal_investigator"
    CO_PROPOSER = "co_proposer"
    PARTICIPANT = "participant"
    LOCAL_CONTACT = "local_contact"


class LifecycleState(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    EMBARGOED = "embargoed"
    PUBLIC = "public"
    WITHDRAWN = "withdrawn"


class DatasetType(StrEnum):
    RAW = "raw"
    PROCESSED = "processed"
    CALIBRATION = "calibration"


class ValueType(StrEnum):
    NUMERIC = "numeric"
    STRING = "string"
    DATETIME = "datetime"


class EventType(StrEnum):
    ANNOTATION = "annotation"
    NOTIFICATION = "notification"


class EventCategory(StrEnum):
    COMMENT = "comment"
    INFO = "info"
    DEBUG = "debug"
    ERROR = "error"
    COMMANDLINE = "commandline"


class TagScope(StrEnum):
    GLOBAL = "global"
    INSTRUMENT = "instrument"
    INVESTIGATION = "investigation"


class PublicationKind(StrEnum):
    INVESTIGATION = "investigation"
    SELECTION = "selection"
    DATASET = "dataset"


class DoiState(StrEnum):
    """DataCite states; ``none`` until the registry has been asked for the DOI."""

    NONE = "none"
    DRAFT = "draft"
    REGISTERED = "registered"
    FINDABLE = "findable"


class RequestKind(StrEnum):
    EARLY_RELEASE = "early_release"
    EXTENSION = "extension"
    SELECTION_DOI = "selection_doi"
    AMENDMENT = "amendment"
    WITHDRAWAL = "withdrawal"


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ParcelStatus(StrEnum):
    CREATED = "created"
    SENT = "sent"
    RECEIVED = "received"  # at the facility
    AT_BEAMLINE = "at_beamline"
    SENT_BACK = "sent_back"


class ContainerType(StrEnum):
    PUCK = "puck"
    PLATE = "plate"
    CASSETTE = "cassette"


class ShellType(StrEnum):
    OVERALL = "overall"
    INNER = "inner"
    OUTER = "outer"


class ProcessingStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
