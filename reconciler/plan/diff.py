"""``diff(desired, live, policy) -> Plan``: the pure heart of the reconciler.

No I/O here. Matching is by stable key (the ownership marker, ``externalId`` =
``marker_prefix + key``), so a rename is an update. A live resource without our
marker is *unmanaged*: never changed or removed, unless the policy adopts it (it
collides with a desired one) or prunes it (``prune_unmanaged``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Generic, TypeVar

from reconciler.errors import InputError
from reconciler.identity import fold, loose, same
from reconciler.mapping import unmanaging_line
from reconciler.model import MANAGER, Group, Org, User, fingerprint
from reconciler.plan.model import Action, AttrChange, Change, Kind, Member, Plan, Status
from reconciler.plan.notes import rename_hints
from reconciler.plan.twins import Twins
from reconciler.policy import Policy
from reconciler.scim.profiles.base import as_kept
from reconciler.temporary import expired, parse_end

R = TypeVar("R", User, Group)


@dataclass(frozen=True)
class Index(Generic[R]):
    """Live resources by marker key, by folded name and by id."""

    by_key: dict[str, R]
    items: tuple[R, ...]

    @classmethod
    def of(cls, resources: Iterable[R]) -> Index[R]:
        items = tuple(resources)
        return cls(by_key={r.key: r for r in items if r.key is not None}, items=items)

    @cached_property
    def by_id(self) -> dict[str, R]:
        """Built on the first look-up by id: a plan that removes no member needs none."""
        return {r.id: r for r in self.items if r.id is not None}

    @cached_property
    def by_name(self) -> dict[str, R]:
        """Built on the first look-up by name: a plan with nothing new needs none."""
        return {fold(_name(r)): r for r in self.items}

    @cached_property
    def shared_names(self) -> dict[str, tuple[R, ...]]:
        """Folded name → the live resources that share it (they differ only in case or
        Unicode form: a server that compares exactly keeps both)."""
        if len(self.by_name) == len(self.items):
            return {}
        grouped: dict[str, list[R]] = {}
        for resource in self.items:
            grouped.setdefault(fold(_name(resource)), []).append(resource)
        return {name: tuple(found) for name, found in grouped.items() if len(found) > 1}

    @cached_property
    def by_loose_name(self) -> dict[str, R]:
        """By the form a lenient server might compare names in (built on the first create)."""
        return {loose(_name(r)): r for r in self.items}


@dataclass
class Context:
    """What one diff run needs beside the two orgs."""

    policy: Policy
    now: datetime
    unstored: frozenset[str]
    users: Index[User]
    desired_users: tuple[User, ...] = ()
    complete: bool = True
    matched_users: set[str | None] = field(default_factory=set)
    matched_groups: set[str | None] = field(default_factory=set)
    """Ids of live resources a desired one claimed (match, adoption, conflict)."""

    def matched(self, resource: User | Group) -> set[str | None]:
        return self.matched_users if isinstance(resource, User) else self.matched_groups

    def claimed(self, resource: User | Group) -> bool:
        return resource.id in self.matched(resource)

    user_ids: dict[str, str | None] = field(default_factory=dict)
    """Desired user key → live id (None: created by this plan). Absent: unresolvable."""
    renames: frozenset[str] = frozenset()
    """Keys of live users whose desired userName differs: they free their current name."""
    conflicts: dict[str, str] = field(default_factory=dict)
    """Desired user key → the id of the live user in conflict with it."""
    absent: dict[str, int] = field(default_factory=dict)
    """Attribute path the YAML writes → how many managed live users have none of it."""
    user_twins: Twins[User] | None = None
    """Live users sharing one marker: never written, never members added or removed."""
    lookalikes: list[str] = field(default_factory=list)
    """Warnings: a resource created beside a live one a lenient server could take it for."""

    def marker(self, key: str) -> str:
        return self.policy.marker_prefix + key

    @cached_property
    def names(self) -> dict[str, str]:
        """Desired user key → desired userName (built on first use: naming new members
        and conflicts; a plan with neither needs none)."""
        return {u.key: u.user_name for u in self.desired_users if u.key is not None}


def diff(
    desired: Org,
    live: Org,
    policy: Policy,
    *,
    target: str = "",
    digest: str = "",
    now: datetime | None = None,
    unstored: frozenset[str] = frozenset(),
    complete: bool = True,
    hidden_while_inactive: frozenset[str] = frozenset(),
) -> Plan:
    """The plan that makes ``live`` match ``desired`` under ``policy``.

    ``unstored`` names attribute paths the server does not keep (from its
    profile): they are never compared, so a plan after an apply stays empty.
    ``complete=False`` says the live listing may be cut short: then nothing is
    removed (no deactivation, deletion or member removal of what was not seen).
    ``hidden_while_inactive`` (the profile's) names what the server disguises while a
    user is deactivated: not compared for a user the YAML keeps deactivated.
    """
    live = as_kept(live, desired, hidden_while_inactive)  # the profile's hook
    _one_marker_each(desired)
    twins = Twins.of(Kind.USER, live.users, policy.marker_prefix)
    ctx = Context(
        policy,
        now or datetime.now(UTC),
        unstored,
        Index.of(twins.rest(live.users) if twins else live.users),
        desired.users,
        complete,
    )
    if twins:
        ctx.user_twins = twins
        ctx.matched_users.update(twins.ids)
    rest = _settle_unchanged(desired.users, ctx)
    ctx.renames = _renames(rest)
    changes = [change for want, have in rest if (change := _plan_user(want, have, ctx))]
    changes, warnings = _unresolved_managers(changes, ctx)
    warnings += _unkept_hints(live.users, ctx, target)
    changes += _removed_users(live.users, ctx)
    changes += twins.unreported()
    changes += _groups(desired.groups, live.groups, ctx)
    warnings += ctx.lookalikes
    managed = _managed(live)
    plan = Plan.build(
        target,
        changes,
        desired_digest=digest,
        unmanaged={
            "users": len(live.users) - managed["users"],
            "groups": len(live.groups) - managed["groups"],
        },
        managed=managed,
        warnings=tuple(warnings),
    )
    return rename_hints(plan)


def _one_marker_each(desired: Org) -> None:
    """Refuse desired resources that share a key: they would be created with one marker
    (validate refuses them at their places; this holds for any caller of ``diff``)."""
    _keys_unshared("user", desired.users)
    _keys_unshared("group", desired.groups)


def _keys_unshared(kind: str, resources: tuple[R, ...]) -> None:
    keys = [fold(r.key or "") for r in resources]
    if len(set(keys)) == len(keys):
        return
    seen: dict[str, R] = {}
    for resource, key in zip(resources, keys, strict=True):
        first = seen.setdefault(key, resource)
        if first is not resource:
            raise InputError(
                f"desired {kind}s {_name(first)!r} and {_name(resource)!r} share the key "
                f"{resource.key!r}: each needs a key of its own"
            )


def _name(resource: User | Group) -> str:
    return resource.user_name if isinstance(resource, User) else resource.display_name


def _renames(pairs: Iterable[tuple[User, User | None]]) -> frozenset[str]:
    """Keys of the desired users whose live user (owned by key) has another userName."""
    renamed = set()
    for want, have in pairs:
        if (
            have is not None
            and have.user_name != want.user_name  # cheap, and all a plan with no rename needs
            and not same(have.user_name, want.user_name)
        ):
            renamed.add(want.key or "")
    return frozenset(renamed)


def _claim_by_key(
    desired: Iterable[R], index: Index[R], matched: set[str | None]
) -> list[R | None]:
    """Claim (add to ``matched``) every live resource a desired one owns by key, before
    any match by name, so a name can never take a resource that another desired one
    owns. Returns, for each desired resource, the live one it owns (or None)."""
    by_key = index.by_key
    owned = [by_key.get(want.key or "") for want in desired]
    matched.update([have.id for have in owned if have is not None])
    return owned


def _claim(resource: User | Group | None, ctx: Context) -> None:
    if resource is not None and resource.id is not None:
        ctx.matched(resource).add(resource.id)


def _find(want: R, owned: R | None, index: Index[R], ctx: Context) -> tuple[R | None, bool]:
    """The live resource ``want`` maps to (``owned``: the one with its key), and
    whether it is ours."""
    if owned is not None:
        return owned, True
    other = index.by_name.get(fold(_name(want)))
    if other is None or ctx.claimed(other):
        return None, False
    return other, False


def _held(want: R, index: Index[R], ctx: Context) -> Change | None:
    """A conflict row, never a match or a create, when the name of ``want`` (which owns
    no live resource by key) names several live resources, or one that another desired
    resource takes by its key and renames: one person's account would take another's
    name, or a pick among look-alike accounts would be arbitrary."""
    name = fold(_name(want))
    kind = Kind.USER if isinstance(want, User) else Kind.GROUP
    shared = index.shared_names.get(name)
    if shared:
        for resource in shared:
            _claim(resource, ctx)
        listed = ", ".join(f"{_name(r)!r} (id {r.id!r})" for r in shared[:10])
        reason = (
            f"{len(shared)} live {kind}s have this name under the identity rule (they differ "
            f"only in case or Unicode form): {listed}; none is matched, adopted or created "
            "beside until all but one are renamed on the server"
        )
        return Change(kind, Action.CONFLICT, _name(want), want.key).with_status(
            Status.CONFLICT, reason
        )
    other = index.by_name.get(name)
    if other is None or not ctx.claimed(other) or other.key in (None, want.key):
        return None
    reason = (
        f"{_name(other)!r} (id {other.id!r}) is the live {kind} that this plan renames, as "
        f"the desired {kind} keyed {other.key!r}: its account would go to another name and "
        f"a new one be made under this name; if that is meant, rename in one change and "
        "create in the next"
    )
    return Change(kind, Action.CONFLICT, _name(want), want.key).with_status(Status.CONFLICT, reason)


def _lookalike(want: R, index: Index[R], ctx: Context) -> None:
    """Warn when a created resource has a live namesake that only a lenient server would
    take for it (``straße`` and ``strasse``): two names to us, never matched or adopted."""
    other = index.by_loose_name.get(loose(_name(want)))
    if other is None or same(_name(other), _name(want)):
        return
    kind = "user" if isinstance(want, User) else "group"
    ctx.lookalikes.append(
        f"{kind} {_name(want)!r} is created beside the live {kind} {_name(other)!r} "
        f"(id {other.id!r}): they are different names, never matched or adopted for one "
        "another, but a server that folds case fully or applies compatibility mappings "
        "would take them for one and refuse the create; rename one of them if so"
    )


# --- users -----------------------------------------------------------------------------


def _settle_unchanged(desired: Iterable[User], ctx: Context) -> list[tuple[User, User | None]]:
    """Claim the live user each desired one owns by key, and settle the usual case:
    ours, same userName, every written attribute as wanted (decided in C; by identity
    when the reader shared the desired attrs). Returns the others, each with the live
    user it owns (or None), for ``_plan_user``: that runs once every claim is made, so
    a name can never take a live user that another desired one owns."""
    by_key, matched, user_ids = ctx.users.by_key, ctx.matched_users, ctx.user_ids
    rest: list[tuple[User, User | None]] = []
    for want in desired:
        have = by_key.get(want.key or "")
        if have is None:
            rest.append((want, None))
            continue
        matched.add(have.id)
        if have.user_name == want.user_name and (
            have.attrs is want.attrs or want.attrs.items() <= have.attrs.items()
        ):
            user_ids[want.key or ""] = have.id
        else:
            rest.append((want, have))
    return rest


def _plan_user(want: User, owned: User | None, ctx: Context) -> Change | None:
    assert want.key is not None
    if ctx.user_twins and (twin := ctx.user_twins.row(want)) is not None:
        return twin
    if owned is None and (held := _held(want, ctx.users, ctx)) is not None:
        return held
    have, ours = _find(want, owned, ctx.users, ctx)
    if not ours:  # what a key matches was claimed up front (_claim_by_key)
        _claim(have, ctx)
    if have is None:
        ctx.user_ids[want.key] = None
        _lookalike(want, ctx.users, ctx)
        return Change(
            Kind.USER,
            Action.CREATE,
            want.user_name,
            want.key,
            attributes=_user_attrs(want, None, ctx),
            external_id=ctx.marker(want.key),
        )
    if not ours:
        return _collision(want, have, ctx)
    ctx.user_ids[want.key] = have.id
    attrs = _user_attrs(want, have, ctx)
    if not attrs:
        return None
    change = _change(Kind.USER, _update_action(attrs), want, have, attrs)
    holder = _name_holder(want, have, ctx)
    if holder is None:
        return change
    reason = (
        f"cannot rename to {want.user_name!r}: another live user ({holder.user_name!r}) "
        "keeps that userName"
    )
    return replace(change, action=Action.CONFLICT).with_status(Status.CONFLICT, reason)


def _name_holder(want: User, have: User, ctx: Context) -> User | None:
    """Another live user that keeps the userName ``want`` renames ``have`` to."""
    if same(want.user_name, have.user_name):
        return None
    holder = ctx.users.by_name.get(fold(want.user_name))
    if not isinstance(holder, User) or holder.id == have.id:
        return None
    renamed_away = holder.key is not None and holder.key in ctx.renames
    return None if renamed_away else holder


def _unresolved_managers(changes: list[Change], ctx: Context) -> tuple[list[Change], list[str]]:
    """Drop manager references to users in conflict: they cannot be set until adopted."""
    kept: list[Change] = []
    warnings: list[str] = []
    for change in changes:
        manager = next((a for a in change.attributes if a.path == MANAGER), None)
        if manager is None or change.action is Action.CONFLICT or manager.after in ctx.user_ids:
            kept.append(change)
            continue
        warnings.append(
            f"manager of {change.name} is {ctx.names.get(str(manager.after), manager.after)}, "
            "which is in conflict: it is set once that user is adopted"
        )
        rest = tuple(a for a in change.attributes if a is not manager)
        if rest or change.action is not Action.UPDATE:
            kept.append(replace(change, attributes=rest))
    return kept, warnings


def _collision(want: User, have: User, ctx: Context) -> Change:
    """A live user without our marker (or with another key) holds the userName."""
    assert want.key is not None
    attrs = _user_attrs(want, have, ctx)
    if ctx.policy.adopt:
        ctx.user_ids[want.key] = have.id
        change = _change(Kind.USER, Action.ADOPT, want, have, attrs)
        return _with_marker(change, ctx.marker(want.key))
    if have.id is not None:
        ctx.conflicts[want.key] = have.id
    holder = "an unmanaged user" if have.key is None else f"the managed user keyed {have.key!r}"
    reason = f"userName is held by {holder}; adopt it with --adopt or policy adopt: true"
    change = _change(Kind.USER, Action.CONFLICT, want, have, attrs)
    return change.with_status(Status.CONFLICT, reason)


def _with_marker(change: Change, marker: str) -> Change:
    return replace(change, external_id=marker)


def _change(
    kind: Kind,
    action: Action,
    want: User | Group,
    have: User | Group,
    attrs: tuple[AttrChange, ...],
) -> Change:
    return Change(
        kind,
        action,
        _name(want),
        want.key,
        id=have.id,
        attributes=attrs,
        fingerprint=fingerprint(have),
        version=have.version,
    )


def _update_action(attrs: tuple[AttrChange, ...]) -> Action:
    deactivates = any(a.path == "active" and a.after is False for a in attrs)
    return Action.DEACTIVATE if deactivates else Action.UPDATE


def _user_attrs(want: User, have: User | None, ctx: Context) -> tuple[AttrChange, ...]:
    if (
        have is not None
        and want.attrs.items() <= have.attrs.items()
        and (have.user_name == want.user_name or same(have.user_name, want.user_name))
    ):
        return ()  # the usual case, decided in C: every attribute written is as wanted
    changes: list[AttrChange] = []
    if have is None or not same(have.user_name, want.user_name):
        changes.append(AttrChange("userName", have.user_name if have else None, want.user_name))
    current = have.attrs if have else {}
    for path, value in want.attrs.items():
        if path in ctx.unstored:
            continue
        before = current.get(path)
        if before == value or (have is None and path == "active" and value is True):
            continue
        default = path in want.defaults
        if have is not None and before is None:
            if default:
                continue  # a default the server does not keep is not asked for again
            if have.key is not None:
                ctx.absent[path] = ctx.absent.get(path, 0) + 1
        changes.append(AttrChange(path, before, value, default=default))
    return tuple(changes)


def _unkept_hints(live: Iterable[User], ctx: Context, target: str) -> list[str]:
    """A hint for each attribute the YAML writes that no managed live user has at all:
    a server that does not store it would show the same update in every plan."""
    candidates = set(ctx.absent)
    for user in live:
        if not candidates:
            break
        if user.key is not None:
            candidates -= user.attrs.keys()
    return [unkept_hint(path, ctx.absent[path], target) for path in sorted(candidates)]


def unkept_hint(path: str, count: int, target: str) -> str:
    """What to do about ``path`` when the server may not store it."""
    users = "user has" if count == 1 else "users have"
    return (
        f"{count} managed {users} no {path} on the server, and none has one: if target "
        f"{target!r} does not store {path}, every plan will show this update again; stop "
        f"managing it there with {unmanaging_line(path, target)} (apply reports whether "
        "the server keeps what it is sent)"
    )


def _removed_users(live: Iterable[User], ctx: Context) -> Iterator[Change]:
    if not ctx.complete:
        return
    matched, prune = ctx.matched_users, ctx.policy.prune_unmanaged
    for have in live:
        if have.id in matched:  # ctx.claimed(have), inlined: once per live user
            continue
        if have.key is not None or prune:
            change = _removal(have, ctx)
            if change is not None:
                yield change


def _removal(have: User, ctx: Context) -> Change | None:
    attrs: tuple[AttrChange, ...]
    if ctx.policy.on_remove == "delete" or _deactivated_long_enough(have, ctx):
        action, attrs = Action.DELETE, ()
    elif have.active:
        action, attrs = Action.DEACTIVATE, (AttrChange("active", True, False),)
    else:
        return None
    return Change(
        Kind.USER,
        action,
        have.user_name,
        have.key,
        id=have.id,
        attributes=attrs,
        fingerprint=fingerprint(have),
        version=have.version,
    )


def _deactivated_long_enough(have: User, ctx: Context) -> bool:
    after = ctx.policy.delete_after
    if after is None or have.active or not have.last_modified:
        return False
    modified = _parse_time(have.last_modified)
    return modified is not None and (ctx.now - modified).total_seconds() >= after


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- groups ----------------------------------------------------------------------------


def _groups(desired: Iterable[Group], live: Iterable[Group], ctx: Context) -> list[Change]:
    live = tuple(live)
    desired = list(desired)
    twins = Twins.of(Kind.GROUP, live, ctx.policy.marker_prefix)
    index = Index.of(twins.rest(live) if twins else live)
    ctx.matched_groups.update(twins.ids)
    owned = _claim_by_key(desired, index, ctx.matched_groups)
    changes: list[Change] = []
    for want, have in zip(desired, owned, strict=True):
        if twins and (twin := twins.row(want)) is not None:
            changes.append(twin)
            continue
        changes += _plan_group(want, have, index, ctx)
    changes += twins.unreported()
    for have in live if ctx.complete else ():
        if not ctx.claimed(have) and (have.managed or ctx.policy.prune_unmanaged):
            changes.append(
                Change(
                    Kind.GROUP,
                    Action.DELETE,
                    have.display_name,
                    have.key,
                    id=have.id,
                    members=tuple(sorted(_member(uid, ctx) for uid in have.members)),
                    fingerprint=fingerprint(have),
                    version=have.version,
                )
            )
    return changes


def _plan_group(
    want: Group, owned: Group | None, index: Index[Group], ctx: Context
) -> list[Change]:
    assert want.key is not None
    if owned is None and (held := _held(want, index, ctx)) is not None:
        return [held]
    have, ours = _find(want, owned, index, ctx)
    if not ours:  # what a key matches was claimed up front (_claim_by_key)
        _claim(have, ctx)
    if have is None:
        _lookalike(want, index, ctx)
        create = Change(
            Kind.GROUP,
            Action.CREATE,
            want.display_name,
            want.key,
            external_id=ctx.marker(want.key),
        )
        return [create, *_membership(want, None, ctx)]
    attrs = _group_attrs(want, have)
    if not ours:
        if not ctx.policy.adopt:
            holder = "an unmanaged group" if have.key is None else f"the group keyed {have.key!r}"
            reason = f"displayName is held by {holder}; adopt it with --adopt or policy adopt: true"
            change = _change(Kind.GROUP, Action.CONFLICT, want, have, attrs)
            return [change.with_status(Status.CONFLICT, reason)]
        adopt = _with_marker(
            _change(Kind.GROUP, Action.ADOPT, want, have, attrs), ctx.marker(want.key)
        )
        return [adopt, *_membership(want, have, ctx)]
    head = [_change(Kind.GROUP, Action.UPDATE, want, have, attrs)] if attrs else []
    return head + list(_membership(want, have, ctx))


def _group_attrs(want: Group, have: Group) -> tuple[AttrChange, ...]:
    if want.display_name == have.display_name:
        return ()
    return (AttrChange("displayName", have.display_name, want.display_name),)


_UNRESOLVED: Any = object()
"""The live id of a desired member that has none: it is in conflict (its row says so)."""


def _membership(want: Group, have: Group | None, ctx: Context) -> Iterator[Change]:
    current = have.members if have else frozenset()
    ended = _ended(want, ctx.now) if want.until else {}
    members = want.members - ended.keys() if ended else want.members
    get = ctx.user_ids.get
    # One look-up per member: its live id, None when this plan creates it, or _UNRESOLVED.
    # Any order will do: the members of a change are sorted below.
    ids: list[str | None] = [get(key, _UNRESOLVED) for key in members]
    wanted_ids = set(ids)
    creates = None in wanted_ids
    wanted_ids.discard(None)
    wanted_ids.discard(_UNRESOLVED)
    conflicts = ctx.conflicts
    held = {conflicts[key] for key in members if key in conflicts} if conflicts else set()
    if ctx.user_twins:
        held |= ctx.user_twins.ids
    adds: list[Member] = []
    if creates or not wanted_ids <= current:
        until = want.until.get
        adds = [
            Member(ctx.names.get(key, key), key, user_id, until(key))
            for key, user_id in zip(members, ids, strict=True)
            if user_id is None or (user_id is not _UNRESOLVED and user_id not in current)
        ]
    expiring = _expiring(ended, current, ctx) if ended and ctx.complete else []
    held |= {m.id for m in expiring if m.id is not None}
    removes: list[Member] = []
    if want.membership == "authoritative" and ctx.complete:
        removes = sorted(_member(uid, ctx) for uid in current - wanted_ids - held)
    for action, changed in (
        (Action.ADD_MEMBERS, adds),
        (Action.REMOVE_MEMBERS, removes),
        (Action.EXPIRE_MEMBERS, expiring),
    ):
        if changed:
            yield Change(
                Kind.GROUP,
                action,
                want.display_name,
                want.key,
                id=have.id if have else None,
                members=tuple(sorted(changed)),
                fingerprint=fingerprint(have) if have else None,
                version=have.version if have else None,
            )


def _ended(want: Group, now: datetime) -> dict[str, str]:
    """Member key → end, of the temporary members of ``want`` whose end has passed."""
    return {key: end for key, end in want.until.items() if expired(parse_end(end), now)}


def _expiring(ended: dict[str, str], current: frozenset[str], ctx: Context) -> list[Member]:
    """The expired members the server still lists: removed whatever ``membership`` says."""
    found = []
    for key, end in ended.items():
        user_id = ctx.user_ids.get(key)
        if user_id is not None and user_id in current:
            found.append(Member(ctx.names.get(key, key), key, user_id, end))
    return found


def _member(user_id: str, ctx: Context) -> Member:
    user = ctx.users.by_id.get(user_id)
    if user is None:
        return Member(user_id, "", user_id)
    return Member(_name(user), user.key or "", user_id)


# --- counts ----------------------------------------------------------------------------


def _managed(live: Org) -> dict[str, int]:
    groups = [g for g in live.groups if g.key is not None]
    users = [u for u in live.users if u.key is not None]
    return {
        "users": len(users),
        "active_users": sum(1 for u in users if u.active),
        "groups": len(groups),
        "memberships": sum(len(g.members) for g in groups),
    }
