"""Issue 5, item 8: properties of the diff and of applying it, for generated orgs.

Hypothesis draws a desired org and a live one from small pools of names and keys (so
that collisions, renames with explicit keys, conflicts with unmanaged users, additive
and authoritative groups, dangling members and deactivated users all come up), and a
policy (adopt or not, deactivate or delete). The plan is applied to an in-memory
server that refuses what a SCIM server refuses (a second user of a userName). Then:

* no unmanaged user or group is changed or removed, unless the plan adopts it;
* every desired user and group that is not in conflict is there, as desired;
* no managed user the desired state does not name is left active;
* when the server refused nothing, a second diff has nothing left to execute.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from reconciler.model import Group, Org, User, flat_attributes, group_key, user_key
from reconciler.plan.diff import diff
from reconciler.plan.model import Action, Change, Kind, Plan, Status
from reconciler.policy import Policy

PREFIX = "scimctl:"
NAMES = ("ann", "bob", "cyd", "dee", "eve")
GROUP_NAMES = ("eng", "ops", "all")
USER_KEYS = ("E1", "E2", "E3")
GROUP_KEYS = ("G1", "G2")
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- generating orgs -----------------------------------------------------------------------


def _spelling(draw: st.DrawFn, name: str) -> str:
    return draw(st.sampled_from((name, name.upper(), name.title())))


def _core(draw: st.DrawFn, user_name: str) -> dict[str, Any]:
    core: dict[str, Any] = {}
    if draw(st.booleans()):
        core["title"] = draw(st.sampled_from(("Eng", "Ops")))
    if draw(st.booleans()):
        core["active"] = draw(st.booleans())
    if draw(st.booleans()):
        primary = draw(st.booleans())
        core["emails"] = [{"value": user_name.lower(), "type": "work", "primary": primary}]
    return core


@st.composite
def desired_orgs(draw: st.DrawFn) -> Org:
    keys = iter(draw(st.permutations(USER_KEYS)))
    users = []
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4)):
        user_name = _spelling(draw, name) + "@x.com"
        explicit = next(keys, None) if draw(st.booleans()) else None
        key = explicit or user_key(user_name)
        users.append(User(user_name, key, flat_attributes(_core(draw, user_name), {})))
    group_keys = iter(draw(st.permutations(GROUP_KEYS)))
    groups = []
    for name in draw(st.lists(st.sampled_from(GROUP_NAMES), unique=True, max_size=3)):
        display = _spelling(draw, name)
        explicit = next(group_keys, None) if draw(st.booleans()) else None
        members = draw(st.frozensets(st.sampled_from([u.key for u in users]))) if users else ()
        membership = draw(st.sampled_from(("authoritative", "additive")))
        key = explicit or group_key(display)
        groups.append(Group(display, key, frozenset(members), membership))
    return Org(tuple(users), tuple(groups))


@st.composite
def live_orgs(draw: st.DrawFn, desired: Org) -> Org:
    """A server: unique ids and userNames, each resource unmanaged or marked with a key
    (often one the desired state uses, sometimes a stranger's)."""
    user_pool = [u.key for u in desired.users if u.key] + ["E9", "gone@x.com"]
    keys = iter(draw(st.permutations(sorted(set(user_pool)))))
    users = []
    for index, name in enumerate(draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=5))):
        user_name = _spelling(draw, name) + "@x.com"
        key = next(keys, None) if draw(st.booleans()) else None
        foreign = draw(st.sampled_from((None, "other-tool:7")))
        external = PREFIX + key if key else foreign
        attrs = flat_attributes(_core(draw, user_name), {})
        users.append(User(user_name, key, attrs, id=f"u{index}", external_id=external))
    ids = [u.id for u in users if u.id] + ["dangling"]
    group_pool = [g.key for g in desired.groups if g.key] + ["G9"]
    group_keys = iter(draw(st.permutations(sorted(set(group_pool)))))
    groups = []
    for index, name in enumerate(
        draw(st.lists(st.sampled_from(GROUP_NAMES), unique=True, max_size=3))
    ):
        key = next(group_keys, None) if draw(st.booleans()) else None
        members = draw(st.frozensets(st.sampled_from(ids)))
        display = _spelling(draw, name)
        external = PREFIX + key if key else None
        groups.append(Group(display, key, members, id=f"g{index}", external_id=external))
    return Org(tuple(users), tuple(groups))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Org, Org, Policy]:
    desired = draw(desired_orgs())
    live = draw(live_orgs(desired))
    on_remove = draw(st.sampled_from(("deactivate", "delete")))
    policy = Policy(adopt=draw(st.booleans()), on_remove=on_remove)
    return desired, live, policy


# --- an in-memory server ----------------------------------------------------------------------


def _key(external_id: str | None) -> str | None:
    if external_id and external_id.startswith(PREFIX) and len(external_id) > len(PREFIX):
        return external_id[len(PREFIX) :]
    return None


@dataclass
class Memory:
    """Users and groups by id, as a SCIM server holds them; it refuses a second user of a
    userName (409), as every SCIM server must."""

    users: dict[str, User]
    groups: dict[str, Group]
    created: dict[tuple[Kind, str], str] = field(default_factory=dict)
    refused: list[Change] = field(default_factory=list)
    ids: Iterable[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def of(cls, live: Org) -> Memory:
        return cls({u.id or "": u for u in live.users}, {g.id or "": g for g in live.groups})

    def org(self) -> Org:
        return Org(tuple(self.users.values()), tuple(self.groups.values()))

    def _taken(self, user_name: str, besides: str | None = None) -> bool:
        folded = user_name.casefold()
        return any(u.user_name.casefold() == folded and i != besides for i, u in self.users.items())

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-new{next(iter(self.ids))}"

    def user(self, change: Change) -> None:
        values = {a.path: a.after for a in change.attributes}
        name = values.pop("userName", None)
        if change.action is Action.CREATE:
            if self._taken(change.name):
                self.refused.append(change)
                return
            new_id = self._new_id("u")
            attrs = flat_attributes({}, {}) | values
            key = _key(change.external_id)
            self.users[new_id] = User(change.name, key, attrs, new_id, change.external_id)
            self.created[(Kind.USER, change.key or "")] = new_id
            return
        assert change.id in self.users, change
        have = self.users[change.id]
        if change.action is Action.DELETE:
            del self.users[change.id]  # as scim2-server: its memberships are left dangling
            return
        if name is not None and self._taken(name, besides=change.id):
            self.refused.append(change)
            return
        updated = have._replace(user_name=name or have.user_name, attrs={**have.attrs, **values})
        if change.action is Action.ADOPT:
            updated = updated._replace(key=_key(change.external_id), external_id=change.external_id)
        self.users[change.id] = updated

    def group(self, change: Change) -> None:
        if change.action is Action.CREATE:
            new_id = self._new_id("g")
            self.groups[new_id] = Group(
                change.name, _key(change.external_id), id=new_id, external_id=change.external_id
            )
            self.created[(Kind.GROUP, change.key or "")] = new_id
            return
        group_id = change.id or self.created.get((Kind.GROUP, change.key or ""))
        assert group_id in self.groups, change
        have = self.groups[group_id]
        if change.action is Action.DELETE:
            del self.groups[group_id]
        elif change.action in (Action.ADD_MEMBERS, Action.REMOVE_MEMBERS):
            ids = {m.id or self.created.get((Kind.USER, m.key)) for m in change.members}
            ids.discard(None)
            members = (
                have.members | ids if change.action is Action.ADD_MEMBERS else have.members - ids
            )
            self.groups[group_id] = have._replace(members=frozenset(i for i in members if i))
        else:
            values = {a.path: a.after for a in change.attributes}
            updated = have._replace(display_name=values.get("displayName", have.display_name))
            if change.action is Action.ADOPT:
                marker = change.external_id
                updated = updated._replace(key=_key(marker), external_id=marker)
            self.groups[group_id] = updated


PHASES = (
    (Kind.USER, (Action.ADOPT, Action.UPDATE, Action.DEACTIVATE)),
    (Kind.USER, (Action.CREATE,)),
    (Kind.GROUP, (Action.CREATE, Action.ADOPT, Action.UPDATE)),
    (Kind.GROUP, (Action.ADD_MEMBERS, Action.REMOVE_MEMBERS)),
    (Kind.USER, (Action.DELETE,)),
    (Kind.GROUP, (Action.DELETE,)),
)


def apply(plan: Plan, live: Org) -> Memory:
    """The plan's executable changes, in the executor's phase order, on ``live``."""
    memory = Memory.of(live)
    for kind, actions in PHASES:
        for change in plan.executable:
            if change.kind is kind and change.action in actions:
                (memory.user if kind is Kind.USER else memory.group)(change)
    return memory


# --- the properties -----------------------------------------------------------------------


def _touched_ids(plan: Plan, action: Action) -> set[str]:
    return {c.id for c in plan.executable if c.action is action and c.id}


def _in_conflict(plan: Plan, kind: Kind) -> set[str]:
    return {c.key or "" for c in plan.changes if c.kind is kind and c.status is Status.CONFLICT}


def swapped_claim(desired: Org, live: Org) -> bool:
    """A live user (or group) whose marker names one desired resource while its name is
    another's. The diff claims live resources in the order of the desired ones, so the
    name could win over the key; ``test_a_key_match_wins_over_a_name_match`` pins the fix."""
    pairs: list[tuple[Iterable[User | Group], Iterable[User | Group]]] = [
        (desired.users, live.users),
        (desired.groups, live.groups),
    ]
    for wanted, present in pairs:
        for have in present:
            by_key = [w for w in wanted if have.key is not None and w.key == have.key]
            by_name = [w for w in wanted if _name(w).casefold() == _name(have).casefold()]
            if by_key and by_name and by_key != by_name:
                return True
    return False


def _name(resource: User | Group) -> str:
    return resource.user_name if isinstance(resource, User) else resource.display_name


def check_properties(desired: Org, live: Org, policy: Policy) -> None:
    assume(not swapped_claim(desired, live))
    plan = diff(desired, live, policy)
    memory = apply(plan, live)
    after = memory.org()
    users_after = {u.id: u for u in after.users}
    groups_after = {g.id: g for g in after.groups}
    adopted = _touched_ids(plan, Action.ADOPT)

    # 1. unmanaged resources: untouched (the very same object), unless adopted
    for user in live.users:
        if user.key is None and user.id not in adopted:
            assert users_after.get(user.id) is user, f"unmanaged user {user.user_name} changed"
    for group in live.groups:
        if group.key is None and group.id not in adopted:
            assert groups_after.get(group.id) is group, f"unmanaged group {group.display_name}"
    assert not policy.prune_unmanaged

    # 2. no change at all to a resource in conflict
    conflicted_ids = {c.id for c in plan.changes if c.status is Status.CONFLICT}
    assert not conflicted_ids & {c.id for c in plan.executable if c.id}

    # 3. every desired user not in conflict is there, as desired
    by_key = {u.key: u for u in after.users if u.key}
    refused_keys = {c.key for c in memory.refused}
    for want in desired.users:
        if want.key in _in_conflict(plan, Kind.USER) or want.key in refused_keys:
            continue
        have = by_key.get(want.key)
        assert have is not None, f"desired user {want.user_name} ({want.key}) is missing"
        assert have.user_name.casefold() == want.user_name.casefold()
        for path, value in want.attrs.items():
            assert have.attrs.get(path, True if path == "active" else None) == value, path

    # 4. every desired group not in conflict is there, with the desired members
    groups_by_key = {g.key: g for g in after.groups if g.key}
    users_by_id_key = {u.id: u.key for u in after.users}
    for want_group in desired.groups:
        if want_group.key in _in_conflict(plan, Kind.GROUP):
            continue
        got = groups_by_key.get(want_group.key)
        assert got is not None, f"desired group {want_group.display_name} is missing"
        member_keys = {users_by_id_key.get(i) for i in got.members}
        settled = {
            k
            for k in want_group.members
            if k not in _in_conflict(plan, Kind.USER) and k not in refused_keys
        }
        assert settled <= member_keys, f"{want_group.display_name}: members missing"
        if want_group.membership == "authoritative" and not memory.refused:
            # a member in conflict with a desired member is neither added nor removed
            kept = {users_by_id_key.get(i) for i in got.members - conflicted_ids}
            extra = kept - set(want_group.members)
            assert not extra, f"{want_group.display_name}: {extra} should have been removed"

    # 5. no managed user that the desired state does not name is left active
    names = {u.user_name.casefold() for u in desired.users}
    keys = {u.key for u in desired.users}
    for user in live.users:
        if user.key is None or user.key in keys or user.user_name.casefold() in names:
            continue
        now = users_after.get(user.id)
        assert now is None or not now.active, f"{user.user_name} is still active"
        if policy.on_remove == "delete":
            assert now is None

    # 6. converged: a second diff has nothing left to execute, but for a rename that was in
    # conflict with a user this plan removed; that one goes through on the next run, after
    # which nothing is left.
    if not memory.refused:
        again = diff(desired, after, policy)
        waiting = {c.key for c in plan.changes if (c.reason or "").startswith("cannot rename")}
        assert {c.key for c in again.executable} <= waiting, again.executable
        if again.executable:
            final = apply(again, after).org()
            assert diff(desired, final, policy).executable == ()


@SETTINGS
@given(cases())
def test_applying_the_plan_reaches_the_desired_state_and_touches_nothing_unmanaged(
    case: tuple[Org, Org, Policy],
) -> None:
    check_properties(*case)


@SETTINGS
@given(cases())
@example(
    (
        Org((User("ann@x.com", "E1", flat_attributes({}, {})),)),
        Org(
            (
                User("bob@x.com", "E1", flat_attributes({}, {}), "u0", "scimctl:E1"),
                User("ANN@x.com", None, flat_attributes({}, {}), "u1", None),
            )
        ),
        Policy(),
    )
)
def test_the_server_refuses_only_renames_onto_a_taken_name(case: tuple[Org, Org, Policy]) -> None:
    """What the in-memory server refuses (what a real one answers 409 to) is a rename of
    a managed user onto a userName another live user keeps, or the create of a name
    that such a refused rename did not free. The diff now plans such a rename as a
    conflict (see the test below), so nothing at all is refused."""
    desired, live, policy = case
    assume(not swapped_claim(desired, live))
    plan = diff(desired, live, policy)
    refused = apply(plan, live).refused
    stuck = {c.id for c in refused if c.action is not Action.CREATE}
    holders = {u.user_name.casefold(): u.id for u in live.users}
    for change in refused:
        if change.action is Action.CREATE:
            assert holders.get(change.name.casefold()) in stuck, change
        else:
            assert any(a.path == "userName" for a in change.attributes), change


def test_a_rename_onto_a_taken_user_name_is_a_conflict_at_plan_time() -> None:
    desired = Org((User("ann@x.com", "E1", flat_attributes({}, {})),))
    live = Org(
        (
            User("bob@x.com", "E1", flat_attributes({}, {}), "u0", "scimctl:E1"),
            User("ANN@x.com", None, flat_attributes({}, {}), "u1", None),
        )
    )
    plan = diff(desired, live, Policy())
    assert [(c.action, c.status) for c in plan.changes] == [(Action.CONFLICT, Status.CONFLICT)]


def test_a_key_match_wins_over_a_name_match() -> None:
    """bob (by key) owns live u0, which is still called ann: u0 is renamed to bob. ann
    (a new user) never takes u0, and is not created beside it in the same plan either:
    one account would go to another name while a new one takes its name, which is how a
    borrowed key moves a person's account (issue 17); ann is a conflict until the rename
    is applied."""
    desired = Org(
        (
            User("ann@x.com", "ann@x.com", flat_attributes({}, {})),
            User("bob@x.com", "bob@x.com", flat_attributes({}, {})),
        )
    )
    live = Org(
        (User("ann@x.com", "bob@x.com", flat_attributes({}, {}), "u0", "scimctl:bob@x.com"),)
    )
    plan = diff(desired, live, Policy())
    assert sorted((c.action, c.name) for c in plan.changes) == [
        (Action.CONFLICT, "ann@x.com"),
        (Action.UPDATE, "bob@x.com"),
    ]


def test_a_member_in_conflict_is_not_removed_from_its_group() -> None:
    """The YAML puts bob in eng; the live bob is unmanaged (a conflict to adopt) and is
    already in eng. Removing him would act on the conflict the plan says it leaves alone."""
    desired = Org(
        (User("bob@x.com", "bob@x.com", flat_attributes({}, {})),),
        (Group("eng", "eng", frozenset({"bob@x.com"})),),
    )
    live = Org(
        (User("bob@x.com", None, flat_attributes({}, {}), "u1"),),
        (Group("eng", "eng", frozenset({"u1"}), id="g1", external_id="scimctl:eng"),),
    )
    plan = diff(desired, live, Policy())
    assert [c.action for c in plan.changes] == [Action.CONFLICT]
