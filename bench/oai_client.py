"""A lean OAI-PMH harvester for ``bench/oai.py``: one process, one HTTP/1.1 connection.

    .venv/bin/python bench/oai_client.py URL PREFIX [--set SPEC] [--token TOKEN]
        [--max-pages N] [--page-size 100] --out FILE.json

Follows resumption tokens (found with a regex, no XML parsing) with ``http.client`` on one
connection (reopened when the server closes it, as gunicorn's sync workers do after every
response). Checks every page: no ``<error>``, as many ``<record>`` elements as header
identifiers, a full page except the last, and no identifier twice in the whole list. Writes
per-page latencies, the counts, ``completeListSize`` when the server sends one, and its own
CPU time, so the caller can tell what the client cost on a shared machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

_TOKEN = re.compile(rb"<resumptionToken([^>]*?)(?:/>|>([^<]*)</resumptionToken>)")
_SIZE = re.compile(rb'completeListSize="(\d+)"')
_IDENTIFIER = re.compile(rb"<identifier>(oai:[^<]+)</identifier>")
_ERROR = re.compile(rb'<error code="([^"]+)"')


class HarvestError(Exception):
    pass


def get(conn: http.client.HTTPConnection, path: str) -> bytes:
    for attempt in range(5):
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if attempt == 4:
                raise
            continue
        if response.status == 503:
            time.sleep(int(response.getheader("Retry-After") or "1"))
            continue
        if response.status != 200:
            raise HarvestError(f"HTTP {response.status} for {path}: {body[:200]!r}")
        if response.will_close:
            conn.close()
        return body
    raise HarvestError(f"gave up on {path}")


def harvest(
    url: str,
    prefix: str,
    *,
    set_spec: str | None = None,
    token: str | None = None,
    max_pages: int = 0,
    page_size: int = 100,
) -> dict[str, Any]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80)
    base = parts.path or "/"
    if token is None:
        path = f"{base}?verb=ListRecords&metadataPrefix={prefix}"
        if set_spec:
            path += f"&set={quote(set_spec)}"
    else:
        path = f"{base}?verb=ListRecords&resumptionToken={quote(token, safe='')}"
    seen: set[bytes] = set()
    pages: list[float] = []
    records = deleted = size = 0
    complete: int | None = None
    cpu0 = time.process_time()
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        body = get(conn, path)
        pages.append(time.perf_counter() - t0)
        size += len(body)
        # Each check scans the 480 kB page once at most: a regex that starts with "<" stops at
        # every tag, so plain substring searches find where to look first.
        failure = _ERROR.search(body) if b"<error " in body else None
        if failure:
            raise HarvestError(f"page {len(pages)}: OAI error {failure.group(1).decode()}")
        count = body.count(b"<record>")
        identifiers = _IDENTIFIER.findall(body)
        if len(identifiers) != count:
            raise HarvestError(f"page {len(pages)}: {count} records, {len(identifiers)} ids")
        before = len(seen)
        seen.update(identifiers)
        if len(seen) - before != count:
            raise HarvestError(f"page {len(pages)}: an identifier was served twice")
        records += count
        deleted += body.count(b'<header status="deleted">')
        start = body.rfind(b"<resumptionToken")  # at most one, at the end of the list
        match = _TOKEN.match(body, start) if start >= 0 else None
        next_token = match.group(2) if match else None
        if match and complete is None:
            found = _SIZE.search(match.group(1))
            complete = int(found.group(1)) if found else None
        if next_token and count != page_size:
            raise HarvestError(f"page {len(pages)} has {count} records, not {page_size}")
        if not next_token or (max_pages and len(pages) >= max_pages):
            break
        path = f"{base}?verb=ListRecords&resumptionToken={quote(next_token.decode(), safe='')}"
    elapsed = time.perf_counter() - started
    conn.close()
    return {
        "records": records,
        "deleted": deleted,
        "unique": len(seen),
        "pages": len(pages),
        "complete_list_size": complete,
        "finished": not next_token,
        "seconds": elapsed,
        "bytes": size,
        "client_cpu_seconds": time.process_time() - cpu0,
        "page_seconds": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("prefix")
    parser.add_argument("--set", dest="set_spec")
    parser.add_argument("--token")
    parser.add_argument("--max-pages", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = harvest(
        args.url,
        args.prefix,
        set_spec=args.set_spec,
        token=args.token,
        max_pages=args.max_pages,
        page_size=args.page_size,
    )
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
