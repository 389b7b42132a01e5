"""The canonical, immutable users, groups and orgs that both sides become.

Desired state (YAML) and live state (SCIM JSON) are each turned into these types
right after they are read and checked; everything downstream (diff, safety,
rendering) compares only these.

A user's managed attributes are kept *flat*: one entry per SCIM attribute path
(``"name.givenName"``, ``"emails"``, ``"enterprise.department"``), holding a
canonical value. Only the paths written in YAML are compared, so an attribute the
YAML leaves out is never diffed or cleared. Multi-valued attributes (``emails``,
``phoneNumbers`` …) are canonical tuples of sorted items, so they compare as sets
with their ``primary`` flags.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from reconciler.identity import key_of_name

MULTI_VALUED = ("emails", "phoneNumbers", "addresses", "roles")
"""The multi-valued user attributes the desired state may hold."""

ENTERPRISE_PREFIX = "enterprise."
"""Flat paths under the enterprise extension start with this."""
MANAGER = ENTERPRISE_PREFIX + "manager"
"""The path of a user's manager (its value: the manager's key in a plan, its id on the wire)."""

Value = Any
"""A canonical attribute value: str, bool, or a tuple of canonical items."""

Item = tuple[tuple[str, Any], ...]
"""One value of a multi-valued attribute, as sorted (sub-attribute, value) pairs."""


SUB_ATTRIBUTES = frozenset(
    {
        "value",
        "type",
        "primary",
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
    }
)
"""The sub-attributes of multi-valued entries that are compared (not ``display``, ``$ref``)."""


def canonical_item(item: Mapping[str, Any]) -> Item:
    """Canonical form of one multi-valued entry: no ``primary: false``, no empties."""
    values = item.values()
    if (
        item.keys() <= SUB_ATTRIBUTES
        and None not in values
        and "" not in values
        and item.get("primary") is not False
    ):  # the usual case, decided in C
        return tuple(sorted(item.items()))
    pairs = [
        (key, value)
        for key, value in item.items()
        if key in SUB_ATTRIBUTES
        and value is not None
        and value != ""
        and (value is not False or key != "primary")
    ]
    pairs.sort()
    return tuple(pairs)


def canonical_multi(items: Iterable[Mapping[str, Any]]) -> tuple[Item, ...]:
    """Canonical form of a multi-valued attribute: a sorted tuple of unique items."""
    if type(items) is list and len(items) == 1:  # the usual case: no set, no sort
        only = canonical_item(items[0])
        hash(only)  # an unhashable value fails here as it would in the set
        return (only,)
    return tuple(sorted({canonical_item(item) for item in items}))


def item_dict(item: Item) -> dict[str, Any]:
    """The mapping form of a canonical multi-valued entry."""
    return dict(item)


def plain(value: Value) -> Any:
    """The JSON-able form of a canonical value (multi-valued tuples become lists of dicts)."""
    if isinstance(value, tuple):
        return [item_dict(item) for item in value]
    return value


def user_key(user_name: str) -> str:
    """The stable key a user gets from its userName (``identity`` decides how)."""
    return key_of_name(user_name)


def group_key(display_name: str) -> str:
    """The stable key a group gets from its displayName (``identity`` decides how)."""
    return key_of_name(display_name)


NOTHING: Mapping[str, Any] = MappingProxyType({})
"""An empty mapping that can be shared (it cannot be changed)."""


class User(NamedTuple):
    """A user, desired or live.

    ``key`` is the stable identity: for a desired user its explicit ``externalId``
    or its userName folded; for a live user the key its ownership marker names,
    or ``None`` when the user is unmanaged. ``id`` is the server's id, ``version``
    its ETag and ``last_modified`` its ``meta.lastModified`` (live only).

    Users and groups are named tuples rather than frozen dataclasses: 100,000 of
    each side are built per plan, and a frozen dataclass takes three times as long
    to build (see bench/diffcost.py). Change one with ``_replace``.
    """

    user_name: str
    key: str | None
    attrs: Mapping[str, Value] = NOTHING
    id: str | None = None
    external_id: str | None = None
    version: str | None = None
    last_modified: str | None = None
    custom: Mapping[str, Any] = NOTHING
    """Desired only: free fields (``attributes:``) that a target's mapping may send."""
    defaults: frozenset[str] = frozenset()
    """Desired only: the paths of ``attrs`` the desired state filled in rather than the
    YAML writing them (``displayName`` from the names). A server that does not keep
    one is not asked for it again (``plan.diff``)."""

    @property
    def active(self) -> bool:
        return bool(self.attrs.get("active", True))

    @property
    def managed(self) -> bool:
        return self.key is not None


def with_attrs(user: User, attrs: Mapping[str, Value]) -> User:
    """``user`` holding ``attrs`` (as ``_replace`` would, five times faster)."""
    return User(
        user.user_name,
        user.key,
        attrs,
        user.id,
        user.external_id,
        user.version,
        user.last_modified,
        user.custom,
        user.defaults,
    )


class Group(NamedTuple):
    """A group, desired or live (a named tuple, as ``User`` is).

    Desired ``members`` are user keys; live ``members`` are user ids. The diff
    translates between the two through the live users.
    """

    display_name: str
    key: str | None
    members: frozenset[str] = frozenset()
    membership: str = "authoritative"
    id: str | None = None
    external_id: str | None = None
    version: str | None = None
    until: Mapping[str, str] = NOTHING
    """Desired only: member key → when its membership ends, as the YAML writes it
    (``reconciler.temporary``); a member without an entry has no end."""

    @property
    def managed(self) -> bool:
        return self.key is not None


@dataclass(frozen=True, slots=True)
class Org:
    """All users and groups of one side."""

    users: tuple[User, ...] = ()
    groups: tuple[Group, ...] = ()


SIMPLE_USER_ATTRIBUTES = (
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
)
"""Single-valued core User attributes, kept under their own name."""

ENTERPRISE_ATTRIBUTES = (
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
)


def flat_attributes(
    core: Mapping[str, Any], enterprise: Mapping[str, Any], manager: str | None = None
) -> dict[str, Value]:
    """Flatten a user's core attributes and enterprise extension into canonical paths.

    ``manager`` is the manager's stable key, which ``enterprise["manager"]`` (if any)
    names in its own way. Both the desired side (YAML) and the live side (SCIM JSON)
    go through here, so they are canonical in the same way. ``active`` defaults to
    true on both sides. Called once per user on each side: written for speed (see
    bench/diffcost.py).
    """
    attrs: dict[str, Value] = {"active": True}
    get = core.get
    for name in SIMPLE_USER_ATTRIBUTES:
        value = get(name)
        if value is not None:
            attrs[name] = value
    for sub, value in (get("name") or {}).items():
        if value is not None:
            attrs[_NAME_PATHS.get(sub) or f"name.{sub}"] = value
    for name in MULTI_VALUED:
        values = get(name)
        if values is not None:
            attrs[name] = canonical_multi(values)
    for sub, value in enterprise.items():
        if value is not None:
            attrs[_ENTERPRISE_PATHS.get(sub) or ENTERPRISE_PREFIX + sub] = value
    if manager is not None:
        attrs[_ENTERPRISE_PATHS["manager"]] = manager
    return attrs


NAME_ATTRIBUTES = (
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
)
_NAME_PATHS = {sub: "name." + sub for sub in NAME_ATTRIBUTES}
_ENTERPRISE_PATHS = {sub: ENTERPRISE_PREFIX + sub for sub in ENTERPRISE_ATTRIBUTES}
"""Flat paths built once, not once per user."""


def snapshot(resource: User | Group) -> dict[str, Any]:
    """Everything we read of a live resource, as plain JSON-able data."""
    if isinstance(resource, User):
        attrs = {path: plain(value) for path, value in resource.attrs.items()}
        return {"userName": resource.user_name, "externalId": resource.external_id, **attrs}
    return {
        "displayName": resource.display_name,
        "externalId": resource.external_id,
        "members": sorted(resource.members),
    }


def fingerprint(resource: User | Group) -> str:
    """A digest of a live resource as read, so a saved plan can tell it changed since."""
    text = json.dumps(snapshot(resource), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
