"""What the reconciler may do on one target: pure data, read from targets.yaml."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.identity import fold

DURATION = re.compile(r"^(\d+)([smhdw])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> int:
    """Seconds in ``30d``, ``12h``, ``2w`` … (the schema has already checked the form)."""
    match = DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30d, 12h, 2w)")
    return int(match.group(1)) * SECONDS[match.group(2)]


@dataclass(frozen=True)
class Operations:
    """Which kinds of write are allowed; a switched-off one is shown as skipped."""

    create: bool = True
    update: bool = True
    deactivate: bool = True
    delete: bool = True


@dataclass(frozen=True)
class Limit:
    """At most ``count`` changes, and at most ``percent`` of the managed resources."""

    count: int | None = None
    percent: float | None = None


@dataclass(frozen=True)
class Limits:
    """Per-run limits by kind of destructive change (octoDNS-style thresholds).

    Each kind is counted on its own: ``deletes`` applies to user deletes (against the
    managed users) and to group deletes (against the managed groups), never pooled.
    Percents apply only when the managed resources of that kind number at least
    ``min_managed``, so a small directory can still be cleaned up; removing *every*
    managed user, group or membership is refused whatever the size (``plan.safety``).
    """

    deletes: Limit = Limit(percent=30)
    deactivations: Limit = Limit(percent=30)
    membership_removals: Limit = Limit(percent=30)
    prune: Limit = Limit(count=10)
    min_managed: int = 10


@dataclass(frozen=True)
class Policy:
    """The whole policy of one target. Defaults are the safe choice."""

    marker_prefix: str = "scimctl:"
    on_remove: str = "deactivate"
    delete_after: int | None = None
    """Seconds a removed user stays deactivated before it is deleted; None: never."""
    operations: Operations = Operations()
    protected_users: frozenset[str] = frozenset()
    protected_groups: frozenset[str] = frozenset()
    privileged_groups: frozenset[str] = frozenset()
    max_durations: Mapping[str, int] = field(default_factory=dict)
    """Per privileged group (folded name): the longest, in seconds, a membership may be
    granted for (``max_duration``); a membership added for longer, or without an end, is
    refused whoever approves."""
    approvers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per privileged group (folded name): the GitHub logins and ``@org/team`` names whose
    approving review of the pull request lets its membership change; none named: only
    ``--allow privileged`` does."""
    limits: Limits = Limits()
    adopt: bool = False
    prune_unmanaged: bool = False
    acknowledge_irreversible_delete: bool = False
    """Needed for on_remove: delete / delete_after on a server whose DELETE cannot be undone."""
    last_pusher_cannot_approve: bool = False
    """The review of whoever pushed the pull request's head approves nothing."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        protected = data.get("protected") or {}
        after = data.get("delete_after")
        return cls(
            marker_prefix=data.get("marker_prefix", cls.marker_prefix),
            on_remove=data.get("on_remove", cls.on_remove),
            delete_after=parse_duration(after) if after else None,
            operations=Operations(**(data.get("operations") or {})),
            protected_users=_folded(protected.get("users")),
            protected_groups=_folded(protected.get("groups")),
            privileged_groups=_folded(data.get("privileged_groups")),
            approvers=_approvers(data.get("privileged_groups")),
            max_durations=_max_durations(data.get("privileged_groups")),
            limits=_limits(data.get("limits") or {}),
            adopt=bool(data.get("adopt", False)),
            prune_unmanaged=bool(data.get("prune_unmanaged", False)),
            acknowledge_irreversible_delete=bool(
                data.get("acknowledge_irreversible_delete", False)
            ),
            last_pusher_cannot_approve=bool(data.get("last_pusher_cannot_approve", False)),
        )


def _folded(names: Any) -> frozenset[str]:
    return frozenset(fold(str(n)) for n in names or ())


def _approvers(groups: Any) -> dict[str, tuple[str, ...]]:
    """``{group: {approvers: [...]}}`` as folded group name to approvers; a list names none."""
    if not isinstance(groups, Mapping):
        return {}
    return {
        fold(str(name)): tuple(str(a) for a in (rule or {}).get("approvers") or ())
        for name, rule in groups.items()
    }


def _max_durations(groups: Any) -> dict[str, int]:
    """``{group: {max_duration: 7d}}`` as folded group name to seconds."""
    if not isinstance(groups, Mapping):
        return {}
    return {
        fold(str(name)): parse_duration(str(rule["max_duration"]))
        for name, rule in groups.items()
        if isinstance(rule, Mapping) and rule.get("max_duration")
    }


def _limits(data: Mapping[str, Any]) -> Limits:
    defaults = Limits()
    values: dict[str, Any] = {}
    for name in ("deletes", "deactivations", "membership_removals", "prune"):
        if name in data:
            values[name] = Limit(**data[name])
    return Limits(min_managed=data.get("min_managed", defaults.min_managed), **values)
