"""``faircat demo``: a realistic facility catalogue built from nothing, deterministically.

The experiments are spread over the six years before ``now`` so that, with the facility
embargo, some are public, some embargoed, one is running and one is scheduled. Data files are
real NeXus files written with h5py and loaded through the same ingest path as production data.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from faircat.catalogue.accounts import NewUser, add_user, username_base
from faircat.catalogue.facility import add_instrument
from faircat.catalogue.investigations import NewInvestigation, create_investigation
from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import Investigation, User
from faircat.catalogue.models.facility import instrument_scientist
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import MemberRole, Role
from faircat.demo import extras
from faircat.demo.nexusgen import NexusSpec, UserSpec, write_nexus
from faircat.demo.pools import (
    AFFILIATIONS,
    BEAMLINES,
    PEOPLE,
    SUMMARY,
    Beamline,
    make_orcid,
    title_for,
)
from faircat.errors import ValidationError
from faircat.reporting import run_ingest

DEMO_PASSWORD = "demo"
YEARS = 6
# A past experiment starts at most this long before ``now``, at 08:00: its length (up to 4 days)
# then fits before ``now``, and it ends after it starts (see plan_investigations).
LAST_PAST_START = timedelta(days=5)
Plan = tuple[datetime, datetime, Beamline]  # start, end, beamline of one investigation


@dataclass
class DemoSummary:
    database: str
    data_dir: Path
    users: int = 0
    instruments: int = 0
    files: int = 0
    failed: int = 0
    states: dict[str, int] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)

    def describe(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.states.items()))
        return "\n".join(
            [
                f"demo catalogue built in {self.database}",
                f"  {sum(self.states.values())} investigations: {states}",
                f"  {self.instruments} beamlines, {self.users} users, {self.files} NeXus files "
                f"({self.failed} failed) in {self.data_dir}",
                f"  accounts (password '{DEMO_PASSWORD}'): {', '.join(self.logins)}",
            ]
        )


def reset_catalogue(catalogue: Catalogue) -> None:
    """Drop every table (the demo's --reset); the caller migrates again.

    Reflects what the database holds instead of trusting the models, so tables of a newer or
    older schema are dropped too.
    """
    from sqlalchemy import MetaData

    existing = MetaData()
    existing.reflect(catalogue.engine)
    existing.drop_all(catalogue.engine)


def _count_investigations(catalogue: Catalogue) -> int:
    from sqlalchemy import inspect

    if not inspect(catalogue.engine).has_table("investigation"):
        return 0
    with catalogue.transaction() as session:
        return session.scalar(select(func.count(Investigation.id))) or 0


def build_demo(
    catalogue: Catalogue,
    *,
    investigations: int,
    seed: int,
    now: datetime,
    data_dir: Path | None = None,
    reset: bool = False,
    progress: bool | None = None,
) -> DemoSummary:
    existing = _count_investigations(catalogue)
    if existing and not reset:
        raise ValidationError(
            f"the catalogue already holds {existing} investigations; run 'faircat demo --reset' "
            "to delete everything and rebuild the demo"
        )
    if reset:
        reset_catalogue(catalogue)
    catalogue.upgrade()
    data_dir = (data_dir or catalogue.settings.instance_path / "demo-data").resolve()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)

    rng = random.Random(seed)
    summary = DemoSummary(catalogue.engine.url.render_as_string(), data_dir)
    with catalogue.transaction() as session:
        staff, people = _people(session, rng, summary)
        for beamline, scientist in zip(BEAMLINES, staff, strict=True):
            instrument = add_instrument(
                session, beamline.name, beamline.full_name, [beamline.technique]
            )
            session.execute(
                instrument_scientist.insert().values(
                    instrument_id=instrument.id, user_id=scientist.id
                )
            )
        summary.instruments = len(BEAMLINES)
        plans = plan_investigations(investigations, rng, now)
        files = []
        proposals: set[str] = set()
        for n, (start, end, beamline) in enumerate(plans):
            scientist = staff[BEAMLINES.index(beamline)]
            files += _investigation(
                session, rng, n, start, end, beamline, scientist, people, data_dir, now, proposals
            )

    report = run_ingest(catalogue, files, checksum=True, progress=progress)
    summary.files, summary.failed = len(report.results), len(report.errors)

    with catalogue.transaction() as session:
        extras.add_logbooks(session, rng)
        extras.add_mx_shipment(session, rng, data_dir, now)
        for inv in session.scalars(select(Investigation)):
            state = state_at(dates_of(inv), now).value
            summary.states[state] = summary.states.get(state, 0) + 1
        summary.users = session.scalar(select(func.count(User.id))) or 0
    return summary


def _people(session, rng: random.Random, summary: DemoSummary) -> tuple[list[User], list[User]]:
    from argon2 import PasswordHasher

    password_hash = PasswordHasher().hash(DEMO_PASSWORD)  # once: argon2 is slow on purpose
    accounts = [
        NewUser("admin", "Irene Admin", "admin@facility.example.org", roles=(Role.ADMIN,)),
        NewUser(
            "curator",
            "Clara Curator",
            "curator@facility.example.org",
            orcid=make_orcid(rng),
            roles=(Role.CURATOR,),
        ),
        NewUser("ingest", "Beamline ingest service", None, roles=(Role.SERVICE,)),
    ]
    created = [add_user(session, a) for a in accounts]
    staff = []
    for i, beamline in enumerate(BEAMLINES):
        given, family = PEOPLE[i]
        staff.append(
            add_user(
                session,
                NewUser(
                    username_base(f"{given[0]}{family.split()[0]}"),
                    f"{given} {family}",
                    f"{given.lower()}.{i}@facility.example.org",
                    orcid=make_orcid(rng),
                    given_name=given,
                    family_name=family,
                    affiliation="ALBA Synchrotron",
                    roles=(Role.USER,),
                ),
            )
        )
        del beamline
    people = []
    for i, (given, family) in enumerate(PEOPLE[len(BEAMLINES) :]):
        affiliation, ror = AFFILIATIONS[i % len(AFFILIATIONS)]
        username = f"user{i + 1:02d}"
        people.append(
            add_user(
                session,
                NewUser(
                    username,
                    f"{given} {family}",
                    f"{username}@example.org",
                    orcid=make_orcid(rng),
                    given_name=given,
                    family_name=family,
                    affiliation=affiliation,
                    affiliation_ror=ror,
                ),
            )
        )
    for account in [*created, *staff, *people]:
        if Role.SERVICE not in account.role_names:
            account.password_hash = password_hash
    summary.logins = ["admin", "curator", staff[0].username, people[0].username]
    return staff, people


def plan_investigations(count: int, rng: random.Random, now: datetime) -> list[Plan]:
    """(start, end, beamline): spread over six years, then one running and one scheduled.

    Past experiments start every ``6 years / count``, plus up to 4 days of jitter. With many of
    them that step is shorter than the jitter, and the last ones started after ``now`` and were
    cut to end before it (so before they started): they are held back to start LAST_PAST_START
    before ``now`` at the latest, and every past experiment ends after it starts and before
    ``now``."""
    span = timedelta(days=365 * YEARS)
    first = now - span
    latest = (now - LAST_PAST_START).replace(hour=8, minute=0, second=0, microsecond=0)
    plans = []
    past = max(count - 2, 1)
    for i in range(past):
        day = first + span * (i / past) + timedelta(hours=rng.randrange(0, 96))
        start = min(day.replace(hour=8, minute=0, second=0, microsecond=0), latest)
        end = min(start + timedelta(days=rng.choice((1, 2, 3, 4))), now - timedelta(hours=1))
        plans.append((start, end, BEAMLINES[i % len(BEAMLINES)]))
    if count >= 2:
        running = (now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        plans.append((running, running + timedelta(days=3), BEAMLINES[0]))
    if count >= 3:
        later = (now + timedelta(days=21)).replace(hour=8, minute=0, second=0, microsecond=0)
        plans.append((later, later + timedelta(days=2), BEAMLINES[1]))
    return plans[:count]


def draw_proposal(rng: random.Random, year: int, n: int, taken: set[str]) -> str:
    """A proposal number (year, five random digits, the experiment's number mod 10) not in
    ``taken``, which it joins: with thousands of experiments a year the same number would be
    drawn twice, and a proposal-visit is unique."""
    while True:
        proposal = f"{year}{rng.randrange(10**5):05d}{n % 10}"
        if proposal not in taken:
            taken.add(proposal)
            return proposal


def _investigation(
    session,
    rng: random.Random,
    n: int,
    start: datetime,
    end: datetime,
    beamline,
    scientist: User,
    people: list[User],
    data_dir: Path,
    now: datetime,
    proposals: set[str],
) -> list[Path]:
    title, subject = title_for(beamline.technique, rng)
    team = rng.sample(people, k=rng.randint(2, 4))
    proposal = draw_proposal(rng, start.year, n, proposals)
    members = [(team[0].username, MemberRole.PI)]
    members += [
        (u.username, rng.choice((MemberRole.CO_PROPOSER, MemberRole.PARTICIPANT))) for u in team[1:]
    ]
    members.append((scientist.username, MemberRole.LOCAL_CONTACT))
    create_investigation(
        session,
        NewInvestigation(
            proposal=proposal,
            visit="1",
            title=title,
            start=start,
            end=end,
            instruments=[beamline.name],
            members=members,
            summary=SUMMARY.format(
                what=beamline.full_name.split(": ")[1], beamline=beamline.name, x=subject
            ),
        ),
    )
    if start > now:
        return []  # scheduled: nothing measured yet
    users = tuple(
        UserSpec(u.full_name, role.value, u.affiliation, u.orcid, u.email)
        for u, (_, role) in zip([*team, scientist], members, strict=True)
    )
    paths = []
    scans = rng.randint(2, 4)
    for scan in range(1, scans + 1):
        scan_start = start + timedelta(hours=2 * scan)
        running = end > now and scan == scans  # the last scan of the running visit is open
        spec = NexusSpec(
            proposal=proposal,
            visit="1",
            scan=scan,
            technique=beamline.technique,
            title=f"{subject}: {beamline.technique} scan {scan}",
            start=scan_start,
            end=None if running else scan_start + timedelta(minutes=rng.randint(3, 40)),
            instrument=beamline.name,
            instrument_short_name=beamline.short_name,
            sample_name=f"{subject.split()[0]}-{rng.randint(1, 3)}",
            users=users,
        )
        path = data_dir / f"{proposal}-1" / f"scan_{scan:04d}.nxs"
        path.parent.mkdir(parents=True, exist_ok=True)
        paths.append(write_nexus(path, spec))
    return paths
