"""Two live resources with one ownership marker (or two managed groups with one name)
are a conflict a person resolves: the diff never picks one, and writes neither."""

from __future__ import annotations

from reconciler.model import Group, Org, User, flat_attributes
from reconciler.plan.diff import diff
from reconciler.plan.model import Action, Change, Plan, Status
from reconciler.policy import Policy

POLICY = Policy()


def desired_user(name: str, **core: object) -> User:
    return User(name, name.casefold(), flat_attributes(core, {}))


def live_user(name: str, uid: str, key: str, **core: object) -> User:
    return User(name, key, flat_attributes(core, {}), id=uid, external_id=f"scimctl:{key}")


def live_group(name: str, gid: str, key: str, *members: str) -> Group:
    return Group(name, key, frozenset(members), id=gid, external_id=f"scimctl:{key}")


def touched(plan: Plan) -> set[str]:
    """Every live id a planned row would write: the row's own, and its members'."""
    ids: set[str] = set()
    for change in plan.executable:
        ids |= {change.id} if change.id else set()
        ids |= {m.id for m in change.members if m.id}
    return ids


def conflict(plan: Plan, name: str) -> Change:
    (row,) = [c for c in plan.changes if c.name == name and c.action is Action.CONFLICT]
    assert row.status is Status.CONFLICT
    return row


ALICE = live_user("alice@example.com", "u-alice", "alice@example.com", title="CEO")
MALLORY = live_user("mallory@example.com", "u-mallory", "alice@example.com", title="Intern")
BOB = live_user("bob@example.com", "u-bob", "bob@example.com")


def test_a_marker_on_two_users_is_a_conflict_naming_both_and_neither_is_written() -> None:
    """The real alice and mallory@ (listed second) both carry scimctl:alice@example.com."""
    desired = Org(
        users=(desired_user("alice@example.com", title="CEO"), desired_user("bob@example.com")),
        groups=(Group("admins", "admins", frozenset({"alice@example.com", "bob@example.com"})),),
    )
    live = Org(
        users=(ALICE, MALLORY, BOB),
        groups=(live_group("admins", "g-admins", "admins", "u-alice"),),
    )
    plan = diff(desired, live, POLICY)
    row = conflict(plan, "alice@example.com")
    for text in ("'alice@example.com' (id 'u-alice')", "'mallory@example.com' (id 'u-mallory')"):
        assert text in (row.reason or "")
    assert "scimctl:alice@example.com" in (row.reason or "")
    assert not touched(plan) & {"u-alice", "u-mallory"}
    assert [(c.action, c.name) for c in plan.executable] == [(Action.ADD_MEMBERS, "admins")]


def test_twins_left_out_of_the_yaml_are_neither_deactivated_nor_deleted() -> None:
    live = Org(users=(ALICE, MALLORY), groups=(live_group("g", "g1", "g", "u-alice"),))
    plan = diff(Org(groups=(Group("g", "g", frozenset()),)), live, Policy(on_remove="delete"))
    conflict(plan, "alice@example.com")
    assert plan.executable == ()


def test_another_desired_user_named_like_a_twin_is_a_conflict_not_a_create() -> None:
    desired = Org(users=(desired_user("alice@example.com"), desired_user("mallory@example.com")))
    plan = diff(desired, Org(users=(ALICE, MALLORY)), Policy(adopt=True))
    assert conflict(plan, "mallory@example.com")
    assert plan.executable == ()


def test_two_copies_of_a_group_left_by_a_race_are_reported_and_neither_is_touched() -> None:
    """Two applies at once each created 'eng': no copy is picked, updated or deleted."""
    users = (BOB, live_user("carol@x.com", "u-carol", "carol@x.com"))
    copies = (live_group("eng", "g1", "eng", "u-bob"), live_group("eng", "g2", "eng"))
    desired = Org(
        users=(desired_user("bob@example.com"), desired_user("carol@x.com")),
        groups=(Group("eng", "eng", frozenset({"carol@x.com"})),),
    )
    plan = diff(desired, Org(users=users, groups=copies), POLICY)
    row = conflict(plan, "eng")
    assert "'eng' (id 'g1')" in (row.reason or "") and "'eng' (id 'g2')" in (row.reason or "")
    assert plan.executable == ()
    gone = diff(Org(users=desired.users), Org(users=users, groups=copies), POLICY)
    conflict(gone, "eng")
    assert gone.executable == ()


def test_two_managed_groups_with_one_name_are_a_conflict() -> None:
    copies = (live_group("eng", "g1", "eng"), live_group("Eng", "g2", "eng-2"))
    plan = diff(Org(groups=(Group("eng", "eng", frozenset()),)), Org(groups=copies), POLICY)
    row = conflict(plan, "eng")
    assert "'Eng' (id 'g2')" in (row.reason or "")
    assert plan.executable == ()


def test_a_marker_copied_onto_many_users_names_ten_and_counts_the_rest() -> None:
    copies = tuple(live_user(f"u{i:03}@x.com", f"id{i:03}", "al@x.com") for i in range(500))
    (row,) = diff(Org(), Org(users=copies), POLICY).changes
    assert "'u009@x.com' (id 'id009') and 490 more" in (row.reason or "")
    assert "u010@x.com" not in (row.reason or "")


def test_a_rename_onto_a_twins_name_is_a_conflict() -> None:
    carol = User("carol@x.com", "E7", id="u-carol", external_id="scimctl:E7")
    plan = diff(
        Org(users=(User("mallory@example.com", "E7"),)),
        Org(users=(ALICE, MALLORY, carol)),
        POLICY,
    )
    row = conflict(plan, "mallory@example.com")
    assert "its name is held by the live user 'mallory@example.com'" in (row.reason or "")
    assert plan.executable == ()
