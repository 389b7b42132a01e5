"""SCIM JSON ⇄ the canonical model: parsing live resources and building request bodies.

A live resource is read exactly, or not at all. Every attribute the model reads has one
JSON type: strings are strings, ``active`` and ``primary`` are true or false, ``name``,
the enterprise extension, its ``manager`` and ``meta`` are objects, multi-valued
attributes (and a group's ``members``) are lists of objects; ``null`` is an absent
value. A value of another type (``"active": "false"``, a number, ``NaN``) is a
``ProtocolError`` naming the resource and the attribute, never a guess: ``"false"``
would count as active, and ``NaN`` would make the JSON plan invalid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from reconciler.errors import ProtocolError
from reconciler.model import (
    ENTERPRISE_PREFIX,
    MULTI_VALUED,
    NOTHING,
    SIMPLE_USER_ATTRIBUTES,
    SUB_ATTRIBUTES,
    Group,
    User,
    Value,
    flat_attributes,
    item_dict,
)
from reconciler.scim.httperrors import clean_text

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def key_of(external_id: Any, prefix: str) -> str | None:
    """The stable key our marker names, or None for a resource we do not manage."""
    if isinstance(external_id, str) and external_id.startswith(prefix):
        return external_id[len(prefix) :] or None
    return None


def parse_user(resource: Mapping[str, Any], prefix: str, keys: Mapping[str, str]) -> User:
    """A live user in canonical form; a shape we cannot read, or a value of the wrong
    type, is a ``ProtocolError`` naming the attribute.

    ``keys`` maps user ids to stable keys: the manager becomes its key, or ``id:<id>``
    when ``keys`` does not know it (yet). Called once per listed user: written for speed
    (see bench/diffcost.py). The types are checked on what ``flat_attributes`` made, in
    a few C-level passes: strings, one flag (``active``) and multi-valued entries; any
    doubt goes to ``_user_values``, which names what is wrong (or finds a harmless shape,
    such as an entry's ``display`` of another type, which the model does not read).
    """
    get = resource.get
    user_name = get("userName")
    if not user_name:
        raise ProtocolError(f"user {_id(resource)} has no userName")
    enterprise = get(ENTERPRISE_SCHEMA)
    manager = enterprise.get("manager") if type(enterprise) is dict else None
    meta = get("meta")
    external_id = get("externalId")
    try:
        attrs = flat_attributes(
            resource,
            enterprise or NOTHING,
            None if manager is None else _manager_key(manager, keys),
        )
        version = (meta or NOTHING).get("version")
        modified = (meta or NOTHING).get("lastModified")
        user = User(
            shown_name(user_name),
            key_of(external_id, prefix),
            attrs,
            resource["id"],
            external_id,
            version,
            modified,
        )
    except (AttributeError, TypeError, KeyError):
        wrong = _wrong(_user_values(resource)) or "its attributes are of the wrong shape"
        raise _unreadable("user", resource, wrong) from None
    kinds = list(map(type, attrs.values()))
    tuples = kinds.count(tuple)
    if not (
        type(attrs["active"]) is bool  # and every other value a string or entries (tuples)
        and kinds.count(str) + tuples == len(kinds) - 1
        and type(user.id) is str
        and type(external_id) in _TEXT
        and type(version) in _TEXT
        and type(modified) in _TEXT
        and type(meta) in _OBJECT
        and type(enterprise) in _OBJECT
        and type(get("name")) in _OBJECT
        and (manager is None or (type(manager) is dict and type(manager.get("value")) in _TEXT))
        and (not tuples or _entries_typed(get, tuples))
    ) and (wrong := _wrong(_user_values(resource))):
        raise _unreadable("user", resource, wrong)
    return user


def _manager_key(manager: Any, keys: Mapping[str, str]) -> str:
    manager_id = manager.get("value") if isinstance(manager, dict) else None
    key = keys.get(manager_id) if isinstance(manager_id, str) else None
    return f"id:{manager_id}" if key is None else key


def parse_group(
    resource: Mapping[str, Any], prefix: str, members: Iterable[str] | None = None
) -> Group:
    """A live group; ``members`` (ids) replaces the resource's own when given."""
    if not resource.get("displayName"):
        raise ProtocolError(f"group {_id(resource)} has no displayName")
    if not _group_typed(resource) and (wrong := _wrong(_group_values(resource))):
        raise _unreadable("group", resource, wrong)
    name = resource["displayName"]
    if members is None:
        members = _member_ids(resource)
    external_id = resource.get("externalId")
    return Group(
        shown_name(name),
        key_of(external_id, prefix),
        frozenset(members),
        id=resource["id"],
        external_id=external_id,
        version=(resource.get("meta") or NOTHING).get("version"),
    )


def shown_name(name: str) -> str:
    """A live name with the characters no desired name may hold (control characters and
    text-direction marks) written as ``\\uXXXX``: printed raw, a hostile server's name
    could drive the terminal that shows the plan. No desired name can equal the raw
    one, so matching is unchanged; requests use ids, never these names."""
    if name.isprintable():  # every character of _UNSHOWABLE is unprintable
        return name
    return _UNSHOWABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", name)


def _id(resource: Mapping[str, Any]) -> str:
    return clean_text(str(resource.get("id")), 100)


def _member_ids(resource: Mapping[str, Any]) -> list[str]:
    """The ids of a group's members (each an object with a string ``value``: checked
    here, in the one pass that collects them, as a group may have 400,000)."""
    members = resource.get("members") or []
    try:
        ids = [member["value"] for member in members]
    except (KeyError, TypeError):
        ids = []
    if len(ids) == len(members) and set(map(type, ids)) <= {str}:  # the usual case, in C
        return ids
    raise _unreadable("group", resource, _wrong(_member_values(members)))


# --- types: one cheap pass for the usual case, then a walk that names what is wrong -------

Kinds = frozenset[type]
_TEXT: Kinds = frozenset({str, type(None)})
_FLAG: Kinds = frozenset({bool, type(None)})
_OBJECT: Kinds = frozenset({dict, type(None)})
_LIST: Kinds = frozenset({list, type(None)})
_ID: Kinds = frozenset({str})
_ENTRY: Kinds = frozenset({dict})
_EXPECTED = {
    _TEXT: "a string",
    _FLAG: "true or false",
    _OBJECT: "an object",
    _LIST: "a list of objects",
    _ID: "a string",
    _ENTRY: "an object",
}
_USER_TEXTS = ("externalId", *(a for a in SIMPLE_USER_ATTRIBUTES if a != "active"))
_ITEM_TEXTS = tuple(sorted(SUB_ATTRIBUTES - {"primary"}))

Checked = Iterator[tuple[str, Any, Kinds]]
"""Each attribute read, as (where, value, the types it may have)."""


def _entries_typed(get: Callable[[str], Any], present: int) -> bool:
    """Whether the ``present`` multi-valued attributes are lists of entries holding only
    strings and a ``primary`` flag (the usual case: one email; a null in an entry takes
    the walk)."""
    for attribute in MULTI_VALUED:
        values = get(attribute)
        if values is None:
            continue
        if type(values) is not list:
            return False
        present -= 1
        for entry in values:
            primary = entry.get("primary")
            if not (
                (primary is None or primary is True or primary is False)
                and list(map(type, entry.values())).count(str) + (primary is not None) == len(entry)
            ):
                return False
        if not present:
            return True
    return True


def _meta_typed(meta: Any) -> bool:
    return meta is None or (
        type(meta) is dict
        and type(meta.get("version")) in _TEXT
        and type(meta.get("lastModified")) in _TEXT
    )


def _group_typed(resource: Mapping[str, Any]) -> bool:
    """Whether a group is as SCIM types it (its members are checked as they are read)."""
    get = resource.get
    return (
        type(get("id")) is str
        and type(get("displayName")) is str
        and type(get("externalId")) in _TEXT
        and type(get("members")) in _LIST
        and _meta_typed(get("meta"))
    )


def _user_values(resource: Mapping[str, Any]) -> Checked:
    get = resource.get
    yield "id", get("id"), _ID
    yield "userName", get("userName"), _ID
    yield "active", get("active"), _FLAG
    for attribute in _USER_TEXTS:
        yield attribute, get(attribute), _TEXT
    name = get("name")
    yield "name", name, _OBJECT
    if type(name) is dict:
        yield from ((f"name.{sub}", value, _TEXT) for sub, value in name.items())
    for attribute in MULTI_VALUED:
        values = get(attribute)
        yield attribute, values, _LIST
        if type(values) is list:
            for n, item in enumerate(values):
                yield from _item_values(f"{attribute}[{n}]", item)
    yield from _extension_values(get(ENTERPRISE_SCHEMA))
    yield from _meta_values(get("meta"))


def _item_values(where: str, item: Any) -> Checked:
    yield where, item, _ENTRY
    if type(item) is dict:
        yield f"{where}.primary", item.get("primary"), _FLAG
        yield from ((f"{where}.{sub}", item.get(sub), _TEXT) for sub in _ITEM_TEXTS)


def _extension_values(enterprise: Any) -> Checked:
    yield "the enterprise extension", enterprise, _OBJECT
    if type(enterprise) is not dict:
        return
    for sub, value in enterprise.items():
        if sub != "manager":
            yield f"{ENTERPRISE_PREFIX}{sub}", value, _TEXT
            continue
        yield f"{ENTERPRISE_PREFIX}manager", value, _OBJECT
        if type(value) is dict:
            yield f"{ENTERPRISE_PREFIX}manager.value", value.get("value"), _TEXT


def _meta_values(meta: Any) -> Checked:
    yield "meta", meta, _OBJECT
    if type(meta) is dict:
        yield "meta.version", meta.get("version"), _TEXT
        yield "meta.lastModified", meta.get("lastModified"), _TEXT


def _group_values(resource: Mapping[str, Any]) -> Checked:
    get = resource.get
    yield "id", get("id"), _ID
    yield "displayName", get("displayName"), _ID
    yield "externalId", get("externalId"), _TEXT
    yield "members", get("members"), _LIST
    yield from _meta_values(get("meta"))


def _member_values(members: list[Any]) -> Checked:
    for n, member in enumerate(members):
        yield f"members[{n}]", member, _ENTRY
        if type(member) is dict:
            yield f"members[{n}].value", member.get("value"), _ID


def _wrong(values: Checked) -> str:
    """What is wrong with the first value of the wrong type ("" when none is)."""
    for where, value, kinds in values:
        if type(value) not in kinds:
            return f"{where} is {_described(value)}, where SCIM has {_EXPECTED[kinds]}"
    return ""


def _unreadable(kind: str, resource: Mapping[str, Any], wrong: str) -> ProtocolError:
    return ProtocolError(
        f"{kind} {_id(resource)} cannot be read: {wrong}; nothing is guessed (fix it on the server)"
    )


def _described(value: Any) -> str:
    """A JSON value as a message may quote it (short, printable; NaN named as such)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        return f"the string {clean_text(json.dumps(value, ensure_ascii=False), 60)}"
    if isinstance(value, int | float):
        return f"the number {clean_text(json.dumps(value), 40)}"
    return "a list" if isinstance(value, list) else "an object"


# --- request bodies ----------------------------------------------------------------------


def scim_value(path: str, value: Value, manager_id: str | None = None) -> Any:
    """The JSON value sent for one flat attribute."""
    if path == ENTERPRISE_PREFIX + "manager":
        return {"value": manager_id}
    if isinstance(value, tuple):
        return [item_dict(item) for item in value]
    return value


def user_body(
    user_name: str, external_id: str | None, attrs: Mapping[str, Value], manager_id: str | None
) -> dict[str, Any]:
    """The body of a POST /Users.

    ``active`` is always sent (true unless the YAML says false): the desired state's
    default, which some servers require on create (GitHub EMU marks it required).
    """
    body: dict[str, Any] = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True}
    if external_id is not None:
        body["externalId"] = external_id
    for path, value in attrs.items():
        if path == ENTERPRISE_PREFIX + "manager" and manager_id is None:
            continue
        _put(body, path, scim_value(path, value, manager_id))
    if ENTERPRISE_SCHEMA in body:
        body["schemas"] = [USER_SCHEMA, ENTERPRISE_SCHEMA]
    return body


def _put(body: dict[str, Any], path: str, value: Any) -> None:
    if path.startswith(ENTERPRISE_PREFIX):
        body.setdefault(ENTERPRISE_SCHEMA, {})[path[len(ENTERPRISE_PREFIX) :]] = value
    elif "." in path:
        head, sub = path.split(".", 1)
        body.setdefault(head, {})[sub] = value
    else:
        body[path] = value


def patch_path(path: str) -> str:
    """The SCIM PATCH path of a flat attribute path."""
    if path.startswith(ENTERPRISE_PREFIX):
        return f"{ENTERPRISE_SCHEMA}:{path[len(ENTERPRISE_PREFIX) :]}"
    return path


def patch_body(operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": operations}


def replace_op(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": patch_path(path), "value": value}


def group_body(display_name: str, external_id: str | None, member_ids: list[str]) -> dict[str, Any]:
    """The body of a POST /Groups."""
    body: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "displayName": display_name}
    if external_id is not None:
        body["externalId"] = external_id
    if member_ids:
        body["members"] = [{"value": i} for i in member_ids]
    return body
