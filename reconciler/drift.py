"""Drift: how live differs from git, classified. Pure data, no I/O.

- **changed**: a managed resource whose attributes or members differ from git
  (changed out of band), or a managed resource git does not hold at all;
- **missing**: a resource git holds (at the baseline) that the server lacks:
  deleted behind git's back;
- **pending**: a difference that the baseline does not have: edits in the
  desired state not yet applied;
- **unmanaged**: live resources without our marker (counted and listed), and
  unmanaged ones that hold a desired name (conflicts).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.model import Org
from reconciler.plan.model import Action, Change, Plan


class DriftClass(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    PENDING = "pending"
    UNMANAGED = "unmanaged"


@dataclass(frozen=True)
class DriftItem:
    drift: DriftClass
    kind: str
    name: str
    detail: str
    change: Change | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.drift.value,
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "change": self.change.to_dict() if self.change else None,
        }


@dataclass(frozen=True)
class Drift:
    target: str
    items: tuple[DriftItem, ...]
    baseline: str | None

    def counts(self) -> dict[str, int]:
        counted = Counter(item.drift.value for item in self.items)
        return {c.value: counted.get(c.value, 0) for c in DriftClass}

    def drifted(self, fail_on: tuple[DriftClass, ...]) -> bool:
        return any(item.drift in fail_on for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "baseline": self.baseline,
            "counts": self.counts(),
            "items": [item.to_dict() for item in self.items],
        }


@dataclass(frozen=True)
class Baseline:
    """The committed desired state's own plan against the same live state."""

    ref: str
    plan: Plan
    names: frozenset[str]


def classify(current: Plan, live: Org, desired: frozenset[str], baseline: Baseline | None) -> Drift:
    """Classify every difference of ``current`` (the plan of desired against live).

    ``desired`` holds the addresses of the desired state. Without a baseline
    nothing is pending and everything absent is missing.
    """
    committed = (
        {(c.address.casefold(), c.action) for c in baseline.plan.changes} if baseline else None
    )
    names = baseline.names if baseline else frozenset()
    conflicts = {c.address.casefold() for c in current.changes if c.action is Action.CONFLICT}
    items = [
        _item(c, committed, names, desired)
        for c in current.changes
        if c.action is not Action.CONFLICT
    ]
    items += _unmanaged(live, conflicts)
    return Drift(current.target, tuple(items), baseline.ref if baseline else None)


def _item(
    change: Change,
    committed: set[tuple[str, Action]] | None,
    names: frozenset[str],
    desired: frozenset[str],
) -> DriftItem:
    address = change.address.casefold()
    if address not in desired and change.action in (Action.DEACTIVATE, Action.DELETE):
        if committed is not None and address in names:
            return _of(
                DriftClass.PENDING, change, "removed from the desired state, not yet applied"
            )
        return _of(DriftClass.CHANGED, change, "managed on the server but not in git")
    if committed is not None and (address, change.action) not in committed:
        return _of(DriftClass.PENDING, change, f"{change.action.value} not applied yet")
    if change.action is Action.CREATE:
        if committed is None or address in names:
            return _of(DriftClass.MISSING, change, "in git but not on the server")
        return _of(DriftClass.PENDING, change, "new in the desired state")
    return _of(DriftClass.CHANGED, change, _describe(change))


def _of(drift: DriftClass, change: Change, detail: str) -> DriftItem:
    return DriftItem(drift, change.kind.value, change.name, detail, change)


def _describe(change: Change) -> str:
    if change.action in (Action.ADD_MEMBERS, Action.REMOVE_MEMBERS):
        verb = "lacks" if change.action is Action.ADD_MEMBERS else "has extra"
        return f"{verb} members: " + ", ".join(m.user_name for m in change.members)
    paths = ", ".join(a.path for a in change.attributes)
    return f"differs from git: {paths}" if paths else change.action.value


def _unmanaged(live: Org, conflicts: set[str]) -> list[DriftItem]:
    found = [("user", u.user_name) for u in live.users if not u.managed]
    found += [("group", g.display_name) for g in live.groups if not g.managed]
    return [
        DriftItem(DriftClass.UNMANAGED, kind, name, _why(f"{kind}:{name}".casefold(), conflicts))
        for kind, name in found
    ]


def _why(address: str, conflicts: set[str]) -> str:
    if address in conflicts:
        return "no ownership marker, and it holds the name of a desired resource (conflict)"
    return "no ownership marker"


def addresses(org: Org) -> frozenset[str]:
    """The addresses (``user:name``) an org holds, folded."""
    users = (f"user:{u.user_name}".casefold() for u in org.users)
    groups = (f"group:{g.display_name}".casefold() for g in org.groups)
    return frozenset((*users, *groups))
