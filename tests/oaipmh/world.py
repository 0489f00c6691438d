"""A published catalogue for the OAI-PMH tests: open, embargoed, running and withdrawn records.

Built with real rows and the real publisher; restricted text carries a sentinel that must never
appear in any OAI-PMH response.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from faircat.catalogue.models import DataPublication, Dataset, Investigation
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import DoiState, PublicationKind
from faircat.config import Settings
from faircat.publisher.publish import publish
from tests.catalogue import factories as f

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SENTINEL = "ZQXJOAISENTINEL"
YEAR = timedelta(days=365)


def add_experiment(
    catalogue: Catalogue,
    proposal: str,
    *,
    start: datetime,
    title: str,
    datasets: int = 1,
    instrument: str = "XALOC",
    kind: str = "experiment",
) -> int:
    with catalogue.transaction() as session:
        inv = f.investigation(
            session, proposal, start=start, instrument_name=instrument, title=title
        )
        inv.summary = f"Summary of {title}"
        inv.type = kind
        for n in range(datasets):
            session.add(
                Dataset(
                    investigation_id=inv.id,
                    instrument_id=inv.instruments[0].id,
                    name=f"scan{n}",
                    title=f"{title} scan {n}",
                    complete=True,
                    start_time=start + timedelta(hours=n),
                    end_time=start + timedelta(hours=n, minutes=5),
                )
            )
        return inv.id


def build(catalogue: Catalogue, settings: Settings, *, public: int = 3) -> dict[str, object]:
    """``public`` open experiments and an open XAS one (1 dataset each: two records per
    experiment), one embargoed, one embargoed with a registered DOI, one running, and one
    withdrawn (two deleted records): ``2 * public + 4`` exposed records."""
    with catalogue.transaction() as session:
        f.instrument(session, "XALOC", "mx")
        f.instrument(session, "NOTOS", "xas")
    old = NOW - 5 * YEAR
    for i in range(public):
        add_experiment(
            catalogue, f"OPEN{i:04d}", start=old + timedelta(days=i), title=f"Open experiment {i}"
        )
    add_experiment(
        catalogue,
        "XAS1",
        start=old,
        title="Open XAS experiment",
        instrument="NOTOS",
        kind="in-house research",
    )
    add_experiment(catalogue, "EMB1", start=NOW - YEAR, title=f"{SENTINEL} embargoed")
    add_experiment(catalogue, "RUN1", start=NOW - timedelta(hours=3), title=f"{SENTINEL} running")
    add_experiment(catalogue, "WDR1", start=old, title="Withdrawn experiment")
    # Embargoed with a registered DOI: a metadata-only landing page, but not in OAI-PMH.
    reg = add_experiment(catalogue, "REG1", start=NOW - YEAR, title=f"{SENTINEL} registered")
    with catalogue.transaction() as session:
        inv = session.get(Investigation, reg)
        inv.doi = "10.80100/tls.reg1-1"
        session.add(
            DataPublication(
                kind=PublicationKind.INVESTIGATION,
                investigation_id=reg,
                doi=inv.doi,
                title=inv.title,
                licence="CC-BY-4.0",
                doi_state=DoiState.REGISTERED,
            )
        )
    with catalogue.transaction() as session:
        publish(session, settings, NOW - timedelta(days=1))
    with catalogue.transaction() as session:
        withdrawn = session.scalar(select(Investigation).where(Investigation.proposal == "WDR1"))
        withdrawn.withdrawn_at = NOW - timedelta(hours=1)
    with catalogue.transaction() as session:
        run = publish(session, settings, NOW)
    return {"publish": run}
