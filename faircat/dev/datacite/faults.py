"""Switchable failures, for testing how faircat lives with a DataCite that is down or slow.

A :class:`FaultPlan` says which requests to affect and how:

- ``status``: answer with this HTTP status (400-599: 500, 502, 503, also 429) instead of serving
  the request; None with a ``delay`` only delays;
- ``delay``: seconds to wait before answering (longer than a client's timeout makes it time out);
- ``count``: affect only the next N requests, then behave again (None: until cleared);
- ``rate``: the fraction of affected requests that fail with ``status`` (1.0: all of them);
- ``methods``: only these HTTP methods (empty: all);
- ``after``: serve the request first, then fail or delay the answer: the change is made in the
  registry although the client sees an error or a timeout (the "did my POST go through?" case).

Without status nor delay a plan means "down": every request answered 503 (a server cannot refuse
connections from inside the application). Only the DataCite API is affected, never ``/_dev/``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_DELAY = 600.0


@dataclass(frozen=True, slots=True)
class FaultPlan:
    status: int | None = 503
    delay: float = 0.0
    count: int | None = None
    rate: float = 1.0
    methods: frozenset[str] = field(default_factory=frozenset)
    after: bool = False

    def __post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"status must be 400-599, not {self.status}")
        if not 0.0 <= self.delay <= MAX_DELAY:
            raise ValueError(f"delay must be 0-{MAX_DELAY:g} seconds, not {self.delay}")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count must be at least 1, not {self.count}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {self.rate}")
        if self.status is None and self.delay == 0.0:
            raise ValueError("a plan needs a status, a delay or both")

    @classmethod
    def build(
        cls,
        status: int | None = None,
        *,
        delay: float = 0.0,
        count: int | None = None,
        rate: float = 1.0,
        methods: Any = (),
        after: bool = False,
        down: bool = False,
    ) -> FaultPlan:
        """The plan for these options; no status and no delay (or ``down``) means 503."""
        if down or (status is None and not delay):
            status = status or 503
        return cls(
            status=status,
            delay=float(delay),
            count=count,
            rate=float(rate),
            methods=frozenset(m.upper() for m in methods),
            after=after,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultPlan:
        """The plan ``POST /_dev/faults`` describes; ValueError with a readable message."""
        known = {"status", "delay", "count", "rate", "methods", "after", "down"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}; known: {sorted(known)}")
        try:
            methods = data.get("methods") or ()
            if isinstance(methods, str) or not all(isinstance(m, str) for m in methods):
                raise ValueError("methods must be a list of HTTP method names")
            return cls.build(
                _optional_int(data.get("status"), "status"),
                delay=float(data.get("delay") or 0.0),
                count=_optional_int(data.get("count"), "count"),
                rate=float(data.get("rate", 1.0)),
                methods=methods,
                after=bool(data.get("after", False)),
                down=bool(data.get("down", False)),
            )
        except TypeError as exc:
            raise ValueError(str(exc)) from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "delay": self.delay,
            "count": self.count,
            "rate": self.rate,
            "methods": sorted(self.methods),
            "after": self.after,
        }


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do to one request: wait ``delay`` seconds, then answer ``status`` if not None."""

    status: int | None
    delay: float
    after: bool


class FaultInjector:
    """The current plan and its counters, shared by the request threads (thread-safe)."""

    def __init__(self, plan: FaultPlan | None = None, *, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._plan: FaultPlan | None = None
        self._remaining: int | None = None
        self._affected = 0
        self._failed = 0
        # Set to cut every running delay short: on clear and on server shutdown.
        self._wake = threading.Event()
        if plan is not None:
            self.set(plan)

    def set(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan, self._remaining = plan, plan.count
            self._affected = self._failed = 0
            self._wake.clear()

    def clear(self) -> None:
        with self._lock:
            self._plan, self._remaining = None, None
            self._wake.set()  # delayed requests answer now

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "plan": self._plan.to_json() if self._plan else None,
                "remaining": self._remaining,
                "affected": self._affected,
                "failed": self._failed,
            }

    def draw(self, method: str) -> Fault | None:
        """Decide for one request; consumes one of ``count``."""
        with self._lock:
            plan = self._plan
            if plan is None or (plan.methods and method.upper() not in plan.methods):
                return None
            if self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._plan, self._remaining = None, None
            self._affected += 1
            fail = plan.status is not None and (
                plan.rate >= 1.0 or self._random.random() < plan.rate
            )
            if fail:
                self._failed += 1
            return Fault(plan.status if fail else None, plan.delay, plan.after)

    def sleep(self, seconds: float) -> None:
        """Wait, unless the faults are cleared or the server stops meanwhile."""
        if seconds > 0:
            self._wake.wait(seconds)

    def wake(self) -> None:
        """End every running delay now (server shutdown)."""
        self._wake.set()


def _optional_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    return value
