"""Values a server keeps unique across users: a plan that would take one is a conflict.

AWS IAM Identity Center keeps each user's primary email unique (the profile's
``unique_primary``). A create, or an update that changes the email, whose primary value
another live user already holds (one the YAML does not manage, or one it keeps as it is)
would meet a 409 at apply; the plan says so instead, as a conflict row that names the
holder, and leaves out what depends on the user being created (its memberships, the
manager links to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from reconciler.identity import fold
from reconciler.model import MANAGER, Org, User, Value
from reconciler.plan.model import MEMBERSHIP, Action, Change, Kind, Plan, Status

WRITES = (Action.CREATE, Action.UPDATE, Action.ADOPT)


def unique_conflicts(plan: Plan, live: Org, attributes: Iterable[str]) -> Plan:
    """``plan`` with every user row that takes a unique primary value held by another
    live user turned into a conflict (see the module's docstring)."""
    attributes = frozenset(attributes)
    if not attributes or not any(_takes(c, attributes) for c in plan.changes):
        return plan
    moving = {c.id for c in plan.changes if c.id is not None and _takes(c, attributes)}
    held = _holders(live.users, attributes, moving)
    rows, blocked = [], set()
    for change in plan.changes:
        holder = _holder(change, attributes, held)
        if holder is None:
            rows.append(change)
            continue
        attribute, value, user = holder
        reason = (
            f"the primary {attribute} value {value!r} is held by the live user "
            f"{user.user_name!r} (id {user.id!r}{'' if user.key else ', unmanaged'}), and "
            "the server keeps it unique: it would refuse this write (409); change the "
            "email in the YAML, or free it on the server first"
        )
        rows.append(replace(change, action=Action.CONFLICT).with_status(Status.CONFLICT, reason))
        if change.action is Action.CREATE and change.key is not None:
            blocked.add(change.key)
    warnings = list(plan.warnings)
    if blocked:
        names = {c.key: c.name for c in plan.changes if c.key in blocked}
        warnings += [
            f"manager of {c.name} is {names[str(a.after)]}, which is in conflict: it is set "
            "once that user is created"
            for c in rows
            for a in c.attributes
            if a.path == MANAGER and a.after in blocked and c.action is not Action.CONFLICT
        ]
        rows = [row for change in rows if (row := _without(change, blocked)) is not None]
    return replace(plan, changes=tuple(rows), warnings=tuple(warnings))


def _takes(change: Change, attributes: frozenset[str]) -> bool:
    return (
        change.kind is Kind.USER
        and change.action in WRITES
        and change.status is Status.PLANNED
        and any(a.path in attributes for a in change.attributes)
    )


def _holders(
    users: Iterable[User], attributes: frozenset[str], moving: set[str]
) -> dict[tuple[str, str], User]:
    """(attribute, folded primary value) → the live user holding it, but for users whose
    own row in this plan changes that attribute (they may free it first: users are
    updated before any is created)."""
    held: dict[tuple[str, str], User] = {}
    for user in users:
        if user.id in moving:
            continue
        for attribute in attributes:
            value = primary(user.attrs.get(attribute))
            if value is not None:
                held.setdefault((attribute, fold(value)), user)
    return held


def _holder(
    change: Change, attributes: frozenset[str], held: Mapping[tuple[str, str], User]
) -> tuple[str, str, User] | None:
    if not _takes(change, attributes):
        return None
    for attr in change.attributes:
        value = primary(attr.after) if attr.path in attributes else None
        if value is None:
            continue
        user = held.get((attr.path, fold(value)))
        if user is not None and user.id != change.id:
            return attr.path, value, user
    return None


def primary(value: Value) -> str | None:
    """The primary (else the only) value of a canonical multi-valued attribute."""
    if not isinstance(value, tuple) or not value:
        return None
    items = [dict(item) for item in value]
    chosen = next((i for i in items if i.get("primary") is True), None)
    if chosen is None and len(items) == 1:
        chosen = items[0]
    found = chosen.get("value") if chosen is not None else None
    return found if isinstance(found, str) else None


def _without(change: Change, blocked: set[str]) -> Change | None:
    """``change`` without what needs a user whose create is in conflict: its membership,
    its manager link; None when nothing is left of it."""
    if change.action in MEMBERSHIP:
        members = tuple(m for m in change.members if m.id is not None or m.key not in blocked)
        if len(members) == len(change.members):
            return change
        return replace(change, members=members) if members else None
    if change.action is Action.CONFLICT:
        return change
    attrs = tuple(a for a in change.attributes if not (a.path == MANAGER and a.after in blocked))
    if len(attrs) == len(change.attributes):
        return change
    if not attrs and change.action is Action.UPDATE:
        return None
    return replace(change, attributes=attrs)
