"""Each group's members on the server beside its members in git: the review's rows.

Pure: no I/O. Groups and users are paired as the plan pairs them, by key first (the
ownership marker), then by name under the identity rule (``reconciler.identity``). A
member the server lists that git does not grant is out of band; a member git grants that
the server does not list is listed apart, with why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from reconciler.access_review.model import Flag, Grant, GroupReview, Membership
from reconciler.access_review.places import MembershipKey
from reconciler.errors import InputError
from reconciler.escaping import printable
from reconciler.identity import fold
from reconciler.model import Group, Org, User
from reconciler.policy import Policy
from reconciler.temporary import end_text, expired, parse_end


@dataclass(frozen=True)
class _Pair:
    desired: Group | None
    live: Group | None

    @property
    def name(self) -> str:
        group = self.desired or self.live
        assert group is not None
        return group.display_name

    def names(self) -> set[str]:
        """Folded: its desired name, its live name and its key (as the policy matches)."""
        groups = [g for g in (self.desired, self.live) if g is not None]
        return {fold(n) for g in groups for n in (g.display_name, g.key) if n}


def review_groups(
    wanted: Org,
    live: Org,
    policy: Policy,
    grants: Mapping[MembershipKey, Grant],
    *,
    now: datetime,
    pulls_read: bool = False,
    only: Sequence[str] = (),
) -> tuple[GroupReview, ...]:
    """The review of every group (or of those ``only`` names), privileged groups first.

    ``pulls_read``: the grants carry their pull requests (GitHub was read), so a grant
    without one, or without an approval, is flagged."""
    users = _Users(wanted, live)
    pairs = _chosen(_pairs(wanted.groups, live.groups), only)
    context = _Context(policy, users, grants, now, pulls_read)
    reviews = [_group(pair, context) for pair in pairs]
    return tuple(sorted(reviews, key=lambda g: (not g.privileged, fold(g.name), g.name)))


def selected_keys(wanted: Org, live: Org, only: Sequence[str] = ()) -> set[str]:
    """The keys of the desired groups the review covers (all, or those ``only`` names)."""
    pairs = _chosen(_pairs(wanted.groups, live.groups), only)
    return {pair.desired.key or "" for pair in pairs if pair.desired is not None}


class _Users:
    """Live users by id, each with the desired user it is (by key, else by name)."""

    def __init__(self, wanted: Org, live: Org) -> None:
        self.desired = {u.key: u for u in wanted.users if u.key is not None}
        by_name = {fold(u.user_name): u.key for u in wanted.users}
        self.live = {u.id: u for u in live.users if u.id is not None}
        self.key_of_id = {
            u.id: (u.key if u.key in self.desired else by_name.get(fold(u.user_name)))
            for u in live.users
            if u.id is not None
        }
        self.on_server = set(self.key_of_id.values())
        """The keys of the desired users the server has."""

    def live_name(self, user_id: str) -> str:
        user = self.live.get(user_id)
        return user.user_name if user is not None else user_id

    def desired_name(self, key: str) -> str:
        user: User | None = self.desired.get(key)
        return user.user_name if user is not None else key


def _pairs(desired: Iterable[Group], live: Iterable[Group]) -> list[_Pair]:
    live = list(live)
    by_key = {g.key: g for g in live if g.key is not None}
    by_name = {fold(g.display_name): g for g in live if g.key is None}
    claimed: set[int] = set()
    pairs = []
    for want in desired:
        have = by_key.get(want.key or "") or by_name.get(fold(want.display_name))
        if have is not None and id(have) in claimed:
            have = None
        if have is not None:
            claimed.add(id(have))
        pairs.append(_Pair(want, have))
    pairs += [_Pair(None, g) for g in live if id(g) not in claimed]
    return pairs


def _chosen(pairs: list[_Pair], only: Sequence[str]) -> list[_Pair]:
    if not only:
        return pairs
    asked = {fold(name): name for name in only}
    chosen = [pair for pair in pairs if pair.names() & asked.keys()]
    unknown = sorted(set(asked) - {n for pair in chosen for n in pair.names()})
    if unknown:
        raise InputError(
            f"--group {printable(asked[unknown[0]])!r}: no group of that name in git or on "
            "the server"
        )
    return chosen


@dataclass(frozen=True)
class _Context:
    policy: Policy
    users: _Users
    grants: Mapping[MembershipKey, Grant]
    now: datetime
    pulls_read: bool

    def grant(self, group: Group, key: str) -> Grant | None:
        return self.grants.get((group.key or "", key))

    def flags(self, grant: Grant | None, until: str | None, *, in_git: bool) -> tuple[Flag, ...]:
        """The flags of a membership (``grant``: where git grants it, when it does)."""
        if not in_git:
            return (Flag.OUT_OF_BAND,)
        flags = []
        if grant is None:
            pass
        elif grant.commit is None:
            flags.append(Flag.UNCOMMITTED)
        elif self.pulls_read and grant.pull is None:
            flags.append(Flag.NO_PULL_REQUEST)
        elif grant.pull is not None:
            if not grant.pull.approvals:
                flags.append(Flag.NOT_APPROVED)
            if grant.pull.self_approvers:
                flags.append(Flag.SELF_APPROVED)
        if until is not None and expired(parse_end(until), self.now):
            flags.append(Flag.PAST_UNTIL)
        return tuple(flags)


def _group(pair: _Pair, context: _Context) -> GroupReview:
    want, have = pair.desired, pair.live
    wanted = want.members if want is not None else frozenset()
    members = []
    seen: set[str] = set()
    for user_id in have.members if have is not None else ():
        key = context.users.key_of_id.get(user_id)
        grant, until, in_git = None, None, False
        if want is not None and key is not None and key in wanted:
            seen.add(key)
            grant, until, in_git = context.grant(want, key), want.until.get(key), True
        flags = context.flags(grant, until, in_git=in_git)
        name = context.users.live_name(user_id)
        members.append(Membership(name, True, grant, until, flags))
    pending = [_pending(want, key, have, context) for key in wanted - seen]
    return GroupReview(
        name=pair.name,
        privileged=bool(pair.names() & context.policy.privileged_groups),
        in_git=want is not None,
        on_server=have is not None,
        members=tuple(sorted(members, key=_by_user)),
        pending=tuple(sorted(pending, key=_by_user)),
    )


def _pending(want: Group | None, key: str, have: Group | None, context: _Context) -> Membership:
    assert want is not None
    until = want.until.get(key)
    grant = context.grant(want, key)
    users = context.users
    if until is not None and expired(parse_end(until), context.now):
        reason = f"its until ({end_text(until)}) has passed"
    elif have is None:
        reason = "the group is not on the server"
    elif key not in users.on_server:
        reason = "the user is not on the server"
    else:
        reason = "the server does not list it as a member (not applied yet, or refused)"
    flags = context.flags(grant, None, in_git=True)
    return Membership(users.desired_name(key), False, grant, until, flags, reason)


def _by_user(member: Membership) -> tuple[str, str]:
    return fold(member.user), member.user
