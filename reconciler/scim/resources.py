"""SCIM JSON ⇄ the canonical model: parsing live resources and building request bodies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.errors import ProtocolError
from reconciler.model import (
    ENTERPRISE_PREFIX,
    NOTHING,
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
    """A live user in canonical form; a shape we cannot read is a ``ProtocolError``.

    ``keys`` maps user ids to stable keys: the manager becomes its key, or ``id:<id>``
    when ``keys`` does not know it (yet). Called once per listed user: written for speed
    (see bench/diffcost.py).
    """
    user_name = resource.get("userName")
    if not isinstance(user_name, str) or not user_name:
        raise ProtocolError(f"user {_id(resource)} has no userName")
    enterprise = _object(resource.get(ENTERPRISE_SCHEMA), "enterprise extension")
    manager = enterprise.get("manager")
    try:
        attrs = flat_attributes(
            resource, enterprise, None if manager is None else _manager_key(manager, keys)
        )
    except (AttributeError, TypeError) as error:
        raise ProtocolError(f"user {_id(resource)} has attributes of the wrong shape") from error
    external_id = resource.get("externalId")
    version, modified = _version(resource)
    return User(
        shown_name(user_name),
        key_of(external_id, prefix),
        attrs,
        resource["id"],
        external_id,
        version,
        modified,
    )


def _manager_key(manager: Any, keys: Mapping[str, str]) -> str:
    manager_id = manager.get("value") if isinstance(manager, dict) else None
    key = keys.get(manager_id) if isinstance(manager_id, str) else None
    return f"id:{manager_id}" if key is None else key


def parse_group(
    resource: Mapping[str, Any], prefix: str, members: Iterable[str] | None = None
) -> Group:
    """A live group; ``members`` (ids) replaces the resource's own when given."""
    name = resource.get("displayName")
    if not isinstance(name, str) or not name:
        raise ProtocolError(f"group {_id(resource)} has no displayName")
    if members is None:
        members = _member_ids(resource)
    external_id = resource.get("externalId")
    return Group(
        shown_name(name),
        key_of(external_id, prefix),
        frozenset(members),
        id=resource["id"],
        external_id=external_id,
        version=_version(resource)[0],
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
    """The ids of a group's members; members that are not objects with an id are left
    out."""
    members = resource.get("members") or []
    if not isinstance(members, list):
        raise ProtocolError(f"group {resource['id']}: members is not a list")
    try:
        ids = [member["value"] for member in members]
    except (KeyError, TypeError):
        ids = [m.get("value") for m in members if isinstance(m, dict)]
    if set(map(type, ids)) <= {str}:  # the usual case, decided in C
        return ids
    return [i for i in ids if isinstance(i, str)]


def _object(value: Any, what: str) -> Mapping[str, Any]:
    """A JSON object of a resource (``{}`` when absent)."""
    if value is None:
        return NOTHING
    if not isinstance(value, dict):
        raise ProtocolError(f"the {what} of a resource is not an object")
    return value


def _version(resource: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The resource's ``meta.version`` (its ETag) and ``meta.lastModified``."""
    meta = _object(resource.get("meta"), "meta")
    version = meta.get("version")
    modified = meta.get("lastModified")
    return (
        version if isinstance(version, str) else None,
        modified if isinstance(modified, str) else None,
    )


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
