"""Listing Users and Groups as AWS IAM Identity Center documents it.

Filters are only ``eq`` joined by ``and``, on a few documented attribute sets. The
ListUsers and ListGroups pages say: "Including the cursor parameter changes the
default response format from non-paginated (with totalResults, startIndex, and
itemsPerPage fields) to cursor-based paginated results (with itemsPerPage and
nextCursor fields)". So:

- without ``cursor``: one non-paginated answer of at most ``count`` (1..100, default
  100) resources, ``totalResults``, ``startIndex`` and ``itemsPerPage``, and no way to
  the rest. The documents do not say what ``totalResults`` counts there; the sandbox
  takes the harsher reading, what was returned, so a client cannot tell it is cut short;
- with ``cursor`` (empty for the first page, then each ``nextCursor``): cursor pages,
  ``itemsPerPage`` and ``nextCursor`` unless last, no ``totalResults``;
- the legacy mode (the older documents) returns at most 50 resources and no way to
  the rest, with a ``totalResults`` equal to what it returned, cursor or not.

The listing is computed here from the in-memory store, not by scim2-server, because
``groups.value`` needs the members of a stored group (scim2-server does not compute
``User.groups``) and scim2-server's own cursors need an extra we do not require. The
creation order of each resource type is kept between requests and recomputed only
after a create or a delete, so a page costs its own size, not a sort of the store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import weakref
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scim2_models import (
    Context,
    EnterpriseUser,
    InvalidCursorException,
    InvalidFilterException,
    InvalidValueException,
    Resource,
    ResourceType,
)
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService

LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_COUNT = 100
LEGACY_LIMIT = 50
REFUSED_PARAMETERS = ("startIndex", "attributes", "excludedAttributes", "sortBy", "sortOrder")

# The attribute sets a filter may compare, by resource type (names casefolded).
ALLOWED_FILTERS: dict[str, tuple[frozenset[str], ...]] = {
    "User": (
        frozenset({"username"}),
        frozenset({"externalid"}),
        frozenset({"groups.value"}),
        frozenset({"id", "manager"}),
    ),
    "Group": (
        frozenset({"displayname"}),
        frozenset({"externalid"}),
        frozenset({"id", "members"}),
    ),
}

_CLAUSE = re.compile(r'\s*([A-Za-z][\w.]*)\s+([A-Za-z]+)\s+("(?:[^"\\]|\\.)*")\s*')
_AND = re.compile(r"and\s+", re.IGNORECASE)

Matcher = Callable[[Resource[Any]], bool]


@dataclass(frozen=True)
class Clause:
    """One ``attribute eq "value"`` of a filter; the attribute name is casefolded."""

    attribute: str
    value: str


@dataclass(frozen=True)
class Listing:
    """What a list request asks for, once checked against AWS's rules."""

    type_name: str
    filter_text: str
    clauses: tuple[Clause, ...]
    count: int
    cursor: str | None
    """The page after this cursor; None: the first page."""
    paged: bool = True
    """Whether the request carried ``cursor`` at all (empty or not): cursor paging."""


def read_listing(type_name: str, query: Mapping[str, str]) -> Listing:
    """Check the query parameters of ``GET /Users`` or ``GET /Groups``.

    :raises SCIMException: a 400 for every parameter or filter AWS refuses.
    """
    refused = [name for name in REFUSED_PARAMETERS if name in query]
    if refused:
        raise InvalidValueException(detail=f"Unsupported query parameters: {', '.join(refused)}")
    filter_text = query.get("filter", "").strip()
    clauses = parse_filter(filter_text) if filter_text else ()
    check_filter(type_name, clauses)
    cursor = query.get("cursor") or None
    paged = "cursor" in query
    return Listing(type_name, filter_text, clauses, read_count(query), cursor, paged)


def read_count(query: Mapping[str, str]) -> int:
    """Return ``count``, 100 by default; anything but an integer 1..100 is a 400."""
    raw = query.get("count")
    if raw is None:
        return MAX_COUNT
    try:
        count = int(raw)
    except ValueError:
        raise InvalidValueException(detail=f"count must be an integer, not {raw!r}") from None
    if not 1 <= count <= MAX_COUNT:
        raise InvalidValueException(detail=f"count must be between 1 and {MAX_COUNT}")
    return count


def parse_filter(text: str) -> tuple[Clause, ...]:
    """Parse ``attr eq "value" [and attr eq "value"]...``; anything else is invalidFilter."""
    clauses = []
    position = 0
    while True:
        match = _CLAUSE.match(text, position)
        if match is None:
            raise InvalidFilterException(detail=f"Unsupported filter: {text!r}")
        attribute, operator, value = match.groups()
        if operator.lower() != "eq":
            raise InvalidFilterException(
                detail=f"Only the eq operator is supported, not {operator}"
            )
        clauses.append(Clause(attribute.casefold(), _string(value)))
        position = match.end()
        if position == len(text):
            return tuple(clauses)
        joiner = _AND.match(text, position)
        if joiner is None:
            raise InvalidFilterException(detail=f"Only 'and' may join comparisons: {text!r}")
        position = joiner.end()


def _string(quoted: str) -> str:
    """Decode a filter's quoted value, escaped as in JSON (RFC 7644 §3.4.2.2)."""
    try:
        value = json.loads(quoted)
    except ValueError:
        raise InvalidFilterException(detail=f"Invalid string in filter: {quoted}") from None
    return str(value)


def check_filter(type_name: str, clauses: tuple[Clause, ...]) -> None:
    """Refuse a filter whose attributes are not one of the documented sets."""
    if not clauses:
        return
    attributes = [clause.attribute for clause in clauses]
    allowed = ALLOWED_FILTERS.get(type_name, ())
    if len(set(attributes)) != len(attributes) or frozenset(attributes) not in allowed:
        raise InvalidFilterException(
            detail=f"Unsupported filter attributes for {type_name}: {', '.join(attributes)}"
        )


def answer(
    storage: InMemoryStorage,
    listing: Listing,
    group_type: ResourceType,
    publish: Callable[[list[Resource[Any]]], list[dict[str, Any]]],
    *,
    legacy: bool = False,
) -> dict[str, Any]:
    """The body AWS answers to a listing: cursor-paged when ``cursor`` was sent,
    non-paginated otherwise, or the legacy one; ``publish`` serializes resources."""
    if legacy:
        first = first_page(storage, listing, group_type, min(listing.count, LEGACY_LIMIT))
        return legacy_body(publish(first))
    if not listing.paged:
        return plain_body(publish(first_page(storage, listing, group_type, listing.count)))
    page, next_cursor = cursor_page(storage, listing, group_type)
    return cursor_body(publish(page), next_cursor)


def first_page(
    storage: InMemoryStorage, listing: Listing, group_type: ResourceType, limit: int
) -> list[Resource[Any]]:
    """The first ``limit`` resources matching the filter, in creation order."""
    return _after(storage, listing, group_type, None, limit)[0]


def cursor_page(
    storage: InMemoryStorage, listing: Listing, group_type: ResourceType
) -> tuple[list[Resource[Any]], str | None]:
    """Return the page a cursor asks for, and the cursor of the next page if any."""
    scope = _scope(listing)
    after = _open_cursor(listing.cursor, scope) if listing.cursor else None
    page, more = _after(storage, listing, group_type, after, listing.count)
    next_cursor = _seal(scope, _sort_key(page[-1])) if more and page else None
    return page, next_cursor


def select(
    storage: InMemoryStorage, listing: Listing, group_type: ResourceType
) -> list[Resource[Any]]:
    """Return every stored resource matching the filter, in creation order."""
    return _after(storage, listing, group_type, None, None)[0]


def _after(
    storage: InMemoryStorage,
    listing: Listing,
    group_type: ResourceType,
    after: tuple[str, str] | None,
    limit: int | None,
) -> tuple[list[Resource[Any]], bool]:
    """Up to ``limit`` matching resources after the sort key ``after``, and whether
    more follow. Unfiltered, it walks the kept creation order from ``after``;
    with a ``groups.value`` clause, only the group's members; else every resource
    of the type."""
    with storage.lock:
        stored = _stored(storage, listing.type_name)
        matchers = [_matcher(clause, storage, group_type) for clause in listing.clauses]
        if not listing.clauses:
            keys = _creation_order(storage, listing.type_name)
            start = 0 if after is None else bisect_right(keys, after)
            stop = len(keys) if limit is None else start + limit
            page = [stored[key[1]] for key in keys[start:stop]]
            return page, stop < len(keys)
        found = sorted(
            (r for r in _candidates(storage, listing, group_type) if all(m(r) for m in matchers)),
            key=_sort_key,
        )
    remaining = found if after is None else [r for r in found if _sort_key(r) > after]
    page = remaining if limit is None else remaining[:limit]
    return page, len(remaining) > len(page)


def _stored(storage: InMemoryStorage, type_name: str) -> dict[str, Resource[Any]]:
    """The store's resources of one type by id (scim2-server keeps them so; read only)."""
    return storage._resources.get(type_name, {})


def _candidates(
    storage: InMemoryStorage, listing: Listing, group_type: ResourceType
) -> list[Resource[Any]]:
    stored = _stored(storage, listing.type_name)
    for clause in listing.clauses:
        if clause.attribute == "groups.value":
            members = _member_ids(storage, group_type, clause.value)
            return [stored[m] for m in members if m in stored]
    return list(stored.values())


_ORDERS: weakref.WeakKeyDictionary[
    InMemoryStorage, dict[str, tuple[tuple[str, int], list[tuple[str, str]]]]
] = weakref.WeakKeyDictionary()


def _creation_order(storage: InMemoryStorage, type_name: str) -> list[tuple[str, str]]:
    """The sort keys of one type's resources, in order; kept until a create (which
    takes a new version) or a delete (which changes the count). Updates keep a
    resource's creation date and id, hence its place."""
    stored = _stored(storage, type_name)
    stamp = (repr(storage.versions), len(stored))
    kept = _ORDERS.setdefault(storage, {})
    found = kept.get(type_name)
    if found is None or found[0] != stamp:
        found = (stamp, sorted(_sort_key(r) for r in stored.values()))
        kept[type_name] = found
    return found[1]


def cursor_body(resources: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    """The list response of a cursor page: no totalResults, nextCursor unless last."""
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE_URN],
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
    if next_cursor is not None:
        body["nextCursor"] = next_cursor
    return body


def plain_body(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-paginated list response (no ``cursor`` sent): one page and no way on.
    ``totalResults`` counts what is returned (the harsher reading of silent documents)."""
    return legacy_body(resources)


def legacy_body(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The older list response: totalResults counts only what is returned."""
    return {
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "Resources": resources,
    }


_PUBLISHED: weakref.WeakKeyDictionary[
    ScimService, dict[tuple[str, str, str], tuple[Resource[Any], str]]
] = weakref.WeakKeyDictionary()


def publish_all(
    service: ScimService, base_url: str, resources: list[Resource[Any]]
) -> list[dict[str, Any]]:
    """Serialize stored resources as scim2-server does in its own list responses.

    Publishing costs about a millisecond a resource, so each resource's JSON is kept
    until the store holds another object for it: every write stores a new object, so
    an ``is`` check says whether the kept JSON is still the resource's. Each call
    returns fresh dicts, which the caller may change."""
    kept = _PUBLISHED.setdefault(service, {})
    published = []
    for resource in resources:
        key = (base_url, _type_name(resource) or "", resource.id or "")
        found = kept.get(key)
        if found is None or found[0] is not resource:
            dumped = service.publish(base_url, resource).model_dump(
                scim_ctx=Context.RESOURCE_QUERY_RESPONSE
            )
            found = (resource, json.dumps(dumped))
            kept[key] = found
        published.append(json.loads(found[1]))
    return published


def _type_name(resource: Resource[Any]) -> str | None:
    return resource.meta.resource_type if resource.meta else None


def _sort_key(resource: Resource[Any]) -> tuple[str, str]:
    created = resource.meta.created if resource.meta else None
    return (created.isoformat() if created else "", resource.id or "")


def _matcher(clause: Clause, storage: InMemoryStorage, group_type: ResourceType) -> Matcher:
    """Return the test one clause makes on a resource."""
    value = clause.value
    if clause.attribute == "groups.value":
        members = _member_ids(storage, group_type, value)
        return lambda r: r.id in members
    if clause.attribute == "members":
        return lambda r: value in _members_of(r)
    if clause.attribute == "manager":
        return lambda r: _manager_id(r) == value
    if clause.attribute in ("username", "displayname"):  # caseExact false in RFC 7643
        field = "user_name" if clause.attribute == "username" else "display_name"
        return lambda r: str(getattr(r, field, None) or "").casefold() == value.casefold()
    field = "external_id" if clause.attribute == "externalid" else "id"
    return lambda r: getattr(r, field, None) == value


def _members_of(group: Resource[Any]) -> set[str]:
    return {m.value for m in getattr(group, "members", None) or [] if m.value}


def _member_ids(storage: InMemoryStorage, group_type: ResourceType, group_id: str) -> set[str]:
    """The members of a group; none when there is no such group (AWS answers an empty list)."""
    group = _stored(storage, group_type.name or "Group").get(group_id)
    return _members_of(group) if group is not None else set()


def _manager_id(user: Resource[Any]) -> str | None:
    try:
        extension = user[EnterpriseUser]
    except (KeyError, TypeError):
        return None
    manager = getattr(extension, "manager", None)
    return getattr(manager, "value", None)


def _scope(listing: Listing) -> str:
    """A digest of the query, so a cursor only serves the listing it came from."""
    query = f"{listing.type_name}\n{listing.filter_text}".encode()
    return hashlib.sha256(query).hexdigest()[:16]


def _seal(scope: str, key: tuple[str, str]) -> str:
    raw = json.dumps({"s": scope, "k": list(key)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _open_cursor(cursor: str, scope: str) -> tuple[str, str]:
    """Return the sort key a cursor resumes after; a 400 invalidCursor if it is not ours."""
    content = _read_cursor(cursor)
    key = content.get("k") if content.get("s") == scope else None
    if not (isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key)):
        raise InvalidCursorException(detail="The cursor is not one this listing issued")
    return key[0], key[1]


def _read_cursor(cursor: str) -> dict[str, Any]:
    try:
        content = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return {}
    return content if isinstance(content, dict) else {}
