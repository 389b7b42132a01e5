"""Safety rules, checked at plan time so a pull request shows them and apply refuses them.

``check(plan, policy, force=...)`` returns a new plan whose rows are marked
skipped (operation switched off), refused (protected; privileged without
``--force``), and whose ``violations`` list every limit the plan breaks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from reconciler.plan.model import Action, Change, Kind, Plan, Status
from reconciler.policy import Limit, Policy

OPERATION = {
    Action.CREATE: "create",
    Action.ADOPT: "update",
    Action.UPDATE: "update",
    Action.ADD_MEMBERS: "update",
    Action.REMOVE_MEMBERS: "update",
    Action.DEACTIVATE: "deactivate",
    Action.DELETE: "delete",
}

DESTRUCTIVE = (Action.DEACTIVATE, Action.DELETE, Action.REMOVE_MEMBERS)


def check(plan: Plan, policy: Policy, *, force: bool = False) -> Plan:
    """``plan`` with every safety rule of ``policy`` applied to it."""
    changes = tuple(_rule(change, policy, force) for change in plan.changes)
    checked = replace(plan, changes=changes)
    violations = tuple(_violations(checked, policy))
    if force and violations:
        forced = tuple(f"forced past a limit: {v}" for v in violations)
        return replace(checked, warnings=(*checked.warnings, *forced))
    return replace(checked, violations=violations)


def _rule(change: Change, policy: Policy, force: bool) -> Change:
    if change.status is not Status.PLANNED:
        return change
    operation = OPERATION[change.action]
    if not getattr(policy.operations, operation):
        return change.with_status(
            Status.SKIPPED, f"operation '{operation}' is switched off for this target"
        )
    name = change.name.casefold()
    if change.action in DESTRUCTIVE and _protected(change, name, policy):
        return change.with_status(
            Status.REFUSED, f"{change.kind} is protected by policy: never {_verb(change.action)}"
        )
    if _privileged(change, name, policy) and not force:
        return change.with_status(
            Status.REFUSED, "privileged group: membership changes need --force"
        )
    return change


def _protected(change: Change, name: str, policy: Policy) -> bool:
    names = policy.protected_users if change.kind is Kind.USER else policy.protected_groups
    return name in names


def _privileged(change: Change, name: str, policy: Policy) -> bool:
    membership = change.action in (Action.ADD_MEMBERS, Action.REMOVE_MEMBERS)
    return membership and name in policy.privileged_groups


def _verb(action: Action) -> str:
    return {
        Action.DEACTIVATE: "deactivated",
        Action.DELETE: "deleted",
        Action.REMOVE_MEMBERS: "stripped of members",
    }[action]


def _violations(plan: Plan, policy: Policy) -> Iterator[str]:
    limits = policy.limits
    planned = [c for c in plan.changes if c.status is Status.PLANNED]
    managed = plan.managed
    deletes = sum(1 for c in planned if c.action is Action.DELETE and c.key is not None)
    base = managed.get("users", 0) + managed.get("groups", 0)
    yield from _over("deletes", deletes, base, limits.deletes, limits.min_managed)
    deactivations = sum(1 for c in planned if c.action is Action.DEACTIVATE and c.key is not None)
    yield from _over(
        "deactivations",
        deactivations,
        managed.get("users", 0),
        limits.deactivations,
        limits.min_managed,
    )
    removals = sum(len(c.members) for c in planned if c.action is Action.REMOVE_MEMBERS)
    yield from _over(
        "membership removals",
        removals,
        managed.get("memberships", 0),
        limits.membership_removals,
        limits.min_managed,
    )
    pruned = sum(1 for c in planned if c.key is None and c.action in DESTRUCTIVE)
    unmanaged = sum(plan.unmanaged.values())
    yield from _over(
        "prunes of unmanaged resources", pruned, unmanaged, limits.prune, limits.min_managed
    )


def _over(what: str, count: int, base: int, limit: Limit, min_managed: int) -> Iterator[str]:
    if count == 0:
        return
    if limit.count is not None and count > limit.count:
        yield f"{count} {what} exceed the limit of {limit.count} per run"
    if limit.percent is not None and base >= min_managed:
        share = 100.0 * count / base if base else 100.0
        if share > limit.percent:
            yield (
                f"{count} {what} are {share:.1f}% of {base} managed, over the limit of "
                f"{limit.percent:g}%"
            )
