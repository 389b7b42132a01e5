"""Reading the live state of a server into the canonical model, whole or not at all."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

from reconciler.model import ENTERPRISE_PREFIX, Group, Org, User, with_attrs
from reconciler.scim.discovery import Capabilities, Getter
from reconciler.scim.filters import eq
from reconciler.scim.listing import DEFAULT_MAX_RESOURCES, Listing, Resource, list_all
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
    client: Getter,
    caps: Capabilities,
    profile: Profile,
    prefix: str,
    *,
    concurrency: int = 4,
    like: Org | None = None,
    max_resources: int = DEFAULT_MAX_RESOURCES,
) -> LiveState:
    """Every user and group of the server, with group members, as an ``Org``.

    Each page is turned into the model as it arrives; managers, which may point at
    a user on a later page, are resolved to stable keys once every user is read.
    ``like`` (the desired org) only saves memory: the attribute values of a managed
    user that is as desired are kept as the desired values' objects, so the two models
    share what they agree on instead of holding it twice (80 MB at 100,000 users).
    ``max_resources`` caps each listing (see ``list_all``).
    """
    parser = _UserParser(prefix, like)
    limits: dict[str, Any] = {"legacy_cap": profile.legacy_cap, "max_resources": max_resources}
    per_group = profile.membership_read == "per-group"
    members_read: dict[str, Future[Listing]] = {}
    with _Reads(concurrency) as reads:

        def group_seen(resource: Resource) -> Group:
            """Parse a listed group and, on AWS, start reading its members at once."""
            group = parse_group(resource, prefix)
            if per_group:
                gid = group.id or ""
                members_read[gid] = reads.submit(_members, client, caps, gid, max_resources)
            return group

        users_read = reads.submit(list_all, client, "/Users", caps, convert=parser, **limits)
        groups_read = reads.submit(list_all, client, "/Groups", caps, convert=group_seen, **limits)
        groups = groups_read.result()
        parsed_groups: tuple[Group, ...] = tuple(groups.resources)
        users = users_read.result()
        listings = {gid: read.result() for gid, read in members_read.items()}
    parsed_users: tuple[User, ...] = tuple(users.resources)
    parser.resolve_managers()
    membership_requests = 0
    partial = [p for p in (users.partial, groups.partial) if p]
    if per_group:
        parsed_groups = tuple(
            g._replace(members=frozenset(listings[g.id or ""].resources)) for g in parsed_groups
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


class _Reads(ThreadPoolExecutor):
    """At most ``concurrency`` listings in flight: /Users pages on while /Groups is read
    and, as each group is listed, its members (AWS), so a long users listing (which
    pages one request at a time) overlaps the membership queries. A failure
    cancels what has not started; the first failure awaited is the one raised."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(max_workers=max(1, concurrency))

    def __exit__(self, *failure: Any) -> bool | None:
        if failure[0] is not None:
            self.shutdown(wait=True, cancel_futures=True)
        return super().__exit__(*failure)


def _id(resource: Resource) -> str:
    return str(resource["id"])


class _UserParser:
    """Parses each listed user; a manager listed later is resolved once all are read.

    A managed user as desired holds the desired objects instead of equal copies: the
    desired attrs themselves when all are equal, else the desired values when each is
    as live has it (see ``read_live``)."""

    def __init__(self, prefix: str, like: Org | None) -> None:
        self.prefix = prefix
        self.keys: dict[str, str] = {}
        """The id → stable key of every managed user parsed so far."""
        self.pending: list[User] = []
        """Users whose manager was not parsed yet (``enterprise.manager`` is ``id:<id>``)."""
        self.wanted = {u.key: u.attrs for u in like.users} if like else {}
        """The desired attributes by key, whose values equal live ones are shared."""

    def __call__(self, resource: Resource) -> User:
        user = parse_user(resource, self.prefix, self.keys)
        key = user.key
        if key is not None:
            self.keys[user.id or ""] = key
        attrs = cast(dict[str, Any], user.attrs)
        manager = attrs.get(MANAGER)
        pending = manager is not None and manager.startswith("id:")
        if pending:
            self.pending.append(user)
        wanted = self.wanted.get(key) if key is not None else None
        if wanted is None:
            return user
        if pending:  # compared as the desired manager, then put back
            attrs[MANAGER] = wanted.get(MANAGER, manager)
            _share_values(attrs, wanted)
            attrs[MANAGER] = manager
        elif wanted == attrs:  # the usual case, decided in C
            return with_attrs(user, wanted)
        else:
            _share_values(attrs, wanted)
        return user

    def resolve_managers(self) -> None:
        """Name every pending manager by its key. The attrs are the dicts ``parse_user``
        just built and nothing else has seen yet, so they are completed in place
        (a copy of each user would cost more than the whole parse)."""
        for user in self.pending:
            key = self.keys.get(user.attrs[MANAGER][3:])
            if key is not None:
                cast(dict[str, str], user.attrs)[MANAGER] = key
        self.pending.clear()


def _share_values(attrs: dict[str, Any], wanted: Mapping[str, Any]) -> None:
    """When every value ``wanted`` holds equals the live one, hold those objects instead
    (one C-level comparison); a user with changes keeps its own."""
    if wanted.items() <= attrs.items():
        attrs.update(wanted)


def _members(client: Getter, caps: Capabilities, group_id: str, max_resources: int) -> Listing:
    """Member ids of one group, read as ``GET /Users?filter=groups.value eq "<id>"``."""
    where = eq("groups.value", group_id)
    return list_all(client, "/Users", caps, filter=where, convert=_id, max_resources=max_resources)
