"""Notes beside a plan's rows: what the rows alone do not tell a reviewer.

A group's stable key is its explicit ``externalId``, else its folded ``displayName``. So
a group renamed in the YAML without an ``externalId`` gets a new key, and the plan
deletes the old group and creates another: a new group on the server, without what the
server attached to the old one (on AWS IAM Identity Center, its account assignments).
``rename_hints`` finds such a delete and create by their members and says, on both rows,
that it looks like a rename and which ``externalId`` keeps the group.

``deletion_notes`` puts a profile's word on what deleting a group takes with it (AWS: its
account assignments) beside every group deletion.

Pure functions from a ``Plan`` to a ``Plan``; the renderers show ``Change.notes``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace

import yaml

from reconciler.plan.model import Action, Change, Kind, Member, Plan

Token = tuple[str, str]
"""How a member is told apart: its live id, else (a user this plan creates) its key."""


def rename_hints(plan: Plan) -> Plan:
    """``plan`` with a note on each deleted group and on the created group that looks like
    its rename: they share at least one member, and the members they share are at least
    half of each group's members. Each group is paired at most once, the pairs sharing
    the most members first."""
    notes: dict[int, str] = {}
    for old, new, shared in _renames(plan.changes):
        deleted, created = plan.changes[old], plan.changes[new]
        keep = f"set `externalId: {yaml_scalar(deleted.key or '')}` on the new entry"
        counted = f"{shared} of its {len(deleted.members)} members"
        notes[old] = (
            f"looks like a rename to {created.name!r} ({counted} are in that group): to keep "
            f"this group instead of deleting it, {keep}"
        )
        notes[new] = (
            f"looks like a rename of {deleted.name!r}, which this plan deletes ({counted} are "
            f"in this group): to keep that group instead, {keep}"
        )
    if not notes:
        return plan
    changes = tuple(
        replace(c, notes=(*c.notes, notes[i])) if i in notes else c
        for i, c in enumerate(plan.changes)
    )
    return replace(plan, changes=changes)


def deletion_notes(plan: Plan, note: str | None) -> Plan:
    """``plan`` with ``note`` (a profile's ``group_delete_note``) beside every group deletion."""
    if not note or not any(_deletes_group(c) for c in plan.changes):
        return plan
    changes = tuple(
        replace(c, notes=(*c.notes, note)) if _deletes_group(c) else c for c in plan.changes
    )
    return replace(plan, changes=changes)


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML value that reads back as this very string: plain when it can
    be, else double-quoted (``#ops``, ``123``, ``true`` and ``a: b`` would not)."""
    try:
        plain = yaml.safe_load(f"k: {text}") == {"k": text}
    except yaml.YAMLError:
        plain = False
    return text if plain and text.strip() == text else json.dumps(text, ensure_ascii=False)


def _deletes_group(change: Change) -> bool:
    return change.kind is Kind.GROUP and change.action is Action.DELETE


def _renames(changes: Sequence[Change]) -> Iterator[tuple[int, int, int]]:
    """(index of a delete row, index of a create row, members shared) for each pair."""
    deleted = [
        (i, {_token(m) for m in c.members})
        for i, c in enumerate(changes)
        if _deletes_group(c) and c.key and c.members
    ]
    created = _created_members(changes) if deleted else {}
    owners: dict[Token, list[int]] = {}
    for new, members in created.items():
        for token in members:
            owners.setdefault(token, []).append(new)
    pairs = []
    for old, members in deleted:
        shared = Counter(new for token in members for new in owners.get(token, ()))
        for new, count in shared.items():
            if 2 * count >= max(len(members), len(created[new])):
                gap = abs(len(members) - len(created[new]))
                pairs.append((-count, gap, changes[old].name, changes[new].name, old, new))
    taken: set[int] = set()
    for negative, _, _, _, old, new in sorted(pairs):
        if old not in taken and new not in taken:
            taken |= {old, new}
            yield old, new, -negative


def _created_members(changes: Sequence[Change]) -> dict[int, set[Token]]:
    """Index of each group create row → its desired members (from its add-members row)."""
    creates: dict[str | None, int] = {
        c.key: i
        for i, c in enumerate(changes)
        if c.kind is Kind.GROUP and c.action is Action.CREATE and c.key
    }
    members: dict[int, set[Token]] = {}
    for change in changes:
        new = creates.get(change.key) if change.action is Action.ADD_MEMBERS else None
        if new is not None and change.kind is Kind.GROUP and change.id is None:
            members.setdefault(new, set()).update(_token(m) for m in change.members)
    return members


def _token(member: Member) -> Token:
    return ("id", member.id) if member.id else ("key", member.key)
