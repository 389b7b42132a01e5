"""The pure diff, on in-memory orgs: no HTTP, no mocks."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.model import Group, Org, User, flat_attributes
from reconciler.plan.diff import diff
from reconciler.plan.model import Action, Status
from reconciler.policy import Policy

POLICY = Policy()


def desired_user(name: str, key: str | None = None, **core: object) -> User:
    return User(name, key or name.casefold(), flat_attributes(core, {}))


def live_user(name: str, uid: str, key: str | None = None, **core: object) -> User:
    marker = f"scimctl:{key}" if key else None
    return User(name, key, flat_attributes(core, {}), id=uid, external_id=marker)


def actions(plan):  # type: ignore[no-untyped-def]
    return [(c.action, c.name) for c in plan.changes]


def test_empty_orgs_give_an_empty_plan() -> None:
    plan = diff(Org(), Org(), POLICY)
    assert plan.changes == ()
    assert not plan.has_changes


def test_new_user_is_created_with_marker_and_attributes() -> None:
    plan = diff(Org(users=(desired_user("alice@x.com", title="Eng"),)), Org(), POLICY)
    (change,) = plan.changes
    assert change.action is Action.CREATE
    assert change.external_id == "scimctl:alice@x.com"
    assert {a.path: a.after for a in change.attributes} == {
        "userName": "alice@x.com",
        "title": "Eng",
    }


def test_matching_user_gives_no_change_and_username_case_is_ignored() -> None:
    want = desired_user("Alice@X.com", title="Eng")
    have = live_user("alice@x.com", "1", "alice@x.com", title="Eng", nickName="al")
    plan = diff(Org(users=(want,)), Org(users=(have,)), POLICY)
    assert plan.changes == ()


def test_only_attributes_written_in_yaml_are_compared() -> None:
    want = desired_user("a@x.com", title="Eng")
    have = live_user("a@x.com", "1", "a@x.com", title="Ops", locale="fr")
    (change,) = diff(Org(users=(want,)), Org(users=(have,)), POLICY).changes
    assert change.action is Action.UPDATE
    assert [(a.path, a.before, a.after) for a in change.attributes] == [("title", "Ops", "Eng")]


def test_emails_compare_as_sets_with_primary() -> None:
    emails = [{"value": "a@x.com", "type": "work", "primary": True}, {"value": "b@x.com"}]
    want = desired_user("a@x.com", emails=emails)
    have = live_user("a@x.com", "1", "a@x.com", emails=list(reversed(emails)))
    assert diff(Org(users=(want,)), Org(users=(have,)), POLICY).changes == ()
    moved = [{"value": "a@x.com", "type": "work"}, {"value": "b@x.com", "primary": True}]
    have2 = live_user("a@x.com", "1", "a@x.com", emails=moved)
    (change,) = diff(Org(users=(want,)), Org(users=(have2,)), POLICY).changes
    assert change.attributes[0].path == "emails"


def test_rename_with_explicit_key_is_an_update_of_username() -> None:
    want = desired_user("new@x.com", key="E1")
    have = live_user("old@x.com", "1", "E1")
    (change,) = diff(Org(users=(want,)), Org(users=(have,)), POLICY).changes
    assert change.action is Action.UPDATE
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        ("userName", "old@x.com", "new@x.com")
    ]


def test_removed_user_is_deactivated_by_default_and_deleted_on_policy() -> None:
    have = live_user("gone@x.com", "1", "gone@x.com")
    (change,) = diff(Org(), Org(users=(have,)), POLICY).changes
    assert (change.action, change.id) == (Action.DEACTIVATE, "1")
    (change,) = diff(Org(), Org(users=(have,)), Policy(on_remove="delete")).changes
    assert change.action is Action.DELETE


def test_already_inactive_removed_user_is_left_until_delete_after() -> None:
    stale = User(
        "gone@x.com",
        "gone@x.com",
        {"active": False},
        id="1",
        last_modified="2026-01-01T00:00:00Z",
    )
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert diff(Org(), Org(users=(stale,)), POLICY, now=now).changes == ()
    policy = Policy(delete_after=30 * 86400)
    (change,) = diff(Org(), Org(users=(stale,)), policy, now=now).changes
    assert change.action is Action.DELETE
    recent = Policy(delete_after=90 * 86400)
    assert diff(Org(), Org(users=(stale,)), recent, now=now).changes == ()


def test_unmanaged_user_is_never_touched() -> None:
    stranger = live_user("stranger@x.com", "9")
    plan = diff(Org(), Org(users=(stranger,)), Policy(on_remove="delete"))
    assert plan.changes == ()
    assert plan.unmanaged == {"users": 1, "groups": 0}


def test_collision_with_unmanaged_user_is_a_conflict_or_an_adoption() -> None:
    want = desired_user("bob@x.com", title="Eng")
    have = live_user("BOB@x.com", "7", title="Ops")
    (change,) = diff(Org(users=(want,)), Org(users=(have,)), POLICY).changes
    assert (change.action, change.status) == (Action.CONFLICT, Status.CONFLICT)
    (change,) = diff(Org(users=(want,)), Org(users=(have,)), Policy(adopt=True)).changes
    assert change.action is Action.ADOPT
    assert change.external_id == "scimctl:bob@x.com"
    assert change.id == "7"


def test_membership_adds_and_authoritative_removes() -> None:
    users = (live_user("a@x.com", "1", "a@x.com"), live_user("b@x.com", "2", "b@x.com"))
    want = Org(
        users=(desired_user("a@x.com"), desired_user("b@x.com"), desired_user("c@x.com")),
        groups=(Group("eng", "eng", frozenset({"a@x.com", "c@x.com"})),),
    )
    live = Org(
        users=users,
        groups=(Group("eng", "eng", frozenset({"2"}), id="g", external_id="scimctl:eng"),),
    )
    plan = diff(want, live, POLICY)
    by_action = {c.action: c for c in plan.changes if c.kind == "group"}
    added = by_action[Action.ADD_MEMBERS].members
    assert [(m.user_name, m.id) for m in added] == [("a@x.com", "1"), ("c@x.com", None)]
    removed = by_action[Action.REMOVE_MEMBERS].members
    assert [(m.user_name, m.id) for m in removed] == [("b@x.com", "2")]
    assert plan.summary().memberships == 3


def test_additive_group_never_removes_members() -> None:
    users = (live_user("b@x.com", "2", "b@x.com"),)
    want = Org(
        users=(desired_user("b@x.com"),),
        groups=(Group("eng", "eng", frozenset(), membership="additive"),),
    )
    live = Org(users=users, groups=(Group("eng", "eng", frozenset({"2"}), id="g"),))
    assert diff(want, live, POLICY).changes == ()


def test_removed_group_is_deleted_and_unmanaged_group_left() -> None:
    live = Org(groups=(Group("old", "old", id="g1"), Group("theirs", None, id="g2")))
    plan = diff(Org(), live, POLICY)
    assert actions(plan) == [(Action.DELETE, "old")]


def test_incomplete_listing_plans_no_removals() -> None:
    live = Org(
        users=(live_user("gone@x.com", "1", "gone@x.com"),), groups=(Group("old", "old", id="g1"),)
    )
    assert diff(Org(), live, POLICY, complete=False).changes == ()


def test_user_and_group_ids_may_collide_without_confusion() -> None:
    live = Org(
        users=(live_user("a@x.com", "1", "a@x.com"),),
        groups=(Group("eng", "eng", frozenset({"1"}), id="1"),),
    )
    want = Org(
        users=(desired_user("a@x.com"),), groups=(Group("eng", "eng", frozenset({"a@x.com"})),)
    )
    assert diff(want, live, POLICY).changes == ()


def test_plan_round_trips_through_its_dict() -> None:
    from reconciler.plan.model import Plan

    want = Org(users=(desired_user("a@x.com", emails=[{"value": "a@x.com", "primary": True}]),))
    plan = diff(want, Org(), POLICY, target="t")
    assert Plan.from_dict(plan.to_dict()) == plan
