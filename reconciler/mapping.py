"""Per-target attribute mapping and scope: one desired state, servers of different shapes.

``mapping`` maps a target attribute (a flat path such as ``displayName``,
``name.givenName``, ``enterprise.costCenter`` or ``userName``) to a template of
desired-state fields, or to ``null`` to leave that attribute unmanaged on the
target::

    mapping:
      userName: "{emails.primary}"
      displayName: "{name.givenName} {name.familyName}"
      enterprise.costCenter: "{attributes.costCenter}"
      title: null

Template fields are the user's flat attributes (``title``, ``name.givenName``,
``enterprise.department`` …), ``userName``, ``emails.primary`` (the primary, else
the first, email) and ``attributes.NAME`` (the free ``attributes:`` of a user).
A user lacking a field a template needs does not get that attribute.

``scope: {groups: [...]}`` sends only those groups, and only their members, to
the target; the others are not desired there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

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
    Value,
    canonical_multi,
    item_dict,
)

FIELD = re.compile(r"\{([^{}]*)\}")
TARGETS = frozenset(
    {
        "userName",
        *(a for a in SIMPLE_USER_ATTRIBUTES if a != "active"),
        *(f"name.{p}" for p in NAME_ATTRIBUTES),
        *(ENTERPRISE_PREFIX + a for a in ENTERPRISE_ATTRIBUTES if a != "manager"),
    }
)
"""The attributes a mapping may set: single-valued strings."""

SOURCES = TARGETS | {"emails.primary"}

UNMANAGED_PARTS = frozenset(
    f"{attribute}.{part}" for attribute in MULTI_VALUED for part in ("type", "primary", "display")
)
"""Sub-attributes of multi-valued attributes a mapping may leave unmanaged (``null`` only):
a server that keeps no email ``type`` (django-scim2) is never asked for one again."""


@dataclass(frozen=True)
class AttributeMapping:
    """A validated mapping: target attribute → template (None: not managed there)."""

    rules: Mapping[str, str | None]

    def apply(self, user: User) -> User:
        if not self.rules:
            return user
        fields = _fields(user)
        attrs = dict(user.attrs)
        user_name = user.user_name
        for target, template in self.rules.items():
            if target in UNMANAGED_PARTS:
                _drop_part(attrs, target)
                continue
            value = _render(template, fields) if template is not None else None
            if target == "userName":
                user_name = value or user_name
            elif value is None:
                attrs.pop(target, None)
            else:
                attrs[target] = value
        written = user.defaults.intersection(self.rules)
        defaults = user.defaults - written if written else user.defaults
        return user._replace(user_name=user_name, attrs=attrs, defaults=defaults)


def unmanaging_line(path: str, target: str) -> str:
    """The targets.yaml line that stops managing ``path`` on ``target``."""
    return f"`mapping: {{{path}: null}}` under `targets: {target}:` in targets.yaml"


def _drop_part(attrs: dict[str, Value], target: str) -> None:
    """Take sub-attribute ``target`` (``emails.type``) out of every value of its attribute."""
    attribute, _, part = target.partition(".")
    values = attrs.get(attribute)
    if isinstance(values, tuple):
        attrs[attribute] = canonical_multi(
            {k: v for k, v in item_dict(item).items() if k != part} for item in values
        )


def mapping_problems(rules: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(target attribute, message) for each rule that cannot work."""
    for target, template in rules.items():
        if target in UNMANAGED_PARTS:
            if template is not None:
                yield target, f"mapping: {target} can only be null (not managed on the target)"
            continue
        if target not in TARGETS:
            yield target, f"mapping: {target!r} is not an attribute a mapping can set"
            continue
        if template is None:
            if target == "userName":
                yield target, "mapping: userName cannot be unmanaged"
            continue
        for name in FIELD.findall(str(template)):
            if name not in SOURCES and not name.startswith("attributes."):
                yield target, f"mapping: {target}: unknown field {{{name}}} in {template!r}"


def _fields(user: User) -> dict[str, str]:
    fields = {path: str(v) for path, v in user.attrs.items() if isinstance(v, str | int)}
    fields["userName"] = user.user_name
    primary = _primary_email(user.attrs.get("emails"))
    if primary:
        fields["emails.primary"] = primary
    fields.update({f"attributes.{k}": str(v) for k, v in user.custom.items()})
    return fields


def _primary_email(emails: Value) -> str | None:
    items = [item_dict(i) for i in emails] if isinstance(emails, tuple) else []
    chosen = next((i for i in items if i.get("primary")), items[0] if items else None)
    return str(chosen["value"]) if chosen else None


def _render(template: str, fields: Mapping[str, str]) -> str | None:
    names = FIELD.findall(template)
    if any(name not in fields for name in names):
        return None
    return FIELD.sub(lambda m: fields[m.group(1)], template)


def scoped(org: Org, groups: frozenset[str] | None) -> Org:
    """Only the groups named (folded) and their members; everything when ``None``."""
    if groups is None:
        return org
    kept: tuple[Group, ...] = tuple(g for g in org.groups if fold(g.display_name) in groups)
    members = {key for g in kept for key in g.members}
    users = tuple(u for u in org.users if u.key in members)
    return Org(users, kept)


def for_target(org: Org, mapping: AttributeMapping, scope: frozenset[str] | None) -> Org:
    """The desired org as one target should see it."""
    narrowed = scoped(org, scope)
    return replace(narrowed, users=tuple(mapping.apply(u) for u in narrowed.users))
