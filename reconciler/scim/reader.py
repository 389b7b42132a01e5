"""Reading the live state of a server into the canonical model, whole or not at all."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from reconciler.model import ENTERPRISE_PREFIX, Group, Org, User
from reconciler.scim.discovery import Capabilities, Getter
from reconciler.scim.filters import eq
from reconciler.scim.listing import Listing, Resource, list_all
from reconciler.scim.profiles import Profile
from reconciler.scim.resources import parse_group, parse_user

log = logging.getLogger("reconciler.read")
MANAGER = ENTERPRISE_PREFIX + "manager"


@dataclass(frozen=True)
class LiveState:
    """The live org, and what the read cost and could not promise."""

    org: Org
    requests: int
    membership_requests: int = 0
    partial: tuple[str, ...] = ()
    """Reasons the listing may be cut short; removals are not planned when set."""


def read_live(
    client: Getter, caps: Capabilities, profile: Profile, prefix: str, *, concurrency: int = 4
) -> LiveState:
    """Every user and group of the server, with group members, as an ``Org``.

    Each page is turned into the model as it arrives; managers, which may point at
    a user on a later page, are resolved to stable keys once every user is read.
    """
    legacy = profile.legacy_cap
    users = list_all(client, "/Users", caps, legacy_cap=legacy, convert=_user_parser(prefix))
    groups = list_all(client, "/Groups", caps, legacy_cap=legacy, convert=_group_parser(prefix))
    parsed_users = _with_manager_keys(users.resources)
    parsed_groups: tuple[Group, ...] = tuple(groups.resources)
    membership_requests = 0
    partial = [p for p in (users.partial, groups.partial) if p]
    if profile.membership_read == "per-group":
        listings = _members_per_group(client, caps, parsed_groups, concurrency)
        parsed_groups = tuple(
            replace(g, members=frozenset(listings[g.id or ""].resources)) for g in parsed_groups
        )
        membership_requests = sum(listing.pages for listing in listings.values())
        partial += [p for listing in listings.values() if (p := listing.partial)]
        log.info("read the members of %d groups in %d requests", len(listings), membership_requests)
    return LiveState(
        org=Org(parsed_users, parsed_groups),
        requests=users.pages + groups.pages + membership_requests,
        membership_requests=membership_requests,
        partial=tuple(partial),
    )


def _id(resource: Resource) -> str:
    return str(resource["id"])


def _user_parser(prefix: str) -> Callable[[Resource], User]:
    return lambda resource: parse_user(resource, prefix, {})


def _group_parser(prefix: str) -> Callable[[Resource], Group]:
    return lambda resource: parse_group(resource, prefix)


def _with_manager_keys(users: list[User]) -> tuple[User, ...]:
    """Users whose ``enterprise.manager`` (read as ``id:<id>``) names the manager's key."""
    keys = {u.id: u.key for u in users if u.key is not None}
    return tuple(_manager_key(user, keys) for user in users)


def _manager_key(user: User, keys: dict[str | None, str]) -> User:
    manager = user.attrs.get(MANAGER)
    if not isinstance(manager, str) or not manager.startswith("id:"):
        return user
    key = keys.get(manager[3:])
    if key is None:
        return user
    return replace(user, attrs={**user.attrs, MANAGER: key})


def _members_per_group(
    client: Getter, caps: Capabilities, groups: tuple[Group, ...], concurrency: int
) -> dict[str, Listing]:
    """Member ids read as ``GET /Users?filter=groups.value eq "<id>"``, one listing per group."""
    ids = [g.id or "" for g in groups]
    read: Callable[[str], Listing] = lambda gid: list_all(  # noqa: E731
        client, "/Users", caps, filter=eq("groups.value", gid), convert=_id
    )
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return dict(zip(ids, pool.map(read, ids), strict=True))
