"""The plan as plain data: what would change, and nothing that does it.

A ``Plan`` is built once by ``plan.diff``, sorted there, and never mutated; safety
checks return a new plan. ``Plan.to_dict()`` is the one source of the JSON form
(``schemas/plan.schema.json``) and ``Plan.from_dict`` reads it back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from reconciler.identity import fold
from reconciler.model import canonical_multi

FORMAT_VERSION = 1


class Kind(StrEnum):
    USER = "user"
    GROUP = "group"


class Action(StrEnum):
    """What a change does. The symbol is what the text plan shows."""

    CREATE = "create"
    ADOPT = "adopt"
    UPDATE = "update"
    ADD_MEMBERS = "add-members"
    REMOVE_MEMBERS = "remove-members"
    EXPIRE_MEMBERS = "expire-members"
    """Removes memberships whose ``until`` has passed: no approval, no limit."""
    DEACTIVATE = "deactivate"
    DELETE = "delete"
    CONFLICT = "conflict"

    @property
    def symbol(self) -> str:
        return SYMBOLS[self]


SYMBOLS = {
    Action.CREATE: "+",
    Action.ADOPT: "&",
    Action.UPDATE: "~",
    Action.ADD_MEMBERS: "~",
    Action.REMOVE_MEMBERS: "~",
    Action.EXPIRE_MEMBERS: "~",
    Action.DEACTIVATE: "-",
    Action.DELETE: "-",
    Action.CONFLICT: "!",
}

ORDER = {action: index for index, action in enumerate(Action)}
MEMBERSHIP = (Action.ADD_MEMBERS, Action.REMOVE_MEMBERS, Action.EXPIRE_MEMBERS)
"""The actions that change a group's members."""


class Status(StrEnum):
    """Whether a change will be executed."""

    PLANNED = "planned"
    SKIPPED = "skipped"
    """An operation switched off for the target: shown, never executed."""
    REFUSED = "refused"
    """A safety rule forbids it (protected, privileged without --force)."""
    CONFLICT = "conflict"
    """An unmanaged live resource holds the name; nothing is written."""


@dataclass(frozen=True, slots=True)
class AttrChange:
    """One attribute, from ``before`` (live, None when absent) to ``after``.

    ``default``: the desired state filled the value in (the YAML does not write it)."""

    path: str
    before: Any
    after: Any
    default: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = {"path": self.path, "before": _plain(self.before), "after": _plain(self.after)}
        return {**data, "default": True} if self.default else data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AttrChange:
        before, after = _canonical(data["before"]), _canonical(data["after"])
        return cls(data["path"], before, after, data.get("default") is True)


@dataclass(frozen=True, slots=True, order=True)
class Member:
    """A user in a membership change: its stable key, name, and live id when it has one;
    ``until``: when a temporary membership ends (added with one, or expired)."""

    user_name: str
    key: str
    id: str | None = None
    until: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"userName": self.user_name, "key": self.key, "id": self.id}
        return {**data, "until": self.until} if self.until is not None else data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Member:
        until = data.get("until")
        return cls(data["userName"], data["key"], data.get("id"), until)


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the plan: one action on one resource."""

    kind: Kind
    action: Action
    name: str
    key: str | None
    id: str | None = None
    attributes: tuple[AttrChange, ...] = ()
    members: tuple[Member, ...] = ()
    external_id: str | None = None
    """The ownership marker a create or adopt writes."""
    status: Status = Status.PLANNED
    reason: str | None = None
    fingerprint: str | None = None
    """Digest of the live resource this change was computed from (saved plans)."""
    version: str | None = None
    """The live resource's ``meta.version`` (ETag), when the server gives one."""
    before: Mapping[str, Any] | None = None
    """What we read of the live resource (``model.snapshot``), to say what changed since."""
    notes: tuple[str, ...] = ()
    """What a reviewer should know beside this row (a likely rename, what a deletion takes
    with it on this server: ``plan.notes``): shown with it, never acted on."""

    @property
    def address(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def executable(self) -> bool:
        return self.status is Status.PLANNED

    def with_status(self, status: Status, reason: str) -> Change:
        return replace(self, status=status, reason=reason)

    def sort_key(self) -> tuple[int, str, str, int]:
        """Users before groups, then by address (as Terraform sorts), then by action."""
        return (
            0 if self.kind is Kind.USER else 1,
            fold(self.name),
            self.name,
            ORDER[self.action],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind.value,
            "action": self.action.value,
            "name": self.name,
            "key": self.key,
            "id": self.id,
            "status": self.status.value,
            "reason": self.reason,
            "externalId": self.external_id,
            "attributes": [a.to_dict() for a in self.attributes],
            "members": [m.to_dict() for m in self.members],
            "fingerprint": self.fingerprint,
            "version": self.version,
            "before": dict(self.before) if self.before is not None else None,
            **({"notes": list(self.notes)} if self.notes else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            kind=Kind(data["kind"]),
            action=Action(data["action"]),
            name=data["name"],
            key=data.get("key"),
            id=data.get("id"),
            attributes=tuple(AttrChange.from_dict(a) for a in data.get("attributes", ())),
            members=tuple(Member.from_dict(m) for m in data.get("members", ())),
            external_id=data.get("externalId"),
            status=Status(data.get("status", "planned")),
            reason=data.get("reason"),
            fingerprint=data.get("fingerprint"),
            version=data.get("version"),
            before=data.get("before"),
            notes=tuple(str(note) for note in data.get("notes", ())),
        )


@dataclass(frozen=True)
class Summary:
    create: int = 0
    update: int = 0
    deactivate: int = 0
    delete: int = 0
    memberships: int = 0
    conflicts: int = 0
    skipped: int = 0
    refused: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass(frozen=True)
class Plan:
    """Every change for one target, sorted users first, then by action and name."""

    target: str
    changes: tuple[Change, ...] = ()
    desired_digest: str = ""
    violations: tuple[str, ...] = ()
    """Safety limits this plan breaks; apply refuses it unless forced."""
    unmanaged: Mapping[str, int] = field(default_factory=dict)
    """Live resources without our marker, by kind: counted, never touched."""
    warnings: tuple[str, ...] = ()
    managed: Mapping[str, int] = field(default_factory=dict)
    """Managed live resources by kind (users, groups, memberships): the base of limits."""
    policy_change: tuple[str, ...] = ()
    """How a pull request changes targets.yaml (``plan --base``): shown, not yet in force."""
    connection: Mapping[str, str] = field(default_factory=dict)
    """Where the plan was made (``Connection.binding``: url, profile, the target block's
    digest); ``apply PLANFILE`` refuses a plan made against anything else."""
    user_names: Mapping[str, str] = field(default_factory=dict)
    """Stable key → userName of the managers its rows name: a manager is planned by key
    (what apply resolves) and shown by userName, so ``show`` prints a saved plan as
    ``plan`` printed it. For display only: apply never reads it."""

    @classmethod
    def build(cls, target: str, changes: list[Change], **rest: Any) -> Plan:
        return cls(target, tuple(sorted(changes, key=Change.sort_key)), **rest)

    @property
    def executable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.executable)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def safe(self) -> bool:
        return not self.violations and not any(c.status is Status.REFUSED for c in self.changes)

    def summary(self) -> Summary:
        """Counts in the plan's units: resources, and one membership change per member;
        the rows a rule held back (skipped, refused) in the same units, so a refused row
        of three members is three refused changes, as it would be three applied."""
        counts: Counter[str] = Counter()
        for change in self.changes:
            unit, size = plan_unit(change)
            if change.status is Status.CONFLICT:
                counts["conflict"] += 1
            elif change.status is not Status.PLANNED:
                counts[change.status.value] += size
            else:
                counts[unit] += size
        conflicts = counts.pop("conflict", 0)
        return Summary(conflicts=conflicts, **counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "target": self.target,
            "desired_digest": self.desired_digest,
            "summary": self.summary().to_dict(),
            "safe": self.safe,
            "violations": list(self.violations),
            "warnings": list(self.warnings),
            "unmanaged": dict(self.unmanaged),
            "managed": dict(self.managed),
            "policy_change": list(self.policy_change),
            "connection": dict(self.connection),
            **({"user_names": dict(self.user_names)} if self.user_names else {}),
            "changes": [c.to_dict() for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            target=data["target"],
            changes=tuple(Change.from_dict(c) for c in data["changes"]),
            desired_digest=data.get("desired_digest", ""),
            violations=tuple(data.get("violations", ())),
            unmanaged=dict(data.get("unmanaged", {})),
            warnings=tuple(data.get("warnings", ())),
            managed=dict(data.get("managed", {})),
            policy_change=tuple(str(line) for line in data.get("policy_change", ())),
            connection=_strings(data.get("connection")),
            user_names=_strings(data.get("user_names")),
        )


def plan_unit(change: Change) -> tuple[str, int]:
    """What one row counts as in a plan's summary: ``("memberships", N)`` for a row of N
    members, else its action once (an adoption is an update)."""
    if change.action in MEMBERSHIP:
        return "memberships", len(change.members)
    if change.action is Action.ADOPT:
        return "update", 1
    return change.action.value, 1


def _strings(value: Any) -> dict[str, str]:
    """A mapping of strings as read from a plan file (anything else: none)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [dict(item) for item in value]
    return value


def _canonical(value: Any) -> Any:
    if isinstance(value, list):
        return canonical_multi(value)
    return value
