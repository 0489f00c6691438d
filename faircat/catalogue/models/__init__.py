"""The catalogue tables. Importing this package registers every model on ``Base.metadata``."""

from faircat.catalogue.models.base import Base, UTCDateTime, utcnow
from faircat.catalogue.models.data import Datafile, Dataset, Sample, dataset_input
from faircat.catalogue.models.facility import Facility, Instrument, Technique
from faircat.catalogue.models.investigation import Investigation, InvestigationMember
from faircat.catalogue.models.lims import (
    Container,
    Parcel,
    ParcelEvent,
    ProcessingRun,
    ProcessingShell,
    SamplePlan,
    Shipment,
)
from faircat.catalogue.models.logbook import Attachment, LogbookEvent, Tag
from faircat.catalogue.models.parameters import Parameter, ParameterType
from faircat.catalogue.models.people import ApiToken, User, UserRole
from faircat.catalogue.models.publication import (
    DataPublication,
    FundingReference,
    PublicationCreator,
    PublicationDate,
    RelatedItem,
)
from faircat.catalogue.models.published import (
    OaiSet,
    PublishedMetadata,
    PublishedRecord,
    PublishedSet,
    PublishState,
)
from faircat.catalogue.models.search import SearchDocument, SearchText
from faircat.catalogue.models.sessions import LoginSession
from faircat.catalogue.models.throttle import LoginThrottle
from faircat.catalogue.models.workflow import (
    AuditEvent,
    DoiTask,
    JobLock,
    Notification,
    ReleaseRequest,
)

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Base",
    "Container",
    "DataPublication",
    "Datafile",
    "Dataset",
    "DoiTask",
    "Facility",
    "FundingReference",
    "Instrument",
    "Investigation",
    "InvestigationMember",
    "JobLock",
    "LogbookEvent",
    "LoginSession",
    "LoginThrottle",
    "Notification",
    "OaiSet",
    "Parameter",
    "ParameterType",
    "Parcel",
    "ParcelEvent",
    "ProcessingRun",
    "ProcessingShell",
    "PublicationCreator",
    "PublicationDate",
    "PublishState",
    "PublishedMetadata",
    "PublishedRecord",
    "PublishedSet",
    "RelatedItem",
    "ReleaseRequest",
    "Sample",
    "SamplePlan",
    "SearchDocument",
    "SearchText",
    "Shipment",
    "Tag",
    "Technique",
    "UTCDateTime",
    "User",
    "UserRole",
    "dataset_input",
    "utcnow",
]
