"""A group renamed without its stable key: the plan deletes one group and creates
another, and says that it looks like a rename and how to keep the group."""

from __future__ import annotations

from reconciler.model import Group, Org, User
from reconciler.plan.diff import diff
from reconciler.plan.model import Action, Change, Kind, Plan
from reconciler.policy import Policy

POLICY = Policy()
PEOPLE = ("ada@x.com", "bob@x.com", "cy@x.com", "di@x.com")
KEEP = "set `externalId: platform` on the new entry"


def desired(groups: dict[str, tuple[str, ...]], keys: dict[str, str] | None = None) -> Org:
    users = tuple(User(name, name) for name in PEOPLE)
    chosen = keys or {}
    made = tuple(
        Group(name, chosen.get(name, name), frozenset(members)) for name, members in groups.items()
    )
    return Org(users=users, groups=made)


def live(groups: dict[str, tuple[str, ...]]) -> Org:
    """The org as the server holds it, every user and group ours; a user's id is u-<name>."""
    users = tuple(User(n, n, id=f"u-{n}", external_id=f"scimctl:{n}") for n in PEOPLE)
    made = tuple(
        Group(
            name,
            name,
            frozenset(f"u-{m}" for m in members),
            id=f"g-{name}",
            external_id=f"scimctl:{name}",
        )
        for name, members in groups.items()
    )
    return Org(users=users, groups=made)


def row(plan: Plan, action: Action, name: str) -> Change:
    (found,) = [c for c in plan.changes if c.kind is Kind.GROUP and c.action is action]
    assert found.name == name
    return found


def test_a_renamed_group_without_its_key_is_called_a_rename_on_both_rows() -> None:
    three = PEOPLE[:3]
    plan = diff(desired({"platform-eng": three}), live({"platform": three}), POLICY)

    deleted = row(plan, Action.DELETE, "platform")
    created = row(plan, Action.CREATE, "platform-eng")
    (hint,) = deleted.notes
    assert "looks like a rename to 'platform-eng'" in hint
    assert "3 of its 3 members" in hint
    assert KEEP in hint
    (hint,) = created.notes
    assert "looks like a rename of 'platform'" in hint
    assert KEEP in hint
    assert row(plan, Action.ADD_MEMBERS, "platform-eng").notes == ()


def test_most_members_the_same_is_still_a_rename() -> None:
    plan = diff(
        desired({"platform-eng": PEOPLE[:4]}), live({"platform": PEOPLE[:3]}), POLICY
    )  # one member joins in the same change
    assert KEEP in row(plan, Action.DELETE, "platform").notes[0]


def test_no_hint_when_the_members_differ_entirely() -> None:
    plan = diff(desired({"platform-eng": PEOPLE[:2]}), live({"platform": PEOPLE[2:]}), POLICY)
    assert all(c.notes == () for c in plan.changes)


def test_no_hint_when_only_a_few_members_are_shared() -> None:
    plan = diff(desired({"platform-eng": PEOPLE[:1]}), live({"platform": PEOPLE}), POLICY)
    assert all(c.notes == () for c in plan.changes)


def test_no_hint_for_groups_without_members() -> None:
    plan = diff(desired({"platform-eng": ()}), live({"platform": ()}), POLICY)
    assert all(c.notes == () for c in plan.changes)


def test_a_deleted_group_is_paired_with_one_created_group_the_closest() -> None:
    plan = diff(
        desired({"platform-a": PEOPLE[:2], "platform-b": PEOPLE[:3]}),
        live({"platform": PEOPLE[:3]}),
        POLICY,
    )
    (hint,) = row(plan, Action.DELETE, "platform").notes
    assert "rename to 'platform-b'" in hint
    creates = {c.name: c.notes for c in plan.changes if c.action is Action.CREATE}
    assert creates["platform-a"] == ()
    assert len(creates["platform-b"]) == 1


def test_a_key_that_yaml_would_misread_is_quoted() -> None:
    live_org = live({"#ops": PEOPLE[:2]})
    plan = diff(desired({"ops": PEOPLE[:2]}), live_org, POLICY)
    (hint,) = row(plan, Action.DELETE, "#ops").notes
    assert 'set `externalId: "#ops"` on the new entry' in hint


def test_with_the_old_key_kept_the_group_is_renamed_in_place() -> None:
    three = PEOPLE[:3]
    want = desired({"platform-eng": three}, keys={"platform-eng": "platform"})
    plan = diff(want, live({"platform": three}), POLICY)
    (change,) = plan.changes
    assert (change.action, change.id, change.notes) == (Action.UPDATE, "g-platform", ())
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        ("displayName", "platform", "platform-eng")
    ]


def test_the_hint_survives_a_saved_plan() -> None:
    three = PEOPLE[:3]
    plan = diff(desired({"platform-eng": three}), live({"platform": three}), POLICY)
    assert Plan.from_dict(plan.to_dict()) == plan
    assert any(c.get("notes") for c in plan.to_dict()["changes"])
