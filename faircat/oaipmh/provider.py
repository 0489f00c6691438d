"""The six verbs: validated arguments in, response XML out. No I/O but the repository's."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from faircat.crosswalks import oai_sets, registry
from faircat.oaipmh import arguments, dates, responses
from faircat.oaipmh.errors import OaiError
from faircat.oaipmh.readahead import ReadAhead
from faircat.oaipmh.repository import Repository, Row, Window
from faircat.oaipmh.tokens import Position, TokenCodec

log = logging.getLogger(__name__)

# When nothing is exposed yet, earliestDatestamp must still be <= every future datestamp.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FORMATS = {fmt.oai_prefix: (fmt.schema, fmt.namespace) for fmt in registry.oai_formats()}
_HANDLERS = {
    "Identify": "identify",
    "ListMetadataFormats": "list_metadata_formats",
    "ListSets": "list_sets",
    "GetRecord": "get_record",
    "ListIdentifiers": "list_identifiers",
    "ListRecords": "list_records",
}


@dataclass(frozen=True)
class ProviderConfig:
    base_url: str
    repository_name: str
    admin_email: str
    repository_identifier: str  # a dotted domain name
    page_size: int = 100
    token_lifetime: timedelta = timedelta(hours=24)

    @property
    def identifier_prefix(self) -> str:
        return f"oai:{self.repository_identifier}:"


class Provider:
    def __init__(
        self,
        repository: Repository,
        config: ProviderConfig,
        codec: TokenCodec,
        read_ahead: ReadAhead | None = None,
    ) -> None:
        self.repository = repository
        self.config = config
        self.codec = codec
        self.read_ahead = read_ahead

    def respond(self, pairs: list[tuple[str, str]], now: datetime) -> bytes:
        """The whole response document for one request's arguments, UTF-8 encoded."""
        try:
            args = arguments.parse(pairs)
        except OaiError as exc:
            return self.refuse(exc, now)
        try:
            body = getattr(self, _HANDLERS[args.verb])(args, now)
        except OaiError as exc:
            echo = arguments.echo(args) if exc.echoes_arguments else ()
            return responses.envelope(
                now, self.config.base_url, echo, responses.error(exc.code, exc.message)
            )
        return responses.envelope(now, self.config.base_url, arguments.echo(args), body)

    def refuse(self, exc: OaiError, now: datetime) -> bytes:
        """The answer to a request refused before its verb was read: badVerb or badArgument,
        whose ``<request>`` echoes no argument (protocol 3.2)."""
        return responses.envelope(
            now, self.config.base_url, (), responses.error(exc.code, exc.message)
        )

    # -- verbs -------------------------------------------------------------------------------

    def identify(self, args: arguments.Arguments, now: datetime) -> bytes:
        earliest = self.repository.earliest_datestamp() or EPOCH
        return responses.identify(
            name=self.config.repository_name,
            base_url=self.config.base_url,
            admin_email=self.config.admin_email,
            earliest=earliest,
            repository_identifier=self.config.repository_identifier,
            sample_identifier=f"{self.config.identifier_prefix}10.1234/example.1",
        )

    def list_metadata_formats(self, args: arguments.Arguments, now: datetime) -> bytes:
        identifier = args.get("identifier")
        if identifier is not None:
            self._record(identifier, None)
        return responses.metadata_formats(
            (prefix, schema, namespace) for prefix, (schema, namespace) in FORMATS.items()
        )

    def list_sets(self, args: arguments.Arguments, now: datetime) -> bytes:
        if args.get("resumptionToken") is not None:
            raise OaiError("badResumptionToken", "ListSets is always complete: it issues no tokens")
        # The top-level sets are always listed, so ListSets is never empty.
        sets = dict(oai_sets.TOP_LEVEL)
        sets.update(self.repository.sets())
        return responses.list_sets(sorted(sets.items()))

    def get_record(self, args: arguments.Arguments, now: datetime) -> bytes:
        prefix = self._format(args.values["metadataPrefix"])
        row = self._record(args.values["identifier"], prefix)
        if not row.deleted and row.metadata is None:
            raise OaiError(
                "cannotDisseminateFormat",
                f"{args.values['identifier']} is not available as {prefix}",
            )
        record = responses.record(row, self.config.identifier_prefix)
        return b"".join((b"<GetRecord>", record, b"</GetRecord>"))

    def list_identifiers(self, args: arguments.Arguments, now: datetime) -> bytes:
        rows, token = self._list(args, now, with_metadata=False)
        prefix = self.config.identifier_prefix
        items = [responses.header(row, prefix) for row in rows]
        return b"".join((b"<ListIdentifiers>", *items, token, b"</ListIdentifiers>"))

    def list_records(self, args: arguments.Arguments, now: datetime) -> list[bytes]:
        rows, token = self._list(args, now, with_metadata=True)
        parts = responses.record_parts(rows, self.config.identifier_prefix)
        parts.insert(0, b"<ListRecords>")
        parts += (token, b"</ListRecords>")
        return parts

    # -- helpers -----------------------------------------------------------------------------

    def _format(self, prefix: str) -> str:
        if prefix not in FORMATS:
            raise OaiError(
                "cannotDisseminateFormat",
                f"metadataPrefix {prefix!r} is not offered; use one of {', '.join(FORMATS)}",
            )
        return prefix

    def _record(self, identifier: str, prefix: str | None) -> Row:
        local = identifier.removeprefix(self.config.identifier_prefix)
        row = None
        if local != identifier and arguments.valid_identifier(identifier):
            row = self.repository.record(local, prefix)
        if row is None:
            raise OaiError("idDoesNotExist", f"no record {identifier!r} in this repository")
        return row

    def _list(
        self, args: arguments.Arguments, now: datetime, *, with_metadata: bool
    ) -> tuple[list[Row], bytes]:
        token = args.get("resumptionToken")
        if token is not None:
            position = self.codec.decode(token, args.verb, now)
            if position.prefix not in FORMATS:
                raise OaiError(
                    "badResumptionToken",
                    f"this resumptionToken lists {position.prefix}, which is no longer offered",
                )
            window = Window(position.prefix, position.set_spec, position.lo, position.hi)
            after: tuple[datetime, int] | None = (position.last_datestamp, position.last_id)
            cursor, total = position.cursor, position.total
        else:
            prefix = self._format(args.values["metadataPrefix"])
            lo, hi = dates.interval(args.get("from"), args.get("until"), now)
            set_spec = args.get("set")
            window = Window(prefix, set_spec, lo, hi)
            after, cursor, total = None, 0, -1
            if set_spec is not None and not self.repository.set_exists(set_spec):
                raise OaiError("noRecordsMatch", f"set {set_spec!r} has no records")
        size = self.config.page_size
        rows = None
        if after is not None and self.read_ahead is not None:
            rows = self.read_ahead.take(window, after, size + 1, with_metadata)
        if rows is None:
            rows = self.repository.page(window, after, size + 1, with_metadata=with_metadata)
        more = len(rows) > size
        rows = rows[:size]
        if not rows:
            # Never an empty page: a list whose remaining records moved out of its frozen
            # window (amended during the harvest) ends here with this error.
            raise OaiError("noRecordsMatch", "no records match the request")
        last = rows[-1]
        if with_metadata:
            rows = self._with_metadata(rows, window.prefix)
        if total < 0:
            total = self.repository.count(window) if more else len(rows)
        total = max(total, cursor + len(rows) + (1 if more else 0))
        if more:
            if self.read_ahead is not None:
                self.read_ahead.schedule(window, (last.datestamp, last.id), size + 1, with_metadata)
            expires = now + self.config.token_lifetime
            next_token = self.codec.encode(
                Position(
                    verb=args.verb,
                    prefix=window.prefix,
                    set_spec=window.set_spec,
                    lo=window.lo,
                    hi=window.hi,
                    last_datestamp=last.datestamp,
                    last_id=last.id,
                    cursor=cursor + len(rows),
                    total=total,
                    expires=expires,
                )
            )
            return rows, responses.resumption_token(next_token, total, cursor, expires)
        if token is not None:
            return rows, responses.resumption_token(None, total, cursor, None)
        return rows, b""

    @staticmethod
    def _with_metadata(rows: list[Row], prefix: str) -> list[Row]:
        kept = [row for row in rows if row.deleted or row.metadata is not None]
        if len(kept) != len(rows):
            # The publisher writes every format of every record; a gap is a publisher bug.
            # Serving the rest keeps harvests going; the log says what to republish.
            missing = [row.pid for row in rows if not row.deleted and row.metadata is None]
            log.error("published records without %s metadata: %s", prefix, ", ".join(missing))
        return kept
