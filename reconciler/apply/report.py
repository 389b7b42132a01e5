"""The outcome of an apply, per change, as plain data (rendered elsewhere)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.apply.kept import Unkept
from reconciler.plan.model import Action, Change


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


@dataclass(frozen=True)
class Report:
    target: str
    outcomes: tuple[Outcome, ...]
    requests: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        counted = Counter(o.result.value for o in self.outcomes)
        return {r.value: counted.get(r.value, 0) for r in Result}

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
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }
