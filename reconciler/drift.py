"""Drift: how live differs from git, classified. Pure data, no I/O.

- **changed**: a managed resource whose attributes or members differ from git
  (changed out of band), or a managed resource git does not hold at all;
  each attribute and member is classified on its own, with what git says and what
  the server has;
- **missing**: a resource git holds (at the baseline) that the server lacks:
  deleted behind git's back;
- **pending**: a difference that the baseline does not have: edits in the
  desired state not yet applied; or one the last apply planned and did not make (it
  failed, was not attempted, was left in conflict), as its record says;
- **refused**: a difference git holds that the last apply refused (a privileged
  group's member without an approval, a protected user, a stale saved row, an
  operation switched off), as its record says (``apply.record``): not changed out of
  band;
- **unmanaged**: live resources without our marker (counted and listed), and
  unmanaged ones that hold a desired name (conflicts);
- **overdue**: temporary members still in their group after their ``until``: a
  removal the hourly expiry (``apply --expired-only``) has not made yet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from reconciler.apply.record import REFUSED, Held, Undone, member_id
from reconciler.identity import fold
from reconciler.model import Org
from reconciler.plan.model import Action, AttrChange, Change, Member, Plan


class DriftClass(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    PENDING = "pending"
    REFUSED = "refused"
    UNMANAGED = "unmanaged"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class AttrDrift:
    """One attribute: what git says, and what the server has."""

    path: str
    git: Any
    server: Any

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "git": _plain(self.git), "server": _plain(self.server)}


@dataclass(frozen=True)
class DriftItem:
    drift: DriftClass
    kind: str
    name: str
    detail: str
    change: Change | None = None
    attributes: tuple[AttrDrift, ...] = ()
    members: tuple[str, ...] = ()
    """The userNames (or, for a member we cannot name, live ids) the detail is about."""

    def describe(self) -> str:
        """The detail with every member named (the renderers cap the list)."""
        return f"{self.detail}: {', '.join(self.members)}" if self.members else self.detail

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.drift.value,
            "kind": self.kind,
            "name": self.name,
            "detail": self.describe(),
            "attributes": [a.to_dict() for a in self.attributes],
            "members": list(self.members),
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


@dataclass(frozen=True)
class _Committed:
    """What the baseline's plan says, per address: its attribute changes and member rows."""

    attributes: dict[str, dict[str, AttrChange]]
    members: dict[tuple[str, Action], set[str]]
    rows: set[tuple[str, Action]]

    @classmethod
    def of(cls, plan: Plan) -> _Committed:
        attributes: dict[str, dict[str, AttrChange]] = {}
        members: dict[tuple[str, Action], set[str]] = {}
        for change in plan.changes:
            address = fold(change.address)
            for attr in change.attributes:
                attributes.setdefault(address, {})[attr.path] = attr
            names = members.setdefault((address, change.action), set())
            names.update(_member_id(m) for m in change.members)
        return cls(attributes, members, {(fold(c.address), c.action) for c in plan.changes})


def classify(current: Plan, live: Org, desired: frozenset[str], baseline: Baseline | None) -> Drift:
    """Classify every difference of ``current`` (the plan of desired against live).

    ``desired`` holds the addresses of the desired state. Without a baseline
    nothing is pending and everything absent is missing. With one, each attribute and
    each member is classified on its own: one user may be both changed and pending.
    """
    committed = _Committed.of(baseline.plan) if baseline else None
    names = baseline.names if baseline else frozenset()
    conflicts = {fold(c.address) for c in current.changes if c.action is Action.CONFLICT}
    items = [
        item
        for c in current.changes
        if c.action is not Action.CONFLICT
        for item in _items(c, committed, names, desired)
    ]
    items += _unmanaged(live, conflicts)
    return Drift(current.target, tuple(items), baseline.ref if baseline else None)


def _items(
    change: Change,
    committed: _Committed | None,
    names: frozenset[str],
    desired: frozenset[str],
) -> list[DriftItem]:
    address = fold(change.address)
    if address not in desired and change.action in (Action.DEACTIVATE, Action.DELETE):
        if committed is not None and address in names:
            detail = "removed from the desired state, not yet applied"
            return [DriftItem(DriftClass.PENDING, change.kind.value, change.name, detail, change)]
        detail = "managed on the server but not in git"
        return [DriftItem(DriftClass.CHANGED, change.kind.value, change.name, detail, change)]
    if change.action is Action.CREATE:
        if committed is None or address in names:
            return [_of(DriftClass.MISSING, change, "in git but not on the server")]
        return [_of(DriftClass.PENDING, change, "new in the desired state")]
    if change.action is Action.EXPIRE_MEMBERS:
        detail = "temporary members still present after their end (until)"
        return [_of(DriftClass.OVERDUE, change, detail)]
    if change.action in (Action.ADD_MEMBERS, Action.REMOVE_MEMBERS):
        return _member_items(change, committed)
    if change.attributes:
        return _attribute_items(change, committed)
    if committed is not None and (address, change.action) not in committed.rows:
        return [_of(DriftClass.PENDING, change, f"{change.action.value} not applied yet")]
    return [_of(DriftClass.CHANGED, change, change.action.value)]


def _attribute_items(change: Change, committed: _Committed | None) -> list[DriftItem]:
    """Per attribute: pending when the baseline agrees with the server (git moved since),
    changed when the server left what the baseline says (changed out of band)."""
    base = committed.attributes.get(fold(change.address), {}) if committed else None
    split: dict[DriftClass, list[AttrChange]] = {}
    for attr in change.attributes:
        pending = base is not None and attr.path not in base
        split.setdefault(DriftClass.PENDING if pending else DriftClass.CHANGED, []).append(attr)
    detail = {
        DriftClass.CHANGED: "the server differs from git",
        DriftClass.PENDING: "edited in git, not applied yet",
    }
    return [
        _of(cls, replace(change, attributes=tuple(attrs)), detail[cls])
        for cls, attrs in sorted(split.items())
    ]


MEMBER_DETAIL = {
    (Action.ADD_MEMBERS, DriftClass.CHANGED): "the server lacks members git has",
    (Action.ADD_MEMBERS, DriftClass.PENDING): "members added in git, not applied yet",
    (Action.REMOVE_MEMBERS, DriftClass.CHANGED): "the server has members git does not",
    (Action.REMOVE_MEMBERS, DriftClass.PENDING): "members removed in git, not applied yet",
}


def _member_items(change: Change, committed: _Committed | None) -> list[DriftItem]:
    """Per member: pending when the baseline's plan does not hold it (git moved since)."""
    base = (
        committed.members.get((fold(change.address), change.action), set()) if committed else None
    )
    split: dict[DriftClass, list[Member]] = {}
    for member in change.members:
        pending = base is not None and _member_id(member) not in base
        split.setdefault(DriftClass.PENDING if pending else DriftClass.CHANGED, []).append(member)
    return [
        _of(cls, replace(change, members=tuple(members)), MEMBER_DETAIL[(change.action, cls)])
        for cls, members in sorted(split.items())
    ]


def _member_id(member: Member) -> str:
    return fold(member.key or member.id or member.user_name)


def _of(drift: DriftClass, change: Change, detail: str) -> DriftItem:
    """An item; for an update, with each attribute's two values and the members named."""
    if change.action in (Action.CREATE, Action.DELETE) or change.key is None:
        return DriftItem(drift, change.kind.value, change.name, detail, change)
    attributes = tuple(AttrDrift(a.path, a.after, a.before) for a in change.attributes)
    members = tuple(m.user_name for m in change.members)
    return DriftItem(drift, change.kind.value, change.name, detail, change, attributes, members)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [dict(item) for item in value]
    return value


def _unmanaged(live: Org, conflicts: set[str]) -> list[DriftItem]:
    found = [("user", u.user_name) for u in live.users if not u.managed]
    found += [("group", g.display_name) for g in live.groups if not g.managed]
    return [
        DriftItem(DriftClass.UNMANAGED, kind, name, _why(fold(f"{kind}:{name}"), conflicts))
        for kind, name in found
    ]


def _why(address: str, conflicts: set[str]) -> str:
    if address in conflicts:
        return "no ownership marker, and it holds the name of a desired resource (conflict)"
    return "no ownership marker"


def with_undone(drift: Drift, record: Undone) -> Drift:
    """``drift`` with what the last whole apply left undone (``record``) named for what
    it is: refused (by a rule) or pending (not made), each member and attribute on its
    own, with the apply's reason; everything else as classified."""
    items: list[DriftItem] = []
    for item in drift.items:
        held = record.find(item.change) if item.change is not None else None
        if held is None or item.drift in (DriftClass.UNMANAGED, DriftClass.OVERDUE):
            items.append(item)
            continue
        items += _undone(item, held, record.at)
    return replace(drift, items=tuple(items))


def _undone(item: DriftItem, held: Held, at: str) -> list[DriftItem]:
    change = item.change
    assert change is not None
    if change.members:
        hit = tuple(m for m in change.members if member_id(m) in held.members)
        parts = (
            replace(change, members=hit),
            replace(change, members=tuple(m for m in change.members if m not in hit)),
        )
    elif change.attributes:
        attrs = tuple(a for a in change.attributes if a.path in held.attributes)
        rest = tuple(a for a in change.attributes if a.path not in held.attributes)
        parts = (replace(change, attributes=attrs), replace(change, attributes=rest))
    else:
        parts = (change, replace(change, members=(), attributes=()))
    matched, unmatched = parts
    refused = held.status == REFUSED
    found: list[DriftItem] = []
    if matched.members or matched.attributes or matched is change:
        cls = DriftClass.REFUSED if refused else DriftClass.PENDING
        when = f"the last apply ({at})" if at else "the last apply"
        verb = "refused by" if refused else "not made by"
        found.append(_of(cls, matched, f"in git, {verb} {when}: {held.reason}"))
    if unmatched.members or unmatched.attributes:
        found.append(_of(item.drift, unmatched, item.detail))
    return found


HEALED = (DriftClass.CHANGED, DriftClass.MISSING)
"""What heal applies: what changed on the server behind git's back, or was deleted there.
Never ``pending``: a change git holds that no reviewed apply made."""


def healing(plan: Plan, drift: Drift) -> Plan:
    """``plan`` (of the desired state against live) narrowed to what ``drift`` (of the same
    plan, against the last reviewed apply's baseline) classes as changed or missing; what
    it leaves out as pending is named in a warning, so that the run says what it skipped."""
    kept = [item.change for item in drift.items if item.drift in HEALED and item.change]
    pending = [item for item in drift.items if item.drift is DriftClass.PENDING]
    warnings = list(plan.warnings)
    if pending:
        shown = ", ".join(f"{item.kind}:{item.name}" for item in pending[:10])
        more = f" and {len(pending) - 10} more" if len(pending) > 10 else ""
        warnings.append(
            f"not healed: {len(pending)} change(s) pending since {drift.baseline} (in git, "
            f"applied by no reviewed plan): {shown}{more}; merge a pull request to apply them"
        )
    return replace(plan, changes=tuple(sorted(kept, key=Change.sort_key)), warnings=tuple(warnings))


def addresses(org: Org) -> frozenset[str]:
    """The addresses (``user:name``) an org holds, folded."""
    users = (fold(f"user:{u.user_name}") for u in org.users)
    groups = (fold(f"group:{g.display_name}") for g in org.groups)
    return frozenset((*users, *groups))
