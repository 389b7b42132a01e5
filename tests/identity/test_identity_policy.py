"""Issue 17: protection and privilege follow the live resource, not the new name.

Each plan is made as ``session.planned`` makes it (diff, the live snapshots, the safety
check), on in-memory orgs: the rows a reviewer would see.
"""

from __future__ import annotations

import pytest

from reconciler.errors import InputError
from reconciler.model import Group, Org, User, flat_attributes
from reconciler.plan.diff import diff
from reconciler.plan.model import Action, Change, Kind, Plan, Status
from reconciler.plan.safety import Approvals, PrivilegedMembers, check
from reconciler.plan.saved import attach_snapshots
from reconciler.policy import Policy
from reconciler.render.markdown import plan_markdown

POLICY = Policy.from_dict(
    {
        "protected": {"users": ["bob@example.com"], "groups": ["break-glass"]},
        "privileged_groups": {"admins": {"approvers": ["carol-gh"]}},
    }
)


def want(name: str, key: str | None = None, **core: object) -> User:
    return User(name, key or name.lower(), flat_attributes(core, {}))


def have(name: str, uid: str, key: str | None = None, **core: object) -> User:
    key = key or name.lower()
    return User(name, key, flat_attributes(core, {}), id=uid, external_id=f"scimctl:{key}")


def group(name: str, key: str | None = None, members: frozenset[str] = frozenset()) -> Group:
    return Group(name, key or name.lower(), members)


def live_group(name: str, gid: str, members: frozenset[str] = frozenset()) -> Group:
    key = name.lower()
    return Group(name, key, members, id=gid, external_id=f"scimctl:{key}")


def planned(desired: Org, live: Org, approvals: Approvals = Approvals()) -> Plan:
    plan = attach_snapshots(diff(desired, live, POLICY), live)
    members = PrivilegedMembers.of(POLICY, desired, live)
    return check(plan, POLICY, approvals=approvals, members=members)


def row(plan: Plan, kind: Kind, action: Action) -> Change:
    (found,) = [c for c in plan.changes if c.kind is kind and c.action is action]
    return found


def test_a_protected_user_renamed_and_deactivated_in_one_change_is_refused() -> None:
    desired = Org(users=(want("bob-retired@example.com", "bob@example.com", active=False),))
    live = Org(users=(have("bob@example.com", "u1"),))
    change = row(planned(desired, live), Kind.USER, Action.DEACTIVATE)
    assert change.status is Status.REFUSED
    assert change.reason == "user is protected by policy: never deactivated"


def test_renaming_a_protected_user_is_refused() -> None:
    desired = Org(users=(want("bob-new@example.com", "bob@example.com"),))
    live = Org(users=(have("bob@example.com", "u1"),))
    change = row(planned(desired, live), Kind.USER, Action.UPDATE)
    assert change.status is Status.REFUSED
    assert "its identity never changes here (userName 'bob@example.com' → 'bob-new@" in (
        change.reason or ""
    )


def test_a_renamed_protected_user_is_still_protected_by_its_key() -> None:
    """The two-step version: renamed earlier (by hand, or under an older policy), now
    deactivated: the key still names Bob."""
    desired = Org(users=(want("bob-retired@example.com", "bob@example.com", active=False),))
    live = Org(users=(have("bob-retired@example.com", "u1", "bob@example.com"),))
    change = row(planned(desired, live), Kind.USER, Action.DEACTIVATE)
    assert change.status is Status.REFUSED


def test_renaming_a_privileged_group_while_adding_a_member_needs_its_approvers() -> None:
    desired = Org(
        users=(want("alice@example.com"), want("eve@example.com")),
        groups=(group("ops-tools", "admins", frozenset({"alice@example.com", "eve@example.com"})),),
    )
    live = Org(
        users=(have("alice@example.com", "u1"), have("eve@example.com", "u2")),
        groups=(live_group("admins", "g1", frozenset({"u1"})),),
    )
    plan = planned(desired, live)
    for action in (Action.UPDATE, Action.ADD_MEMBERS):
        change = row(plan, Kind.GROUP, action)
        assert change.status is Status.REFUSED, action
        assert "one of: carol-gh" in (change.reason or "")
    approved = planned(desired, live, Approvals(approved_by={"carol-gh": "Carol-GH"}))
    assert all(c.status is Status.PLANNED for c in approved.changes)


def test_adding_a_member_to_a_privileged_group_renamed_earlier_needs_its_approvers() -> None:
    """Rename in one pull request, change members in the next: judged by key."""
    desired = Org(
        users=(want("eve@example.com"),),
        groups=(group("ops-tools", "admins", frozenset({"eve@example.com"})),),
    )
    live = Org(
        users=(have("eve@example.com", "u2"),),
        groups=(Group("ops-tools", "admins", frozenset(), id="g1", external_id="scimctl:admins"),),
    )
    change = row(planned(desired, live), Kind.GROUP, Action.ADD_MEMBERS)
    assert change.status is Status.REFUSED


def test_renaming_a_member_of_a_privileged_group_needs_its_approvers_and_names_her() -> None:
    desired = Org(
        users=(want("mallory@evil.example", "alice@example.com"),),
        groups=(group("admins", members=frozenset({"alice@example.com"})),),
    )
    live = Org(
        users=(have("alice@example.com", "u1"),),
        groups=(live_group("admins", "g1", frozenset({"u1"})),),
    )
    change = row(planned(desired, live), Kind.USER, Action.UPDATE)
    assert change.status is Status.REFUSED
    assert (change.reason or "").startswith(
        "privileged group: its member changes identity (userName 'alice@example.com' → "
        "'mallory@evil.example'), group 'admins'; needs an approving review"
    )


def test_replacing_the_primary_email_of_a_privileged_member_needs_approval() -> None:
    old = ({"value": "alice@example.com", "primary": True},)
    new = ({"value": "alice@evil.example", "primary": True},)
    desired = Org(
        users=(want("alice@example.com", emails=list(new)),),
        groups=(group("admins", members=frozenset({"alice@example.com"})),),
    )
    live = Org(
        users=(have("alice@example.com", "u1", emails=list(old)),),
        groups=(live_group("admins", "g1", frozenset({"u1"})),),
    )
    change = row(planned(desired, live), Kind.USER, Action.UPDATE)
    assert change.status is Status.REFUSED
    assert "primary email 'alice@example.com' → 'alice@evil.example'" in (change.reason or "")


def test_an_ordinary_change_of_a_privileged_member_needs_no_approval() -> None:
    desired = Org(
        users=(want("alice@example.com", title="Lead"),),
        groups=(group("admins", members=frozenset({"alice@example.com"})),),
    )
    live = Org(
        users=(have("alice@example.com", "u1"),),
        groups=(live_group("admins", "g1", frozenset({"u1"})),),
    )
    change = row(planned(desired, live), Kind.USER, Action.UPDATE)
    assert change.status is Status.PLANNED and change.reason is None


def test_adopting_over_another_externalid_of_a_protected_user_is_refused() -> None:
    desired = Org(users=(want("bob@example.com", "emp-7"),))
    live = Org(users=(User("bob@example.com", None, id="u1", external_id="okta|00u1"),))
    policy = POLICY
    plan = attach_snapshots(diff(desired, live, Policy(adopt=True)), live)
    change = check(plan, policy).changes[0]
    assert change.action is Action.ADOPT and change.status is Status.REFUSED
    assert "externalId 'okta|00u1' → 'scimctl:emp-7'" in (change.reason or "")


def test_desired_resources_sharing_a_key_are_never_planned() -> None:
    desired = Org(
        users=(want("alice@example.com"), want("mallory@evil.example", "Alice@example.com"))
    )
    with pytest.raises(InputError, match=r"share the key 'Alice@example\.com'"):
        diff(desired, Org(), POLICY)


def test_a_key_made_by_the_old_full_case_folding_is_a_conflict_never_a_deactivation() -> None:
    """Before the one rule, keys were ``casefold()``ed names: ``straße`` was keyed
    ``strasse``. Its first plan now says whose marker the account holds and changes
    nothing (README, *Who is who*)."""
    desired = Org(users=(want("straße@example.com"),))
    live = Org(users=(have("straße@example.com", "u1", "strasse@example.com"),))
    (change,) = planned(desired, live).changes
    assert change.action is Action.CONFLICT
    assert "held by the managed user keyed 'strasse@example.com'" in (change.reason or "")


def test_a_refused_rename_of_a_protected_user_is_never_cut_from_the_comment() -> None:
    conflicts = [
        Change(Kind.USER, Action.CONFLICT, f"held{n:05}@example.com", f"held{n:05}").with_status(
            Status.CONFLICT, "userName is held by an unmanaged user"
        )
        for n in range(5_000)
    ]
    desired = Org(users=(want("bob-new@example.com", "bob@example.com"),))
    live = Org(users=(have("bob@example.com", "u-bob"),))
    (refused,) = planned(desired, live).changes
    shown = plan_markdown(Plan.build("aws", [*conflicts, refused])).split("<details>", 1)[0]
    assert "more not shown here" in shown  # the conflicts are what gets cut
    assert (
        "| ⛔ **refused** | update | user <code>bob-new@example.com</code> | user is protected "
        "by policy: its identity never changes here" in shown
    )


def test_a_group_renamed_from_one_privileged_name_to_another_needs_both_approvers() -> None:
    policy = Policy.from_dict(
        {
            "privileged_groups": {
                "admins": {"approvers": ["carol-gh"]},
                "ops-tools": {"approvers": ["dave-gh"]},
            }
        }
    )
    desired = Org(
        users=(want("eve@example.com"),),
        groups=(group("ops-tools", "admins", frozenset({"eve@example.com"})),),
    )
    live = Org(users=(have("eve@example.com", "u2"),), groups=(live_group("admins", "g1"),))
    plan = attach_snapshots(diff(desired, live, policy), live)

    def status(*logins: str) -> set[Status]:
        approvals = Approvals(approved_by={login: login for login in logins})
        return {c.status for c in check(plan, policy, approvals=approvals).changes}

    assert status("carol-gh") == {Status.REFUSED}
    assert status("dave-gh") == {Status.REFUSED}
    assert status("carol-gh", "dave-gh") == {Status.PLANNED}


def test_a_users_display_name_is_no_identity() -> None:
    desired = Org(
        users=(want("bob@example.com", displayName="Bob (break-glass)"),),
        groups=(group("admins", members=frozenset({"bob@example.com"})),),
    )
    live = Org(
        users=(have("bob@example.com", "u1", displayName="Bob B"),),
        groups=(live_group("admins", "g1", frozenset({"u1"})),),
    )
    change = row(planned(desired, live), Kind.USER, Action.UPDATE)
    assert change.status is Status.PLANNED and change.reason is None


def test_a_rename_or_adopt_of_an_ordinary_user_is_never_cut_from_the_comment() -> None:
    creates = [
        Change(Kind.USER, Action.CONFLICT, f"held{n:05}@example.com", f"held{n:05}").with_status(
            Status.CONFLICT, "userName is held by an unmanaged user"
        )
        for n in range(5_000)
    ]
    desired = Org(users=(want("zz-mallory@example.com", "E1001"), want("new@example.com")))
    live = Org(
        users=(
            have("zed@example.com", "u-zed", "E1001"),
            User("New@Example.com", None, id="u-new"),
        )
    )
    rows = diff(desired, live, Policy(adopt=True)).changes
    plan = Plan.build(
        "aws", [*creates, *attach_snapshots(Plan.build("aws", list(rows)), live).changes]
    )
    shown = plan_markdown(plan).split("<details>", 1)[0]
    assert "more not shown here" in shown  # the conflicts are what gets cut
    assert "| 🪪 **identity** | update | user <code>zz-mallory@example.com</code> |" in shown
    assert "userName &#x27;zed@" in shown or "userName 'zed@" in shown
    assert "| 🪪 **identity** | adopt | user <code>new@example.com</code> |" in shown
    assert "takes over the live user" in shown


def test_a_rename_that_leaves_no_policy_name_matching_a_privileged_group_is_refused() -> None:
    """Keyed by an id, the group is privileged only by its name: renamed, no rule would
    match it in the next pull request, so the rename waits for the policy to name it."""
    desired = Org(groups=(group("ops-tools", "grp-001"),))
    live = Org(
        groups=(Group("admins", "grp-001", frozenset(), id="g1", external_id="scimctl:grp-001"),)
    )
    (change,) = planned(desired, live, Approvals(allow_privileged=True)).changes
    assert change.status is Status.REFUSED
    assert "add 'ops-tools' to privileged_groups first, then rename" in (change.reason or "")


def test_an_externalid_equal_to_an_old_key_cannot_move_that_account_silently() -> None:
    """Keys made before the one rule were casefold()ed: Anna's account carries
    ``strasse@…``. Mallory's entry borrows that key: her row renames Anna's account (an
    identity row, never cut), and Anna's entry is a conflict, not a second account."""
    anna = want("Straße@example.com", "straße@example.com")
    mallory = want("mallory@example.com", "strasse@example.com")
    live = Org(users=(have("Straße@example.com", "u-anna", "strasse@example.com"),))
    plan = planned(Org(users=(anna, mallory)), live)
    by_name = {c.name: c for c in plan.changes}
    assert by_name["Straße@example.com"].action is Action.CONFLICT
    assert "is the live user that this plan renames, as the desired user keyed " in (
        by_name["Straße@example.com"].reason or ""
    )
    renamed = by_name["mallory@example.com"]
    assert renamed.action is Action.UPDATE and renamed.id == "u-anna"
    shown = plan_markdown(plan).split("<details>", 1)[0]
    assert "🪪 **identity** | update | user <code>mallory@example.com</code>" in shown
    assert not any(c.action is Action.CREATE for c in plan.changes)


@pytest.mark.parametrize("adopt", [False, True])
def test_live_names_that_are_one_under_the_rule_are_never_picked_from(adopt: bool) -> None:
    nfc, nfd = "jos\u00e9@example.com", "jose\u0301@example.com"
    live = Org(users=(User(nfc, None, id="u-nfc"), User(nfd, None, id="u-nfd")))
    plan = diff(Org(users=(want(nfc),)), live, Policy(adopt=adopt))
    (change,) = plan.changes
    assert change.action is Action.CONFLICT
    assert "2 live users have this name under the identity rule" in (change.reason or "")
    assert "'u-nfc'" in (change.reason or "") and "'u-nfd'" in (change.reason or "")
