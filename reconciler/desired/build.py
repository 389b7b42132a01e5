"""Turn validated desired-state documents into the canonical model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.desired.semantic import entries
from reconciler.desired.yamlfile import YamlDocument
from reconciler.model import Group, Org, User, flat_attributes, group_key, user_key


def build_org(docs: Sequence[YamlDocument]) -> Org:
    """The desired ``Org`` of documents that passed validation."""
    user_data = [entry.data for entry in entries(docs, "users")]
    keys = {str(u["userName"]).casefold(): desired_user_key(u) for u in user_data}
    users = tuple(build_user(u, keys) for u in user_data)
    groups = tuple(build_group(entry.data, keys) for entry in entries(docs, "groups"))
    return Org(users=users, groups=groups)


def desired_user_key(data: Mapping[str, Any]) -> str:
    """A user's stable key: its explicit externalId, else its folded userName."""
    explicit = data.get("externalId")
    return str(explicit) if explicit else user_key(str(data["userName"]))


def desired_group_key(data: Mapping[str, Any]) -> str:
    explicit = data.get("externalId")
    return str(explicit) if explicit else group_key(str(data["displayName"]))


def build_user(data: Mapping[str, Any], keys: Mapping[str, str]) -> User:
    """A desired user; ``keys`` maps folded userNames to stable keys (for the manager)."""
    core = dict(data)
    name = core.get("name") or {}
    if "displayName" not in core and (name.get("givenName") or name.get("familyName")):
        parts = (name.get("givenName"), name.get("familyName"))
        core["displayName"] = " ".join(str(p) for p in parts if p)
    enterprise = dict(core.get("enterprise") or {})
    if "manager" in enterprise:
        enterprise["manager"] = keys[str(enterprise["manager"]).casefold()]
    return User(
        user_name=str(data["userName"]),
        key=desired_user_key(data),
        attrs=flat_attributes(core, enterprise),
        custom=dict(data.get("attributes") or {}),
    )


def build_group(data: Mapping[str, Any], keys: Mapping[str, str]) -> Group:
    members = frozenset(keys[str(m).casefold()] for m in data.get("members") or ())
    return Group(
        display_name=str(data["displayName"]),
        key=desired_group_key(data),
        members=members,
        membership=str(data.get("membership", "authoritative")),
    )
