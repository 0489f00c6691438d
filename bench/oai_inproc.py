"""Where a page's time goes inside faircat's provider, without HTTP (for ``bench/oai.py``).

    .venv/bin/python bench/oai_inproc.py DATABASE_URL [--pages 300]

Calls ``Provider.respond`` in a loop over consecutive ListRecords pages (``oai_datacite``,
100 records a page) from the middle of the list, then times the same pages' parts apart:
the repository query (SQL, row fetch, result processing, ``Row`` objects) and the XML built from
those rows (``responses.records``: headers, datestamp formatting, the stored fragments'
bytes joined). Prints JSON: milliseconds per page for each. One core, no HTTP, so
``100 / total`` is the provider's ceiling per core.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from faircat.config import load_settings
from faircat.oaipmh import responses
from faircat.oaipmh.repository import Window
from faircat.oaipmh.wsgi import create_provider

_TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")


def breakdown(url: str, pages: int) -> dict[str, Any]:
    settings = load_settings(
        environ={
            "FAIRCAT_DATABASE_URL": url,
            "FAIRCAT_SECRET_KEY": "bench-secret-key-for-oai-tokens",
            "FAIRCAT_FACILITY_BASE_URL": "https://data.example.org",
            "FAIRCAT_INSTANCE_PATH": "/tmp/faircat-oai-bench/instance",
        }
    )
    provider = create_provider(settings).provider
    now = datetime.now(UTC)
    data = provider.respond([("verb", "ListRecords"), ("metadataPrefix", "oai_datacite")], now)
    total = int(re.search(rb'completeListSize="(\d+)"', data).group(1))  # type: ignore[union-attr]
    # Start mid-list: decode the first token and move its position forward.
    token = _TOKEN.search(data).group(1).decode()  # type: ignore[union-attr]
    position = provider.codec.decode(token, "ListRecords", now)
    window = Window(position.prefix, position.set_spec, position.lo, position.hi)
    rows = provider.repository.page(window, None, total // 2, with_metadata=False)
    middle = rows[-1]
    after = (middle.datestamp, middle.id)
    del rows
    pages = max(1, min(pages, (total - total // 2) // 100 - 1))  # full pages left
    positions = []
    for _ in range(pages):
        page = provider.repository.page(window, after, 101, with_metadata=False)
        positions.append(after)
        after = (page[99].datestamp, page[99].id)
    tokens = [
        provider.codec.encode(replace(position, last_datestamp=ds, last_id=rid, cursor=total // 2))
        for ds, rid in positions
    ]

    def timed(step: Any) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for i in range(pages):
                step(i)
            best = min(best, time.perf_counter() - started)
        return best / pages * 1000

    documents: list[bytes] = [b""] * pages
    fetched: list[list[Any]] = [[] for _ in range(pages)]

    def whole(i: int) -> None:
        documents[i] = provider.respond(
            [("verb", "ListRecords"), ("resumptionToken", tokens[i])], now
        )

    def sql(i: int) -> None:
        fetched[i] = provider.repository.page(window, positions[i], 101, with_metadata=True)

    prefix = provider.config.identifier_prefix

    def xml(i: int) -> None:
        responses.records(fetched[i][:100], prefix)

    result = {
        "pages": pages,
        "respond_ms": timed(whole),
        "repository_page_ms": timed(sql),
        "records_xml_ms": timed(xml),
        "page_bytes": len(documents[0]),
    }
    parts = result["repository_page_ms"] + result["records_xml_ms"]
    result["other_ms"] = result["respond_ms"] - parts
    result["records_per_s_per_core"] = round(100_000 / result["respond_ms"])
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(breakdown(args.url, args.pages)))


if __name__ == "__main__":
    main()
