"""OAI-PMH error conditions (protocol section 3.6): sent with HTTP 200, never a 4xx."""

from __future__ import annotations

CODES = frozenset(
    {
        "badArgument",
        "badResumptionToken",
        "badVerb",
        "cannotDisseminateFormat",
        "idDoesNotExist",
        "noRecordsMatch",
        "noMetadataFormats",
        "noSetHierarchy",
    }
)


class OaiError(Exception):
    """One OAI-PMH error: ``code`` is the protocol's code, the message says what was wrong."""

    def __init__(self, code: str, message: str) -> None:
        if code not in CODES:
            raise ValueError(f"not an OAI-PMH error code: {code}")
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def echoes_arguments(self) -> bool:
        """The request element repeats the arguments except after badVerb/badArgument (3.2)."""
        return self.code not in ("badVerb", "badArgument")
