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
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.identity import fold, same
from reconciler.model import Group, Org
from reconciler.plan.model import Action, AttrChange, Change, Kind, Plan, Status
from reconciler.policy import Limit, Policy
from reconciler.temporary import parse_end

OPERATION = {
    Action.CREATE: "create",
    Action.ADOPT: "update",
    Action.UPDATE: "update",
    Action.ADD_MEMBERS: "update",
    Action.REMOVE_MEMBERS: "update",
    Action.EXPIRE_MEMBERS: "update",
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
    """``--allow privileged``: every privileged change is approved (see ``allow_named``)."""
    approved_by: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    """Where the reviews were read (``pull request #12 at 0a1b2c3``), for the plan's reason."""
    allow_named: bool = True
    """Whether ``--allow privileged`` also approves a group whose policy names approvers:
    from a terminal (a person) it does; off one (a workflow's arguments) only their
    reviews do."""


def check(
    plan: Plan,
    policy: Policy,
    *,
    force: bool = False,
    approvals: Approvals = Approvals(),
    members: PrivilegedMembers | None = None,
    now: datetime | None = None,
) -> Plan:
    """``plan`` with every safety rule of ``policy`` applied to it.

    Each row is judged as the resource it touches: by its desired name, by its name on
    the server and by its key (``subjects``), so a rename cannot carry a protected user
    or a privileged group out of its policy. ``members`` says which users belong to a
    privileged group (live or desired): a change of their identity needs that group's
    approval. ``now`` (default: the clock) decides which temporary memberships a
    ``max_duration`` allows."""
    members = members or PrivilegedMembers()
    now = now or datetime.now(UTC)
    changes = tuple(_rule(change, policy, approvals, members, now) for change in plan.changes)
    checked = replace(plan, changes=changes)
    violations = tuple(_violations(checked, policy))
    if force and violations:
        forced = tuple(f"forced past a limit: {v}" for v in violations)
        return replace(checked, warnings=(*checked.warnings, *forced))
    return replace(checked, violations=violations)


def _rule(
    change: Change,
    policy: Policy,
    approvals: Approvals,
    members: PrivilegedMembers,
    now: datetime,
) -> Change:
    if change.status is not Status.PLANNED:
        return change
    operation = OPERATION[change.action]
    if not getattr(policy.operations, operation):
        return change.with_status(
            Status.SKIPPED, f"operation '{operation}' is switched off for this target"
        )
    names = subjects(change, policy.marker_prefix)
    renamed = identity_change(change)
    if _protected(change, names, policy):
        if change.action in DESTRUCTIVE:
            return change.with_status(
                Status.REFUSED,
                f"{change.kind} is protected by policy: never {_verb(change.action)}",
            )
        if renamed:
            return change.with_status(
                Status.REFUSED,
                f"{change.kind} is protected by policy: its identity never changes here "
                f"({renamed})",
            )
    if change.kind is Kind.GROUP:
        groups = _privileged_groups(names, policy)
        too_long = _too_long(change, groups, policy, now)
        if too_long:
            return change.with_status(Status.REFUSED, too_long)
        if groups and renamed and not _named_after(change, policy.privileged_groups):
            return change.with_status(Status.REFUSED, _unlisted(change, groups))
        if change.action in PRIVILEGED_ACTIONS or renamed:
            return _approved(change, groups, policy, approvals)
    elif renamed:
        groups = members.groups_of(change)
        return _approved(
            change, groups, policy, approvals, f"its member changes identity ({renamed})"
        )
    return change


def _named_after(change: Change, names: frozenset[str]) -> bool:
    """Whether the policy still names the resource after the row: by its new name or
    its key (a rename must not leave a privileged group that no policy name matches)."""
    return fold(change.name) in names or (change.key is not None and fold(change.key) in names)


def _unlisted(change: Change, groups: tuple[str, ...]) -> str:
    return (
        f"{PRIVILEGED} {groups[0]!r} would be renamed to {change.name!r}, which no name "
        f"under privileged_groups matches (nor its key {change.key!r}): after it no rule "
        f"would guard this group; add {change.name!r} to privileged_groups first, then rename"
    )


def _too_long(change: Change, groups: tuple[str, ...], policy: Policy, now: datetime) -> str:
    """Why members added to a privileged group with a ``max_duration`` are held for too
    long (no end, or one past it), naming each; ``""`` when none is."""
    if change.action is not Action.ADD_MEMBERS:
        return ""
    for group in groups:
        limit = policy.max_durations.get(group)
        if limit is None:
            continue
        latest = now + timedelta(seconds=limit)
        over = [
            f"{m.user_name!r} " + ("has no end" if m.until is None else f"ends {m.until}")
            for m in change.members
            if m.until is None or parse_end(m.until) > latest
        ]
        if over:
            return (
                f"{PRIVILEGED} {group!r} grants membership for at most {_duration(limit)} "
                f"(max_duration), so every member it gains needs an until no later than "
                f"{latest:%Y-%m-%d %H:%M} UTC: {'; '.join(over)}; no approval lifts this"
            )
    return ""


def standing_access(policy: Policy, desired: Org, now: datetime) -> list[str]:
    """A warning for each member of a group with a ``max_duration`` whose membership runs
    past it (no end, or an end extended beyond it): the plan refuses such a member only
    when adding it, since the server keeps no end to compare with; the reviewer sees
    these."""
    found = []
    for group in desired.groups:
        for name in _privileged_groups(_group_names(group), policy):
            limit = policy.max_durations.get(name)
            if limit is None:
                continue
            latest = now + timedelta(seconds=limit)
            for key in sorted(group.members):
                end = group.until.get(key)
                if end is None or parse_end(end) > latest:
                    held = "has no end" if end is None else f"ends {end}"
                    found.append(
                        f"{PRIVILEGED} {group.display_name!r} grants membership for at most "
                        f"{_duration(limit)}, but its member {key!r} {held}"
                    )
    return found


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _approved(
    change: Change,
    groups: tuple[str, ...],
    policy: Policy,
    approvals: Approvals,
    what: str = "",
) -> Change:
    """``change`` approved for each privileged group it touches, or refused for the first
    whose approvers did not approve (a group two privileged names match needs both)."""
    approved = change
    for group in groups:
        said = f"{what}, group {group!r}" if what else ""
        approved = approve(change, policy.approvers.get(group, ()), approvals, said)
        if approved.status is not Status.PLANNED:
            return approved
    return approved


def approve(change: Change, named: tuple[str, ...], approvals: Approvals, what: str = "") -> Change:
    """A privileged row, planned with who approved it, or refused naming who must approve."""
    head = f"{PRIVILEGED}: {what}; " if what else f"{PRIVILEGED}: "
    if approvals.allow_privileged and (approvals.allow_named or not named):
        return change.with_status(Status.PLANNED, f"{head}approved by --allow privileged")
    by = [
        f"{name} ({approvals.approved_by[name.casefold()]})"
        for name in named
        if name.casefold() in approvals.approved_by
    ]
    if by:
        where = f" on {approvals.source}" if approvals.source else ""
        return change.with_status(Status.PLANNED, f"{head}approved by {by[0]}{where}")
    if not named:
        return change.with_status(
            Status.REFUSED,
            f"{head}needs --allow privileged (the policy names no approvers)",
        )
    return change.with_status(
        Status.REFUSED,
        f"{head}needs an approving review of the pull request's current head by "
        f"one of: {', '.join(named)}",
    )


PRIVILEGED_ACTIONS = (Action.ADD_MEMBERS, Action.REMOVE_MEMBERS, Action.DELETE)
"""What a privileged group's approval is needed for, beside a change of its identity:
a membership change, or its deletion (everyone loses access)."""


def subjects(change: Change, prefix: str) -> frozenset[str]:
    """Every folded name a row stands for: its desired name, its name and key on the
    server (what was read, ``Change.before``), and its key."""
    names = {fold(change.name)}
    if change.key:
        names.add(fold(change.key))
    before = change.before or {}
    live = before.get("userName" if change.kind is Kind.USER else "displayName")
    if isinstance(live, str):
        names.add(fold(live))
    marker = before.get("externalId")
    if isinstance(marker, str) and marker.startswith(prefix) and len(marker) > len(prefix):
        names.add(fold(marker[len(prefix) :]))
    return frozenset(names)


IDENTITY_NAME = {Kind.USER: "userName", Kind.GROUP: "displayName"}
"""The attribute that names a resource (a user's displayName is only what is shown)."""


def identity_change(change: Change) -> str:
    """What a row changes of who a resource is (``userName 'a' → 'b'``), or ``""``.

    A userName or a group's displayName renamed, a primary email replaced, or an
    adopt that overwrites another externalId: each moves a person's (or a group's)
    identity, and with it the access it carries."""
    found = [_identity_attr(change.kind, a) for a in change.attributes]
    if change.action is Action.ADOPT:
        found.append(_overwritten_marker(change))
    return "; ".join(text for text in found if text)


def _identity_attr(kind: Kind, attr: AttrChange) -> str:
    if attr.path == IDENTITY_NAME[kind] and attr.before is not None:
        return f"{attr.path} {attr.before!r} → {attr.after!r}"
    if attr.path == "emails":
        before, after = primary_email(attr.before), primary_email(attr.after)
        if before is not None and (after is None or not same(before, after)):
            return f"primary email {before!r} → {after!r}"
    return ""


def _overwritten_marker(change: Change) -> str:
    held = (change.before or {}).get("externalId")
    if isinstance(held, str) and held and held != change.external_id:
        return f"externalId {held!r} → {change.external_id!r}"
    return ""


def primary_email(value: Any) -> str | None:
    """The primary (else the only) email of a canonical ``emails`` value."""
    items = [dict(item) for item in value or () if isinstance(item, tuple)]
    chosen = [i for i in items if i.get("primary") is True] or (items if len(items) == 1 else [])
    address = chosen[0].get("value") if chosen else None
    return address if isinstance(address, str) else None


@dataclass(frozen=True)
class PrivilegedMembers:
    """Which users belong to which privileged groups (folded names), live or desired."""

    by_id: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Live user id → the privileged groups the server lists it in."""
    by_key: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Desired user key → the privileged groups the desired state puts it in."""

    @classmethod
    def of(cls, policy: Policy, desired: Org, live: Org) -> PrivilegedMembers:
        if not policy.privileged_groups:
            return cls()
        by_id: dict[str, list[str]] = {}
        by_key: dict[str, list[str]] = {}
        for side, found in ((live, by_id), (desired, by_key)):
            for group in side.groups:
                for name in _privileged_groups(_group_names(group), policy):
                    for member in group.members:
                        found.setdefault(member, []).append(name)
        return cls(
            {k: tuple(sorted(set(v))) for k, v in by_id.items()},
            {k: tuple(sorted(set(v))) for k, v in by_key.items()},
        )

    def groups_of(self, change: Change) -> tuple[str, ...]:
        found = set(self.by_id.get(change.id or "", ()))
        found.update(self.by_key.get(change.key or "", ()))
        return tuple(sorted(found))


def _group_names(group: Group) -> frozenset[str]:
    names = {fold(group.display_name)}
    if group.key:
        names.add(fold(group.key))
    return frozenset(names)


def _protected(change: Change, names: frozenset[str], policy: Policy) -> bool:
    protected = policy.protected_users if change.kind is Kind.USER else policy.protected_groups
    return not names.isdisjoint(protected)


def _privileged_groups(names: frozenset[str], policy: Policy) -> tuple[str, ...]:
    """The privileged groups (folded, as the policy names them) among ``names``."""
    return tuple(sorted(names & policy.privileged_groups))


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
