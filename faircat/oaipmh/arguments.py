"""What a request asks for, checked against the verb's legal arguments (protocol 3.1, 4).

Values echoed in the response's ``<request>`` element must satisfy the schema's types, so a
prefix or setSpec that could not be legal is a badArgument here. An identifier of the wrong
shape is, as the protocol says, idDoesNotExist ("unknown or illegal"); :func:`echo` leaves it
out of ``<request>`` because the schema's identifier type could not hold it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from faircat.oaipmh.errors import OaiError

VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # verb: (required, optional); resumptionToken is exclusive and handled apart
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
    "ListRecords": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
}
_PREFIX = re.compile(r"\A[A-Za-z0-9\-_.!~*'()]+\Z")
_SET = re.compile(r"\A[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")
_IDENTIFIER = re.compile(
    r"\Aoai:[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+:[a-zA-Z0-9\-_.!~*'();/?:@&=+$,%]+\Z"
)


@dataclass(frozen=True)
class Arguments:
    verb: str
    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def parse(pairs: list[tuple[str, str]]) -> Arguments:
    """Validated arguments of one request; raises badVerb or badArgument."""
    seen: dict[str, str] = {}
    repeated = []
    for key, value in pairs:
        if key in seen:
            repeated.append(key)
        seen[key] = value
    verb = seen.get("verb")
    if verb is None:
        raise OaiError("badVerb", "the verb argument is missing")
    if "verb" in repeated:
        raise OaiError("badVerb", "the verb argument is repeated")
    if verb not in VERBS:
        raise OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb; use one of {', '.join(VERBS)}")
    if repeated:
        raise OaiError("badArgument", f"repeated argument: {', '.join(sorted(set(repeated)))}")
    args = {key: value for key, value in seen.items() if key != "verb"}
    required, optional = VERBS[verb]
    illegal = sorted(set(args) - required - optional)
    if illegal:
        raise OaiError("badArgument", f"{verb} does not take {', '.join(illegal)}")
    empty = sorted(key for key, value in args.items() if value == "")
    if empty:
        raise OaiError("badArgument", f"empty value for {', '.join(empty)}")
    if "resumptionToken" in args:
        if len(args) > 1:
            others = ", ".join(sorted(set(args) - {"resumptionToken"}))
            raise OaiError(
                "badArgument", f"resumptionToken is exclusive: remove {others} from the request"
            )
        return Arguments(verb, args)
    missing = sorted(required - set(args))
    if missing:
        raise OaiError("badArgument", f"{verb} requires {', '.join(missing)}")
    _check_syntax(args)
    return Arguments(verb, args)


def _check_syntax(args: dict[str, str]) -> None:
    prefix = args.get("metadataPrefix")
    if prefix is not None and not valid_prefix(prefix):
        raise OaiError("badArgument", f"metadataPrefix {prefix!r} has characters it cannot have")
    spec = args.get("set")
    if spec is not None and not valid_set_spec(spec):
        raise OaiError("badArgument", f"set {spec!r} is not a valid setSpec")


def valid_prefix(prefix: str) -> bool:
    return _PREFIX.match(prefix) is not None


def valid_set_spec(spec: str) -> bool:
    return _SET.match(spec) is not None


def valid_identifier(identifier: str) -> bool:
    return _IDENTIFIER.match(identifier) is not None


def echo(args: Arguments) -> list[tuple[str, str]]:
    """The attributes of ``<request>``: the arguments, minus values the schema cannot hold."""
    pairs = [("verb", args.verb)]
    for key, value in args.values.items():
        if key == "identifier" and not valid_identifier(value):
            continue
        pairs.append((key, value))
    return pairs
