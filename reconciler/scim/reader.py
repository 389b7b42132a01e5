"""Reading the live state of a server into the canonical model, whole or not at all."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.model import Org
from reconciler.scim.discovery import Capabilities, Getter
from reconciler.scim.filters import eq
from reconciler.scim.listing import Listing, list_all
from reconciler.scim.profiles import Profile
from reconciler.scim.resources import parse_group, parse_user, user_keys_by_id

log = logging.getLogger("reconciler.read")


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
    """Every user and group of the server, with group members, as an ``Org``."""
    users = list_all(client, "/Users", caps, legacy_cap=profile.legacy_cap)
    groups = list_all(client, "/Groups", caps, legacy_cap=profile.legacy_cap)
    keys = user_keys_by_id(users.resources, prefix)
    parsed_users = tuple(parse_user(r, prefix, keys) for r in users.resources)
    members: dict[str, list[str]] | None = None
    membership_requests = 0
    partial = [p for p in (users.partial, groups.partial) if p]
    if profile.membership_read == "per-group":
        listings = _members_per_group(client, caps, groups, concurrency)
        members = {gid: [r["id"] for r in listing.resources] for gid, listing in listings.items()}
        membership_requests = sum(listing.pages for listing in listings.values())
        partial += [p for listing in listings.values() if (p := listing.partial)]
        log.info("read the members of %d groups in %d requests", len(listings), membership_requests)
    parsed_groups = tuple(
        parse_group(r, prefix, members.get(r["id"]) if members is not None else None)
        for r in groups.resources
    )
    return LiveState(
        org=Org(parsed_users, parsed_groups),
        requests=users.pages + groups.pages + membership_requests,
        membership_requests=membership_requests,
        partial=tuple(partial),
    )


def _members_per_group(
    client: Getter, caps: Capabilities, groups: Listing, concurrency: int
) -> dict[str, Listing]:
    """Members read as ``GET /Users?filter=groups.value eq "<id>"``, one listing per group."""
    ids = [r["id"] for r in groups.resources]
    read: Callable[[str], Listing] = lambda gid: list_all(  # noqa: E731
        client, "/Users", caps, filter=eq("groups.value", gid)
    )
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return dict(zip(ids, pool.map(read, ids), strict=True))
