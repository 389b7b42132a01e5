"""``--only user:NAME`` / ``--only group:NAME``: provision some resources on demand.

The plan is restricted to the named resources and the memberships that touch
them: for a user, its own change and its membership in any group; for a group,
every change of that group. What needs a resource outside the selection that does
not exist yet (a group or member to create, a manager to create) is left out with
a warning naming the ``--only`` to add.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from reconciler.errors import InputError
from reconciler.identity import fold
from reconciler.model import MANAGER, Org
from reconciler.plan.model import MEMBERSHIP, Action, Change, Kind, Plan


@dataclass(frozen=True)
class Address:
    kind: Kind
    name: str

    @classmethod
    def parse(cls, text: str) -> Address:
        kind, sep, name = text.partition(":")
        if not sep or kind not in ("user", "group") or not name:
            raise InputError(f"--only {text!r}: expected user:USERNAME or group:DISPLAYNAME")
        return cls(Kind(kind), fold(name))

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def parse_addresses(texts: Iterable[str], desired: Org, live: Org) -> list[Address]:
    """The ``--only`` addresses, each checked to name a desired or live resource."""
    addresses = [Address.parse(t) for t in texts]
    users = {fold(u.user_name) for org in (desired, live) for u in org.users}
    groups = {fold(g.display_name) for org in (desired, live) for g in org.groups}
    for address in addresses:
        known = users if address.kind is Kind.USER else groups
        if address.name not in known:
            raise InputError(
                f"--only {address}: no such {address.kind} in the desired state or on the server"
            )
    return addresses


def restrict(plan: Plan, addresses: list[Address]) -> Plan:
    """The part of ``plan`` that concerns ``addresses``.

    A membership that needs a resource outside the selection which does not exist
    yet (a group or user this plan would create) is left out, with a warning.
    """
    users = {a.name for a in addresses if a.kind is Kind.USER}
    groups = {a.name for a in addresses if a.kind is Kind.GROUP}
    kept: list[Change] = []
    warnings: list[str] = []
    for change in plan.changes:
        for part in _keep(change, users, groups):
            kept += _resolvable(part, users, groups, warnings)
    kept = list(_managers_known(kept, _unselected_creates(plan, users), warnings))
    return replace(plan, changes=tuple(kept), warnings=(*plan.warnings, *warnings))


def _unselected_creates(plan: Plan, users: set[str]) -> dict[str, str]:
    """Key → userName of the users this plan creates that the selection leaves out."""
    return {
        c.key: c.name
        for c in plan.changes
        if c.kind is Kind.USER
        and c.action is Action.CREATE
        and c.key is not None
        and fold(c.name) not in users
    }


def _managers_known(
    changes: list[Change], missing: dict[str, str], warnings: list[str]
) -> Iterator[Change]:
    """Leave out a manager that is not on the server and not selected: it cannot be set."""
    for change in changes:
        manager = next((a for a in change.attributes if a.path == MANAGER), None)
        name = missing.get(str(manager.after)) if manager is not None else None
        if name is None:
            yield change
            continue
        warnings.append(
            f"the manager of {change.name}, {name}, is not on the server yet: add "
            f"--only user:{name} to set it"
        )
        rest = tuple(a for a in change.attributes if a is not manager)
        if rest or change.action is not Action.UPDATE:
            yield replace(change, attributes=rest)


def _keep(change: Change, users: set[str], groups: set[str]) -> Iterator[Change]:
    name = fold(change.name)
    if change.kind is Kind.USER:
        if name in users:
            yield change
        return
    if name in groups:
        yield change
        return
    if change.action in MEMBERSHIP:
        members = tuple(m for m in change.members if fold(m.user_name) in users)
        if members:
            yield replace(change, members=members)


def _resolvable(
    change: Change, users: set[str], groups: set[str], warnings: list[str]
) -> Iterator[Change]:
    if change.action not in MEMBERSHIP:
        yield change
        return
    if change.id is None and fold(change.name) not in groups:
        warnings.append(
            f"group {change.name!r} does not exist yet: add --only group:{change.name} "
            "to create it with its members"
        )
        return
    members = tuple(m for m in change.members if m.id or fold(m.user_name) in users)
    for missing in sorted(set(change.members) - set(members)):
        warnings.append(
            f"{missing.user_name} is not on the server yet: add --only user:{missing.user_name} "
            f"to add it to {change.name!r}"
        )
    if members:
        yield replace(change, members=members)


def expirations(plan: Plan) -> Plan:
    """Only the removals of temporary memberships that have ended (``--expired-only``):
    what an unattended hourly run may do, whatever else is pending."""
    rows = tuple(c for c in plan.changes if c.action is Action.EXPIRE_MEMBERS)
    return replace(plan, changes=rows)


def within_scope(plan: Plan, scope: frozenset[str], wanted: Org, live: Org) -> Plan:
    """A target's ``scope`` bounds what its plan removes as well as what it sends: a live
    group outside it is not deleted, and a live user that is neither desired there
    (``wanted``, the scoped desired org) nor a member of one of its groups is not
    deactivated or deleted. So a directory that holds one group (``import --group``)
    plans nothing for the rest of the server, which it never described."""
    in_scope = [g for g in live.groups if fold(g.display_name) in scope]
    members = {member for group in in_scope for member in group.members}
    desired = {u.key for u in wanted.users}
    rows = tuple(c for c in plan.changes if not _outside(c, scope, desired, members))
    return replace(plan, changes=rows) if len(rows) != len(plan.changes) else plan


def _outside(
    change: Change, scope: frozenset[str], desired: set[str | None], members: set[str]
) -> bool:
    if change.action not in (Action.DELETE, Action.DEACTIVATE):
        return False
    if change.kind is Kind.GROUP:
        return fold(change.name) not in scope
    return change.key not in desired and change.id not in members
