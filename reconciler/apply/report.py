"""The outcome of an apply, per change, as plain data (rendered elsewhere)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from reconciler.apply.kept import Unkept
from reconciler.plan.model import Action, Change, plan_unit


class Result(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not attempted: it depends on a change that failed, or a rule held it back."""


@dataclass(frozen=True)
class Outcome:
    change: Change
    result: Result
    message: str = ""
    id: str | None = None
    unkept: tuple[Unkept, ...] = ()
    """Attributes the server was sent and did not keep (see ``apply.kept``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.change.address,
            "action": self.change.action.value,
            "result": self.result.value,
            "message": self.message,
            "id": self.id,
            "unkept": [u.to_dict() for u in self.unkept],
        }


NOT_ATTEMPTED = "not attempted: the apply stopped before it"


@dataclass(frozen=True)
class Report:
    """What an apply did. ``requests`` counts every HTTP request of the run (the read
    included), ``retries`` those that repeated a failed one, ``throttled`` the retries
    after a 429. ``stopped`` says why an apply ended early (Ctrl-C, an unexpected
    error); the changes it never reached are SKIPPED with ``NOT_ATTEMPTED``."""

    target: str
    outcomes: tuple[Outcome, ...]
    requests: int = 0
    seconds: float = 0.0
    retries: int = 0
    throttled: int = 0
    stopped: str = ""
    refused: tuple[Change, ...] = ()
    """The plan's rows a safety rule refused: never run, counted in the summary (exit 3)."""

    def counts(self) -> dict[str, int]:
        counted = Counter(o.result.value for o in self.outcomes)
        return {r.value: counted.get(r.value, 0) for r in Result}

    def applied(self) -> dict[str, int]:
        """What was done, in the units of the plan's summary line: resources created,
        updated (adoptions too), deactivated, deleted, and memberships (a row of five
        members is five membership changes, as the plan counts it)."""
        counts = dict.fromkeys(("create", "update", "deactivate", "delete", "memberships"), 0)
        for outcome in self.outcomes:
            if outcome.result is Result.OK:
                unit, size = plan_unit(outcome.change)
                counts[unit] += size
        return counts

    def refused_units(self) -> dict[str, int]:
        """The refused rows in the plan's units, as ``applied`` counts what was done."""
        counts = dict.fromkeys(("create", "update", "deactivate", "delete", "memberships"), 0)
        for change in self.refused:
            unit, size = plan_unit(change)
            counts[unit] += size
        return counts

    @property
    def not_attempted(self) -> int:
        return sum(1 for o in self.outcomes if o.message == NOT_ATTEMPTED)

    def managed_delta(self) -> int:
        """How many managed resources the apply added (creates) less those it deleted."""
        delta = 0
        for outcome in self.outcomes:
            if outcome.result is not Result.OK or outcome.change.key is None:
                continue
            if outcome.change.action is Action.CREATE:
                delta += 1
            elif outcome.change.action is Action.DELETE:
                delta -= 1
        return delta

    def unkept(self) -> dict[Unkept, list[str]]:
        """Each attribute the server did not keep → the names of the resources it was
        sent for, in the order they were applied."""
        found: dict[Unkept, list[str]] = {}
        for outcome in self.outcomes:
            for dropped in outcome.unkept:
                found.setdefault(dropped, []).append(outcome.change.name)
        return found

    @property
    def failed(self) -> bool:
        return any(o.result is not Result.OK for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "summary": self.counts(),
            "applied": self.applied(),
            "refused": self.refused_units(),
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "seconds": round(self.seconds, 3),
            "stopped": self.stopped or None,
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def stopped_report(
    base: Report, executable: tuple[Change, ...], done: list[Outcome], why: str
) -> Report:
    """The report of an apply that stopped early: what ran, and every change it never
    reached, as not attempted."""
    reached = {id(o.change) for o in done}
    rest = tuple(
        Outcome(c, Result.SKIPPED, NOT_ATTEMPTED) for c in executable if id(c) not in reached
    )
    return replace(base, outcomes=(*done, *rest), stopped=why)
