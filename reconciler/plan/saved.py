"""Saved plans: ``plan --out plan.json`` and ``apply plan.json``.

A saved plan records, for every change, a fingerprint of the live resource it was
computed from and what was read of it. Applying it re-reads the server and
refuses, row by row, what changed since (naming what changed); the rest goes
ahead. A plan for another target, another desired state, another connection (server URL,
profile, the target's block in targets.yaml) or an unknown format version is refused
whole.

A plan file is untrusted input: anyone who can edit it could add rows, change
ids, or delete its ``violations``. So apply never executes the file's rows.
It makes the plan again, from the same desired state and today's server, and the
file only *selects* among those fresh rows (``narrow``): a row of the file that a
plan made now would not make, or would make differently, is refused. Today's
policy (operations, protected and privileged resources, limits against today's
counts) is then applied to what was selected by the same ``safety.check`` a fresh
plan goes through. The file can narrow what happens, never widen it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.errors import InputError, PlanFileError
from reconciler.escaping import printable
from reconciler.model import Group, Org, User, fingerprint, group_key, snapshot, user_key
from reconciler.plan.model import FORMAT_VERSION, MEMBERSHIP, Action, Change, Kind, Plan, Status


def attach_snapshots(plan: Plan, live: Org) -> Plan:
    """The plan with what was read of each live resource it changes."""
    users = {u.id: u for u in live.users}
    groups = {g.id: g for g in live.groups}
    changes = tuple(
        _with_snapshot(c, users if c.kind is Kind.USER else groups) for c in plan.changes
    )
    return replace(plan, changes=changes)


def _with_snapshot(change: Change, live: Mapping[str | None, User | Group]) -> Change:
    found = live.get(change.id) if change.id else None
    return replace(change, before=snapshot(found)) if found is not None else change


def write_plan(plan: Plan, path: Path) -> None:
    path.write_text(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n")


def read_plan(path: Path) -> Plan:
    """A saved plan, refused whole when unreadable or of a format version we do not know."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such plan file") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a plan file (not JSON: {error})") from None
    if not isinstance(data, dict) or "changes" not in data:
        raise InputError(f"{path}: not a plan file (write one with `scimctl plan --out`)")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise PlanFileError(
            f"{path}: plan format version {version!r} is not one this scimctl knows "
            f"({FORMAT_VERSION}); make the plan again with this version"
        )
    try:
        return Plan.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"{path}: the plan file is damaged ({error!r})") from None


def check_origin(plan: Plan, path: Path, target: str, digest: str) -> None:
    """Refuse a plan made for another target or from another desired state."""
    if plan.target != target:
        raise PlanFileError(
            f"{path} was made for target {plan.target!r}, not {target!r}; nothing was applied"
        )
    if plan.desired_digest != digest:
        raise PlanFileError(
            f"{path} was made from another desired state (it changed since the plan); "
            "nothing was applied: run plan again"
        )


def check_connection(plan: Plan, path: Path, connection: Mapping[str, str]) -> None:
    """Refuse a plan made against another server, profile or target block (url, token
    variable, policy …): it was reviewed as a plan of that one. A plan that records none
    (made before plans recorded it) is refused too."""
    if dict(plan.connection) == dict(connection):
        return
    changed = [k for k in sorted(connection) if plan.connection.get(k) != connection.get(k)]
    said = {
        "url": f"the server ({printable(plan.connection.get('url', '?'))} → "
        f"{printable(connection.get('url', '?'))})",
        "profile": f"the profile ({printable(plan.connection.get('profile', '?'))} → "
        f"{printable(connection.get('profile', '?'))})",
        "target": "the target's settings in targets.yaml (url, token_env, policy …)",
    }
    what = "; ".join(said.get(k, k) for k in changed) or "nothing recorded"
    raise PlanFileError(
        f"{path} was made against another connection than this run's ({what}); nothing "
        "was applied: plan again against this one"
    )


def narrow(fresh: Plan, saved: Plan, live: Org) -> Plan:
    """The rows of ``fresh`` (a plan made now, not yet safety-checked) that ``saved``
    approves, each the fresh row itself (once), never the file's.

    A planned row of the file whose resource changed since is refused as stale; one
    that ``fresh`` does not hold, or holds differently, is refused as such. A
    membership row may name fewer members than the fresh one (only those go ahead).
    Rows the file does not hold are left out; its non-planned rows stay non-planned.
    Counts (managed, unmanaged) and warnings are today's, from ``fresh``.
    """
    index = _Live(live)
    offered = {_identity(c): c for c in fresh.changes}
    changes: list[Change] = []
    taken: set[Identity] = set()
    for row in saved.changes:
        approved = _approved(row, offered, index)
        if approved.executable:
            if _identity(approved) in taken:
                approved = row.with_status(Status.REFUSED, "the plan file holds this change twice")
            taken.add(_identity(approved))
        changes.append(approved)
    return Plan.build(
        fresh.target,
        changes,
        desired_digest=saved.desired_digest,
        unmanaged=fresh.unmanaged,
        warnings=fresh.warnings,
        managed=fresh.managed,
    )


Identity = tuple[Kind, Action, str | None, str | None]


def _identity(change: Change) -> Identity:
    return (change.kind, change.action, change.key, change.id)


def _approved(row: Change, offered: Mapping[Identity, Change], live: _Live) -> Change:
    if row.status is not Status.PLANNED:
        return row
    checked = _fresh(row, live)
    if checked.status is not Status.PLANNED:
        return checked
    now = offered.get(_identity(row))
    if now is None:
        return row.with_status(
            Status.REFUSED,
            "a plan made now would not make this change (the policy, the options such as "
            "--adopt, the server or the plan file differ): plan again",
        )
    if now.status is not Status.PLANNED:
        return now
    if not _same(row, now):
        return row.with_status(
            Status.REFUSED,
            "a plan made now would make this change differently (the server or the plan "
            "file differ): plan again",
        )
    if row.action in MEMBERSHIP:
        chosen = set(row.members)
        return replace(now, members=tuple(m for m in now.members if m in chosen))
    return now


def _same(row: Change, now: Change) -> bool:
    """Whether the file's row asks for what the fresh row does (members: a subset)."""
    return (
        row.name == now.name
        and row.external_id == now.external_id
        and row.attributes == now.attributes
        and set(row.members) <= set(now.members)
        and bool(row.members) == bool(now.members)
    )


class _Live:
    """Today's live resources by id and by name."""

    def __init__(self, live: Org) -> None:
        self.users = {u.id: u for u in live.users}
        self.groups = {g.id: g for g in live.groups}
        self.user_names = {user_key(u.user_name): u for u in live.users}
        self.group_names = {group_key(g.display_name): g for g in live.groups}

    def by_id(self, change: Change) -> User | Group | None:
        found = self.users if change.kind is Kind.USER else self.groups
        return found.get(change.id)

    def by_name(self, change: Change) -> User | Group | None:
        if change.kind is Kind.USER:
            return self.user_names.get(user_key(change.name))
        return self.group_names.get(group_key(change.name))


def _fresh(change: Change, live: _Live) -> Change:
    if change.status is not Status.PLANNED:
        return change
    if change.id is None:
        taken = live.by_name(change)
        if taken is None:
            return change
        return change.with_status(
            Status.REFUSED, f"stale: a {change.kind} named {change.name!r} exists now"
        )
    now = live.by_id(change)
    if now is None:
        return change.with_status(Status.REFUSED, "stale: it was deleted since the plan")
    if fingerprint(now) == change.fingerprint:
        return change
    what = ", ".join(_differences(change.before or {}, snapshot(now))) or "its content"
    return change.with_status(Status.REFUSED, f"stale: changed since the plan ({what})")


def _differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> Iterator[str]:
    """Human names of the top-level attributes that differ (deepdiff finds them)."""
    from deepdiff import DeepDiff  # here: importing it costs 0.1 s and 20 MB, seldom needed

    delta = DeepDiff(dict(before), dict(after), ignore_order=True, view="tree")
    seen: set[str] = set()
    for level in (item for items in delta.values() for item in items):
        path = level.path(output_format="list")
        name = str(path[0]) if path else "?"
        if name not in seen:
            seen.add(name)
            yield name
