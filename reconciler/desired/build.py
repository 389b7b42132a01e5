"""Turn validated desired-state documents into the canonical model.

Runs once per user and per membership of the desired state, after validation (so
every name is a non-empty string and every reference resolves): written for speed,
see bench/diffcost.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.desired.yamlfile import YamlDocument
from reconciler.model import NOTHING, Group, Org, User, flat_attributes, group_key, user_key


class UserKeys:
    """The stable key of each desired user, by userName (which is case-insensitive)."""

    def __init__(self, names: Sequence[str], keys: Sequence[str]) -> None:
        self.exact = dict(zip(names, keys, strict=True))
        self._folded: dict[str, str] | None = None

    def __getitem__(self, name: str) -> str:
        return self.exact.get(name) or self.folded(name)

    def keys_of(self, names: Iterable[str]) -> list[str]:
        """The keys of ``names``: one look-up each when written exactly as the userName
        (the usual case), a second by the folded name otherwise."""
        exact = self.exact.get
        return [exact(name) or self.folded(name) for name in names]

    def folded(self, name: str) -> str:
        if self._folded is None:
            self._folded = {user_key(name): key for name, key in self.exact.items()}
        return self._folded[user_key(name)]


def build_org(docs: Sequence[YamlDocument]) -> Org:
    """The desired ``Org`` of documents that passed validation."""
    user_data = _items(docs, "users")
    own_keys = [desired_user_key(u) for u in user_data]
    keys = UserKeys([u["userName"] for u in user_data], own_keys)
    users = tuple(build_user(u, key, keys) for u, key in zip(user_data, own_keys, strict=True))
    groups = tuple(build_group(data, keys) for data in _items(docs, "groups"))
    return Org(users=users, groups=groups)


def _items(docs: Sequence[YamlDocument], kind: str) -> list[dict[str, Any]]:
    """Every ``kind`` ("users"/"groups") entry of the documents, in order (the schema
    checked their shape)."""
    return [item for doc in docs for item in doc.data.get(kind) or ()]


def desired_user_key(data: Mapping[str, Any]) -> str:
    """A user's stable key: its explicit externalId, else its folded userName."""
    explicit = data.get("externalId")
    return str(explicit) if explicit else user_key(str(data["userName"]))


def desired_group_key(data: Mapping[str, Any]) -> str:
    explicit = data.get("externalId")
    return str(explicit) if explicit else group_key(str(data["displayName"]))


DEFAULTED_DISPLAY_NAME = frozenset({"displayName"})
"""``User.defaults`` of a user whose displayName the YAML leaves to its names (shared)."""


def build_user(data: Mapping[str, Any], key: str, keys: UserKeys) -> User:
    """The desired user keyed ``key``; its manager is named by the manager's key."""
    core = data
    defaults: frozenset[str] = frozenset()
    if "displayName" not in data:
        name = data.get("name") or NOTHING
        parts = [part for part in (name.get("givenName"), name.get("familyName")) if part]
        if parts:
            core = {**data, "displayName": " ".join(map(str, parts))}
            defaults = DEFAULTED_DISPLAY_NAME
    enterprise = data.get("enterprise") or NOTHING
    manager = enterprise.get("manager")
    return User(
        data["userName"],
        key,
        flat_attributes(core, enterprise, None if manager is None else keys[manager]),
        custom=data.get("attributes") or NOTHING,
        defaults=defaults,
    )


def build_group(data: Mapping[str, Any], keys: UserKeys) -> Group:
    members = data.get("members") or ()
    temporary = [m for m in members if m.__class__ is dict]
    names = [m["user"] if m.__class__ is dict else m for m in members] if temporary else members
    return Group(
        display_name=data["displayName"],
        key=desired_group_key(data),
        members=frozenset(keys.keys_of(names)),
        membership=data.get("membership", "authoritative"),
        until={keys[m["user"]]: m["until"] for m in temporary} if temporary else NOTHING,
    )
