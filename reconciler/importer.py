"""``scimctl import``: desired-state YAML written from what the server has today.

Stable and sorted, so that a plan right after an import of managed resources
reports no changes, and a re-import gives the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import InputError
from reconciler.escaping import printable
from reconciler.identity import fold
from reconciler.model import (
    ENTERPRISE_ATTRIBUTES,
    ENTERPRISE_PREFIX,
    MULTI_VALUED,
    NAME_ATTRIBUTES,
    SIMPLE_USER_ATTRIBUTES,
    Group,
    Org,
    User,
    group_key,
    plain,
    user_key,
)

IMPORTED = frozenset(
    (
        *SIMPLE_USER_ATTRIBUTES,
        *MULTI_VALUED,
        *(f"name.{p}" for p in NAME_ATTRIBUTES),
        *(ENTERPRISE_PREFIX + a for a in ENTERPRISE_ATTRIBUTES),
    )
)
"""The attribute paths the desired-state format holds; anything else a server has is left."""

HEADER = "# Imported by `scimctl import`.\n"
TARGETS_HEADER = (
    "# Written by `scimctl import`: the server it read. Never a token: token_env names the\n"
    "# environment variable that holds it. Add a policy here (see the README).\n"
)
SCHEMA_LINE = "# yaml-language-server: $schema={schema}\n"


@dataclass(frozen=True)
class Selection:
    """Which live resources to import."""

    managed_only: bool = False
    groups: frozenset[str] = frozenset()
    """Folded group names: only these groups and their members (empty: everything)."""


def select(live: Org, selection: Selection) -> Org:
    groups = [g for g in live.groups if not selection.managed_only or g.managed]
    users = [u for u in live.users if not selection.managed_only or u.managed]
    if selection.groups:
        groups = [g for g in groups if fold(g.display_name) in selection.groups]
        members = {m for g in groups for m in g.members}
        users = [u for u in users if u.id in members]
    return Org(tuple(users), tuple(groups))


def _header(schema: str | None) -> str:
    return (SCHEMA_LINE.format(schema=schema) if schema else "") + HEADER


def users_document(org: Org, schema: str | None) -> str:
    names = {u.key: u.user_name for u in org.users if u.key is not None}
    users = [_user(u, names) for u in sorted(org.users, key=lambda u: fold(u.user_name))]
    return _header(schema) + _dump({"users": users})


def groups_document(org: Org, schema: str | None) -> str:
    names = {u.id: u.user_name for u in org.users}
    groups = [_group(g, names) for g in sorted(org.groups, key=lambda g: fold(g.display_name))]
    return _header(schema) + _dump({"groups": groups})


def _user(user: User, names: Mapping[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"userName": user.user_name}
    if user.key is not None and user.key != user_key(user.user_name):
        entry["externalId"] = user.key
    for path, value in sorted(user.attrs.items()):
        if path not in IMPORTED or (path == "active" and value is True):
            continue
        if path == ENTERPRISE_PREFIX + "manager":
            value = names.get(str(value))
            if value is None:
                continue
        _put(entry, path, plain(value))
    return entry


def _put(entry: dict[str, Any], path: str, value: Any) -> None:
    if path.startswith(ENTERPRISE_PREFIX):
        entry.setdefault("enterprise", {})[path[len(ENTERPRISE_PREFIX) :]] = value
    elif "." in path:
        head, sub = path.split(".", 1)
        entry.setdefault(head, {})[sub] = value
    else:
        entry[path] = value


def _group(group: Group, names: Mapping[str | None, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"displayName": group.display_name}
    if group.key is not None and group.key != group_key(group.display_name):
        entry["externalId"] = group.key
    members = sorted((names[m] for m in group.members if m in names), key=fold)
    if members:
        entry["members"] = members
    return entry


def _dump(data: Mapping[str, Iterable[Any]]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)


@dataclass(frozen=True)
class TargetEntry:
    """What import writes to targets.yaml about the server it read (never the token)."""

    name: str
    url: str
    token_env: str
    profile: str
    ca_bundle: str | None = None
    scope: tuple[str, ...] = ()
    """The groups imported with ``--group``: the target's scope, so that a plan of what
    was written leaves the rest of the server alone."""


def targets_document(entry: TargetEntry, schema: str | None) -> str:
    body: dict[str, Any] = {"url": entry.url, "token_env": entry.token_env}
    body["profile"] = entry.profile
    if entry.ca_bundle:
        body["ca_bundle"] = entry.ca_bundle
    if entry.scope:
        body["scope"] = {"groups": list(entry.scope)}
    head = SCHEMA_LINE.format(schema=schema) if schema else ""
    return head + TARGETS_HEADER + _dump({"targets": {entry.name: body}})


def refuse_unsafe_output(path: Path, overwrite: bool) -> None:
    """Refuse an output path that is a link (even a dangling one), or that exists
    without ``overwrite``."""
    shown = printable(str(path))
    if path.is_symlink():
        raise InputError(
            f"{shown} is a symbolic link: import never writes through a link; "
            "remove it or choose another --out"
        )
    if path.exists() and not overwrite:
        raise InputError(f"{shown} exists: pass --force to overwrite it")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a new file beside ``path``, then rename it onto ``path``.

    The rename replaces a directory entry, so nothing is ever written through a link
    planted at ``path``, and a reader never sees half a file.
    """
    descriptor, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
