"""The write rules AWS IAM Identity Center documents, as checks on JSON request bodies.

Each check raises a ``scim2_models`` exception, which scim2-server renders as a SCIM
error (400 unless noted). SCIM attribute names are case-insensitive, so every lookup
here is too. The checks are pure: what needs the store (uniqueness of a group's
displayName, the state a PATCH leaves a user in) is done by :mod:`.aws`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from scim2_models import (
    InvalidFilterException,
    InvalidPathException,
    InvalidValueException,
    MutabilityException,
)

MAX_MEMBER_CHANGES = 100
USER_REQUIRED = (("userName",), ("displayName",), ("name", "givenName"), ("name", "familyName"))
USER_SINGLE_VALUED = ("emails", "addresses", "phoneNumbers", "roles")
USER_UNSUPPORTED = frozenset(
    name.casefold() for name in ("password", "ims", "photos", "entitlements", "x509Certificates")
)
USER_NOT_REMOVABLE = frozenset({"username", "active"})
USER_ONE_OPERATION = USER_NOT_REMOVABLE
# PatchUser: "Modification is only allowed for the userName, active, externalId, ...,
# name, enterprise, emails, addresses, and phoneNumbers attributes" (not roles).
USER_PATCHABLE = frozenset(
    name.casefold()
    for name in (
        "userName", "active", "externalId", "displayName", "nickName", "profileUrl", "title",
        "userType", "preferredLanguage", "locale", "timezone", "name", "enterprise", "emails",
        "addresses", "phoneNumbers",
    )
)  # fmt: skip
USER_NO_DISPLAY = ("emails", "addresses", "phoneNumbers")
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_PATCHABLE = frozenset({"displayname", "members", "externalid"})
# CreateUser: userName "can contain letters, accented characters, symbols, numbers,
# punctuation"; PutUser and the addresses rule add "space (normal and nonbreaking)".
_TEXT_CATEGORIES = ("L", "M", "S", "N", "P")
_SPACES = frozenset({" ", "\u00a0"})
_EQ_CLAUSE = r'[A-Za-z][\w.]*\s+eq\s+"(?:[^"\\]|\\.)*"'
_EQ_ONLY = re.compile(rf"\s*{_EQ_CLAUSE}(?:\s+and\s+{_EQ_CLAUSE})*\s*", re.IGNORECASE)


def lookup(body: Mapping[str, Any], name: str) -> Any:
    """Return ``body[name]`` whatever the case of the key, or None."""
    folded = name.casefold()
    return next((value for key, value in body.items() if key.casefold() == folded), None)


def operations_of(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The PATCH operations of a body; malformed ones are left for scim2-server to refuse."""
    operations = lookup(body, "Operations")
    if not isinstance(operations, list):
        return []
    return [op for op in operations if isinstance(op, Mapping)]


# -- Users ----------------------------------------------------------------------------


def check_user(body: Mapping[str, Any]) -> None:
    """Check a user as POST or PUT sends it, or as a PATCH would leave it."""
    refuse_unsupported_user_attributes(body.keys())
    for path in USER_REQUIRED:
        if not _present(body, path):
            raise InvalidValueException(detail=f"{'.'.join(path)} is required")
    for name in USER_SINGLE_VALUED:
        values = lookup(body, name)
        if isinstance(values, list) and len(values) > 1:
            raise InvalidValueException(detail=f"{name} accepts a single value")
    _check_primary_email(lookup(body, "emails"))
    _refuse_display_sub_attributes(body)
    _check_addresses(lookup(body, "addresses"))


def check_user_name(name: Any, *, spaces: bool) -> None:
    """A userName of letters, accented characters, symbols, numbers and punctuation.

    CreateUser lists no space; PutUser adds "space (normal and nonbreaking)", so
    ``spaces`` is true for PUT only (a PATCH gets the stricter CreateUser rule).
    """
    if isinstance(name, str) and not _is_text(name, spaces=spaces):
        allowed = "letters, accents, symbols, numbers, punctuation" + (" and spaces" * spaces)
        raise InvalidValueException(detail=f"userName may only hold {allowed}")


def primary_email(body: Mapping[str, Any]) -> str | None:
    """The user's primary email value, folded for comparison, if it has one."""
    emails = lookup(body, "emails")
    for email in emails if isinstance(emails, list) else []:
        value = lookup(email, "value") if isinstance(email, Mapping) else None
        if isinstance(value, str) and lookup(email, "primary") is True:
            return value.casefold()
    return None


def _is_text(text: str, *, spaces: bool) -> bool:
    def allowed(char: str) -> bool:
        return unicodedata.category(char)[0] in _TEXT_CATEGORIES or (spaces and char in _SPACES)

    return all(allowed(char) for char in text)


def _refuse_display_sub_attributes(body: Mapping[str, Any]) -> None:
    """No ``display`` in emails, addresses, phoneNumbers; no ``manager.displayName``."""
    for name in USER_NO_DISPLAY:
        values = lookup(body, name)
        for value in values if isinstance(values, list) else []:
            if isinstance(value, Mapping) and lookup(value, "display") is not None:
                raise InvalidValueException(
                    detail=f"the display sub-attribute of {name} is not supported"
                )
    extension = lookup(body, ENTERPRISE_URN)
    manager = lookup(extension, "manager") if isinstance(extension, Mapping) else None
    if isinstance(manager, Mapping) and lookup(manager, "displayName") is not None:
        raise InvalidValueException(
            detail="the displayName sub-attribute of manager is not supported"
        )


def _check_addresses(addresses: Any) -> None:
    """Address parts hold letters, accents, symbols, numbers, punctuation and spaces."""
    for address in addresses if isinstance(addresses, list) else []:
        parts = address.values() if isinstance(address, Mapping) else ()
        for part in parts:
            if isinstance(part, str) and not _is_text(part, spaces=True):
                raise InvalidValueException(
                    detail="addresses may only hold letters, accents, symbols, numbers, "
                    "punctuation and spaces (no line breaks or tabs)"
                )


def refuse_unsupported_user_attributes(names: Iterable[str]) -> None:
    """Refuse the attributes AWS does not store, and ``groups``, which is read-only."""
    for name in names:
        if name.casefold() == "groups":
            raise MutabilityException(
                detail="groups cannot be set on a user: change the group's members"
            )
        if name.casefold() in USER_UNSUPPORTED:
            raise InvalidValueException(detail=f"{name} is not supported")


def check_user_patch(operations: list[Mapping[str, Any]]) -> None:
    """Check what a user PATCH targets; the resulting user is checked with check_user."""
    touched: dict[str, int] = {}
    for op in operations:
        path, value = lookup(op, "path"), lookup(op, "value")
        check_path_filter(path)
        refuse_unsupported_user_attributes(_targets(path, value))
        for name in _user_patch_targets(path, value):
            if name.casefold() not in USER_PATCHABLE:
                raise InvalidPathException(detail=f"{name} cannot be modified by PATCH")
            touched[name.casefold()] = touched.get(name.casefold(), 0) + 1
        attribute = attribute_of(path) if isinstance(path, str) else None
        if _op_name(op) == "remove" and attribute and attribute.casefold() in USER_NOT_REMOVABLE:
            raise MutabilityException(detail=f"{attribute} cannot be removed")
        if _op_name(op) in ("add", "replace"):
            check_user_name(_set_user_name(path, value), spaces=False)
    for name in sorted(USER_ONE_OPERATION):
        if touched.get(name, 0) > 1:
            raise InvalidValueException(detail=f"only one operation on {name} per request")


def check_path_filter(path: Any) -> None:
    """A PATCH path's value filter (``emails[type eq "work"]``) may only use eq and and."""
    if not isinstance(path, str) or "[" not in path:
        return
    inner = path.partition("[")[2].rpartition("]")[0]
    if not _EQ_ONLY.fullmatch(inner):
        raise InvalidFilterException(detail=f"only eq (joined by and) is supported in {path!r}")


def _user_patch_targets(path: Any, value: Any) -> list[str]:
    """The attributes a user PATCH operation modifies; the enterprise extension is one."""
    if isinstance(path, str):
        return ["enterprise" if _is_enterprise(path) else attribute_of(path)]
    if isinstance(value, Mapping):
        return ["enterprise" if _is_enterprise(key) else key for key in value]
    return []


def _is_enterprise(name: str) -> bool:
    return name.casefold().startswith(ENTERPRISE_URN.casefold())


def _set_user_name(path: Any, value: Any) -> Any:
    if isinstance(path, str):
        return value if path.casefold() == "username" else None
    return lookup(value, "userName") if isinstance(value, Mapping) else None


def _present(body: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    value: Any = body
    for name in path:
        value = lookup(value, name) if isinstance(value, Mapping) else None
    return isinstance(value, str) and bool(value.strip())


def _check_primary_email(emails: Any) -> None:
    if not isinstance(emails, list):
        return
    for email in emails:
        if not (isinstance(email, Mapping) and lookup(email, "primary") is True):
            raise InvalidValueException(detail="the email must be marked primary: true")


# -- Groups ---------------------------------------------------------------------------


def check_group_creation(body: Mapping[str, Any]) -> None:
    """At most 100 members in a new group, none with a ``display``."""
    members = lookup(body, "members")
    refuse_member_display(members)
    if isinstance(members, list) and len(members) > MAX_MEMBER_CHANGES:
        raise InvalidValueException(
            detail=f"a group is created with at most {MAX_MEMBER_CHANGES} members"
        )


def check_group_patch(operations: list[Mapping[str, Any]]) -> None:
    """Only displayName, members, externalId; no replacing or removing every member;
    at most 100 membership changes, counted over all the operations."""
    changes = 0
    for op in operations:
        check_path_filter(lookup(op, "path"))
        targets = _targets(lookup(op, "path"), lookup(op, "value"))
        refused = [name for name in targets if name.casefold() not in GROUP_PATCHABLE]
        if refused:
            raise InvalidPathException(
                detail=f"only displayName, members and externalId can be patched, not {refused}"
            )
        if _touches_all_members(op):
            raise InvalidValueException(
                detail="replacing or removing all members in one request is not supported"
            )
        changes += _member_changes(op)
        refuse_member_display(_member_values(op))
    if changes > MAX_MEMBER_CHANGES:
        raise InvalidValueException(
            detail=f"at most {MAX_MEMBER_CHANGES} membership changes per request, not {changes}"
        )


def refuse_member_display(members: Any) -> None:
    """The user guide: no "'display' sub-attribute of any multi-valued attribute (For
    example, members)" on groups."""
    for member in members if isinstance(members, list) else []:
        if isinstance(member, Mapping) and lookup(member, "display") is not None:
            raise InvalidValueException(
                detail="the display sub-attribute of members is not supported"
            )


def _member_values(op: Mapping[str, Any]) -> Any:
    path, value = lookup(op, "path"), lookup(op, "value")
    if path is None and isinstance(value, Mapping):
        return lookup(value, "members")
    return value if _is_members(path) else None


def patched_display_name(operations: list[Mapping[str, Any]]) -> str | None:
    """The displayName a group PATCH sets, if it sets one."""
    name = None
    for op in operations:
        if _op_name(op) not in ("add", "replace"):
            continue
        path, value = lookup(op, "path"), lookup(op, "value")
        if isinstance(path, str) and path.casefold() == "displayname":
            name = value
        elif path is None and isinstance(value, Mapping):
            name = lookup(value, "displayName") or name
    return name if isinstance(name, str) else None


def expand_member_removals(body: Mapping[str, Any]) -> dict[str, Any]:
    """Rewrite ``remove members`` with a value list as one filtered remove per member.

    AWS accepts the value list; scim2-server only the ``members[value eq "id"]`` form.
    """
    original = lookup(body, "Operations")
    if not isinstance(original, list):
        return dict(body)  # malformed: scim2-server answers the 400
    operations: list[Any] = []
    for op in original:
        operations.extend(_expanded(op) if isinstance(op, Mapping) else [op])
    rewritten = {key: value for key, value in body.items() if key.casefold() != "operations"}
    rewritten["Operations"] = operations
    return rewritten


def _expanded(op: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    path, value = lookup(op, "path"), lookup(op, "value")
    if not (_op_name(op) == "remove" and _is_members(path) and isinstance(value, list)):
        return [op]
    ids = [lookup(member, "value") for member in value if isinstance(member, Mapping)]
    return [{"op": "remove", "path": f"members[value eq {json.dumps(i)}]"} for i in ids]


def _touches_all_members(op: Mapping[str, Any]) -> bool:
    name, path, value = _op_name(op), lookup(op, "path"), lookup(op, "value")
    if name == "replace":
        return _is_members(path) or (
            path is None and isinstance(value, Mapping) and lookup(value, "members") is not None
        )
    return name == "remove" and _is_members(path) and not value


def _member_changes(op: Mapping[str, Any]) -> int:
    path, value = lookup(op, "path"), lookup(op, "value")
    if isinstance(path, str) and path.casefold().startswith("members["):
        return 1
    if path is None and isinstance(value, Mapping):
        value = lookup(value, "members")
    elif not _is_members(path):
        return 0
    return len(value) if isinstance(value, list) else int(value is not None)


# -- Paths ----------------------------------------------------------------------------


def attribute_of(path: str) -> str:
    """The top attribute a PATCH path names: ``emails[type eq "work"].value`` → ``emails``."""
    attribute = path.partition("[")[0]
    if attribute.casefold().startswith("urn:"):
        attribute = attribute.rpartition(":")[2]
    return attribute.partition(".")[0]


def _targets(path: Any, value: Any) -> list[str]:
    """The top attributes an operation touches: its path's, or its value's keys."""
    if isinstance(path, str):
        return [attribute_of(path)]
    if isinstance(value, Mapping):
        return [key for key in value if not key.casefold().startswith("urn:")]
    return []


def _is_members(path: Any) -> bool:
    return isinstance(path, str) and path.casefold() == "members"


def _op_name(op: Mapping[str, Any]) -> str:
    return str(lookup(op, "op") or "").casefold()
