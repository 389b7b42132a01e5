"""Safety rules, checked at plan time so a pull request shows them and apply refuses them.

``check(plan, policy, force=..., approvals=...)`` returns a new plan whose rows are
marked skipped (operation switched off), refused (protected; privileged and not
approved), and whose ``violations`` list every limit the plan breaks.

Two overrides, never one for the other: ``force`` lifts limits only; ``approvals``
(``--allow privileged``, or a named approver's review of the pull request) lets a
privileged group's membership change, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

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
PRIVILEGED = "privileged group"
"""How the reason of every privileged row starts, approved or refused."""


@dataclass(frozen=True)
class Approvals:
    """What approves privileged changes in this run: never read from a plan file.

    ``approved_by`` maps each approver the policy may name (a folded GitHub login, or
    ``@org/team``) that approved the pull request's current head to the login who did.
    """

    allow_privileged: bool = False
    """``--allow privileged``: every privileged change is approved."""
    approved_by: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    """Where the reviews were read (``pull request #12 at 0a1b2c3``), for the plan's reason."""


def check(
    plan: Plan, policy: Policy, *, force: bool = False, approvals: Approvals = Approvals()
) -> Plan:
    """``plan`` with every safety rule of ``policy`` applied to it."""
    changes = tuple(_rule(change, policy, approvals) for change in plan.changes)
    checked = replace(plan, changes=changes)
    violations = tuple(_violations(checked, policy))
    if force and violations:
        forced = tuple(f"forced past a limit: {v}" for v in violations)
        return replace(checked, warnings=(*checked.warnings, *forced))
    return replace(checked, violations=violations)


def _rule(change: Change, policy: Policy, approvals: Approvals) -> Change:
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
    if _privileged(change, name, policy):
        return approve(change, policy.approvers.get(name, ()), approvals)
    return change


def approve(change: Change, named: tuple[str, ...], approvals: Approvals) -> Change:
    """A privileged row, planned with who approved it, or refused naming who must approve."""
    if approvals.allow_privileged:
        return change.with_status(Status.PLANNED, f"{PRIVILEGED}: approved by --allow privileged")
    by = [
        f"{name} ({approvals.approved_by[name.casefold()]})"
        for name in named
        if name.casefold() in approvals.approved_by
    ]
    if by:
        where = f" on {approvals.source}" if approvals.source else ""
        return change.with_status(Status.PLANNED, f"{PRIVILEGED}: approved by {by[0]}{where}")
    if not named:
        return change.with_status(
            Status.REFUSED,
            f"{PRIVILEGED}: needs --allow privileged (the policy names no approvers)",
        )
    return change.with_status(
        Status.REFUSED,
        f"{PRIVILEGED}: needs an approving review of the pull request's current head by "
        f"one of: {', '.join(named)}",
    )


def _protected(change: Change, name: str, policy: Policy) -> bool:
    names = policy.protected_users if change.kind is Kind.USER else policy.protected_groups
    return name in names


def _privileged(change: Change, name: str, policy: Policy) -> bool:
    """A membership change of a privileged group, or its deletion (everyone loses access)."""
    touches = change.action in (Action.ADD_MEMBERS, Action.REMOVE_MEMBERS, Action.DELETE)
    return change.kind is Kind.GROUP and touches and name in policy.privileged_groups


def _verb(action: Action) -> str:
    return {
        Action.DEACTIVATE: "deactivated",
        Action.DELETE: "deleted",
        Action.REMOVE_MEMBERS: "stripped of members",
    }[action]


def _violations(plan: Plan, policy: Policy) -> Iterator[str]:
    """Every limit the planned rows break, each kind (users, groups, memberships)
    against its own count: a pooled base would let every group go as "6 of 21"."""
    limits, managed = policy.limits, plan.managed
    planned = [c for c in plan.changes if c.status is Status.PLANNED]
    removals = _Removals.of(planned)
    yield from _every(removals, managed)
    for what, count, kind, limit in (
        ("user deletes", removals.user_deletes, "users", limits.deletes),
        ("group deletes", removals.group_deletes, "groups", limits.deletes),
        ("deactivations", removals.deactivations, "users", limits.deactivations),
        ("membership removals", removals.members, "memberships", limits.membership_removals),
    ):
        base = managed.get(kind, 0)
        yield from _over(what, count, base, f"managed {kind}", limit, limits.min_managed)
    for kind in (Kind.USER, Kind.GROUP):
        pruned = sum(
            1 for c in planned if c.key is None and c.kind is kind and c.action in DESTRUCTIVE
        )
        unmanaged = plan.unmanaged.get(f"{kind}s", 0)
        yield from _over(
            f"prunes of unmanaged {kind}s",
            pruned,
            unmanaged,
            f"unmanaged {kind}s",
            limits.prune,
            limits.min_managed,
        )


@dataclass(frozen=True)
class _Removals:
    """What the planned rows take away from managed resources, by kind."""

    deactivations: int = 0
    user_deletes: int = 0
    active_deletes: int = 0
    """User deletes of users that are active (a delete of one deactivated earlier is not)."""
    group_deletes: int = 0
    members: int = 0

    @classmethod
    def of(cls, planned: list[Change]) -> _Removals:
        managed = [c for c in planned if c.key is not None]
        user_deletes = [c for c in managed if c.kind is Kind.USER and c.action is Action.DELETE]
        return cls(
            deactivations=sum(1 for c in managed if c.action is Action.DEACTIVATE),
            user_deletes=len(user_deletes),
            active_deletes=sum(1 for c in user_deletes if _was_active(c)),
            group_deletes=sum(
                1 for c in managed if c.kind is Kind.GROUP and c.action is Action.DELETE
            ),
            members=sum(len(c.members) for c in planned if c.action is Action.REMOVE_MEMBERS),
        )


def _was_active(change: Change) -> bool:
    """Whether the user a delete removes was active (unknown: counted as active)."""
    return change.before is None or change.before.get("active", True) is not False


def _every(removals: _Removals, managed: Mapping[str, int]) -> Iterator[str]:
    """Removing every managed resource of a kind is refused without --force, whatever
    the size of the directory (``min_managed`` does not apply)."""
    users, active = managed.get("users", 0), managed.get("active_users", 0)
    gone = removals.deactivations + removals.active_deletes
    if users and (removals.user_deletes >= users or (active and gone >= active)):
        yield f"the plan would deactivate or delete every managed user ({users})"
    groups = managed.get("groups", 0)
    if groups and removals.group_deletes >= groups:
        yield f"the plan would delete every managed group ({groups})"
    memberships = managed.get("memberships", 0)
    if memberships and removals.members >= memberships:
        yield f"the plan would remove every managed group membership ({memberships})"


def _over(
    what: str, count: int, base: int, of: str, limit: Limit, min_managed: int
) -> Iterator[str]:
    if count == 0:
        return
    if limit.count is not None and count > limit.count:
        yield f"{count} {what} exceed the limit of {limit.count} per run"
    if limit.percent is not None and base >= min_managed:
        share = 100.0 * count / base if base else 100.0
        if share > limit.percent:
            yield (
                f"{count} {what} are {share:.1f}% of {base} {of}, over the limit of "
                f"{limit.percent:g}%"
            )
