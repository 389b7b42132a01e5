"""The safety rules of ``plan/safety.py``, one at a time, on in-memory plans.

Each limit is checked on both sides of its edge (one under, one at, one over), each
kind against its own count, and with ``--force`` lifting limits but nothing else. The
integration tests show the rules end to end; these show that each rule, broken, is
noticed (``make mutation``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.model import Group, Org
from reconciler.plan.model import Action, AttrChange, Change, Kind, Member, Plan, Status
from reconciler.plan.safety import (
    Approvals,
    PrivilegedMembers,
    check,
    identity_change,
    primary_email,
    standing_access,
    subjects,
)
from reconciler.policy import Limit, Limits, Operations, Policy

NO_LIMITS = Limits(
    deletes=Limit(), deactivations=Limit(), membership_removals=Limit(), prune=Limit()
)


def _user(action: Action, n: int, *, managed: bool = True, **rest: Any) -> Change:
    key = f"u{n}@example.com" if managed else None
    return Change(Kind.USER, action, f"u{n}@example.com", key, id=f"id-u{n}", **rest)


def _group(action: Action, n: int, *, managed: bool = True, **rest: Any) -> Change:
    return Change(Kind.GROUP, action, f"G{n}", f"g{n}" if managed else None, id=f"id-g{n}", **rest)


def _members(count: int) -> tuple[Member, ...]:
    return tuple(Member(f"m{i}@example.com", f"m{i}@example.com", f"id-m{i}") for i in range(count))


def _plan(
    changes: list[Change],
    managed: Mapping[str, int] | None = None,
    unmanaged: Mapping[str, int] | None = None,
) -> Plan:
    counts = {"users": 100, "active_users": 100, "groups": 100, "memberships": 1000}
    return Plan.build(
        "t", changes, managed={**counts, **(managed or {})}, unmanaged=unmanaged or {}
    )


def _violations(plan: Plan, limits: Limits) -> tuple[str, ...]:
    return check(plan, Policy(limits=limits)).violations


# --- limits: a count per run --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "rows", "what"),
    [
        ("deletes", [_user(Action.DELETE, n) for n in range(3)], "user deletes"),
        ("deletes", [_group(Action.DELETE, n) for n in range(3)], "group deletes"),
        ("deactivations", [_user(Action.DEACTIVATE, n) for n in range(3)], "deactivations"),
    ],
)
def test_a_count_limit_allows_its_number_and_refuses_one_more(
    field: str, rows: list[Change], what: str
) -> None:
    at = Limits(**{**NO_LIMITS.__dict__, field: Limit(count=3)})
    under = Limits(**{**NO_LIMITS.__dict__, field: Limit(count=2)})
    assert _violations(_plan(rows), at) == ()
    assert _violations(_plan(rows), under) == (f"3 {what} exceed the limit of 2 per run",)


def test_membership_removals_are_counted_per_member_not_per_row() -> None:
    """One row removing five members is five removals: a per-row count would see one."""
    rows = [_group(Action.REMOVE_MEMBERS, 1, members=_members(5))]
    limits = Limits(**{**NO_LIMITS.__dict__, "membership_removals": Limit(count=4)})
    assert _violations(_plan(rows), limits) == (
        "5 membership removals exceed the limit of 4 per run",
    )
    at = Limits(**{**NO_LIMITS.__dict__, "membership_removals": Limit(count=5)})
    assert _violations(_plan(rows), at) == ()


def test_membership_removals_add_up_across_groups() -> None:
    rows = [_group(Action.REMOVE_MEMBERS, n, members=_members(2)) for n in range(3)]
    limits = Limits(**{**NO_LIMITS.__dict__, "membership_removals": Limit(count=5)})
    assert _violations(_plan(rows), limits) == (
        "6 membership removals exceed the limit of 5 per run",
    )


def test_added_members_are_not_removals() -> None:
    rows = [_group(Action.ADD_MEMBERS, 1, members=_members(9))]
    limits = Limits(**{**NO_LIMITS.__dict__, "membership_removals": Limit(count=1, percent=1)})
    assert _violations(_plan(rows, {"memberships": 10}), limits) == ()


# --- limits: a share of what is managed ---------------------------------------------------


def test_group_deletes_have_a_percent_limit_of_their_own() -> None:
    """7 of 20 groups is 35%: over 30%, whatever the users' count (100 here)."""
    rows = [_group(Action.DELETE, n) for n in range(7)]
    limits = Limits(**{**NO_LIMITS.__dict__, "deletes": Limit(percent=30)})
    assert _violations(_plan(rows, {"groups": 20}), limits) == (
        "7 group deletes are 35.0% of 20 managed groups, over the limit of 30%",
    )
    assert _violations(_plan(rows[:6], {"groups": 20}), limits) == ()  # 30%: at the limit


def test_user_deletes_and_deactivations_are_shares_of_managed_users() -> None:
    limits = Limits(**{**NO_LIMITS.__dict__, "deletes": Limit(percent=10)})
    deletes = [_user(Action.DELETE, n) for n in range(3)]
    assert _violations(_plan(deletes, {"users": 20, "active_users": 20}), limits) == (
        "3 user deletes are 15.0% of 20 managed users, over the limit of 10%",
    )
    limits = Limits(**{**NO_LIMITS.__dict__, "deactivations": Limit(percent=12.5)})
    off = [_user(Action.DEACTIVATE, n) for n in range(3)]
    assert _violations(_plan(off, {"users": 20, "active_users": 20}), limits) == (
        "3 deactivations are 15.0% of 20 managed users, over the limit of 12.5%",
    )


def test_membership_removals_are_a_share_of_managed_memberships() -> None:
    rows = [_group(Action.REMOVE_MEMBERS, 1, members=_members(4))]
    limits = Limits(**{**NO_LIMITS.__dict__, "membership_removals": Limit(percent=25)})
    assert _violations(_plan(rows, {"memberships": 16}), limits) == ()  # 25%
    assert _violations(_plan(rows, {"memberships": 15}), limits) == (
        "4 membership removals are 26.7% of 15 managed memberships, over the limit of 25%",
    )


@pytest.mark.parametrize(("base", "applies"), [(9, False), (10, True), (11, True)])
def test_a_percent_limit_applies_from_min_managed_on(base: int, applies: bool) -> None:
    """``min_managed: 10``: a directory of 10 managed groups is judged, one of 9 is not."""
    rows = [_group(Action.DELETE, n) for n in range(5)]
    limits = Limits(**{**NO_LIMITS.__dict__, "deletes": Limit(percent=30), "min_managed": 10})
    found = _violations(_plan(rows, {"groups": base}), limits)
    over = [v for v in found if "%" in v]
    assert bool(over) is applies, found


def test_a_percent_limit_on_an_empty_base_counts_as_everything() -> None:
    """Prunes of unmanaged users when none were counted: 100%, not a division by zero."""
    rows = [_user(Action.DELETE, 1, managed=False)]
    limits = Limits(**{**NO_LIMITS.__dict__, "prune": Limit(percent=50), "min_managed": 0})
    assert _violations(_plan(rows, unmanaged={"users": 0}), limits) == (
        "1 prunes of unmanaged users are 100.0% of 0 unmanaged users, over the limit of 50%",
    )


def test_prunes_of_unmanaged_resources_have_their_own_limit() -> None:
    rows = [_user(Action.DELETE, n, managed=False) for n in range(3)]
    rows += [_group(Action.DELETE, n, managed=False) for n in range(2)]
    rows += [_user(Action.DEACTIVATE, n + 10, managed=False) for n in range(1)]
    limits = Limits(**{**NO_LIMITS.__dict__, "prune": Limit(count=2)})
    found = _violations(_plan(rows, unmanaged={"users": 50, "groups": 50}), limits)
    assert found == ("4 prunes of unmanaged users exceed the limit of 2 per run",)
    # and they are not counted as deletes of managed resources
    limits = Limits(**{**NO_LIMITS.__dict__, "deletes": Limit(count=0)})
    assert _violations(_plan(rows, unmanaged={"users": 50, "groups": 50}), limits) == ()


def test_prunes_are_judged_against_the_unmanaged_count() -> None:
    rows = [_group(Action.DELETE, n, managed=False) for n in range(3)]
    limits = Limits(**{**NO_LIMITS.__dict__, "prune": Limit(percent=20), "min_managed": 10})
    assert _violations(_plan(rows, unmanaged={"groups": 10}), limits) == (
        "3 prunes of unmanaged groups are 30.0% of 10 unmanaged groups, over the limit of 20%",
    )


def test_only_planned_rows_count() -> None:
    refused = _user(Action.DELETE, 1).with_status(Status.REFUSED, "protected")
    skipped = _user(Action.DELETE, 2).with_status(Status.SKIPPED, "off")
    limits = Limits(**{**NO_LIMITS.__dict__, "deletes": Limit(count=0)})
    assert _violations(_plan([refused, skipped]), limits) == ()


# --- removing every managed resource of a kind ---------------------------------------


def test_deleting_every_managed_user_is_refused_whatever_the_size() -> None:
    rows = [_user(Action.DELETE, n) for n in range(3)]
    found = _violations(_plan(rows, {"users": 3, "active_users": 3}), NO_LIMITS)
    assert found == ("the plan would deactivate or delete every managed user (3)",)
    assert _violations(_plan(rows, {"users": 4, "active_users": 4}), NO_LIMITS) == ()


def test_deactivating_every_active_user_is_refused() -> None:
    """Two deactivated already, three deactivations: every active user would go."""
    rows = [_user(Action.DEACTIVATE, n) for n in range(3)]
    found = _violations(_plan(rows, {"users": 5, "active_users": 3}), NO_LIMITS)
    assert found == ("the plan would deactivate or delete every managed user (5)",)
    assert _violations(_plan(rows, {"users": 5, "active_users": 4}), NO_LIMITS) == ()


def test_a_delete_of_a_user_deactivated_earlier_takes_no_active_user() -> None:
    gone = _user(Action.DELETE, 1, before={"active": False})
    live = _user(Action.DELETE, 2, before={"active": True})
    unknown = _user(Action.DELETE, 3)
    unsaid = _user(Action.DELETE, 4, before={"userName": "u4@example.com"})
    counts = {"users": 10, "active_users": 2}
    assert _violations(_plan([gone, live], counts), NO_LIMITS) == ()
    every = ("the plan would deactivate or delete every managed user (10)",)
    assert _violations(_plan([live, unknown], counts), NO_LIMITS) == every
    assert _violations(_plan([live, unsaid], counts), NO_LIMITS) == every  # no word: active


def test_deleting_every_managed_group_is_refused() -> None:
    rows = [_group(Action.DELETE, n) for n in range(2)]
    assert _violations(_plan(rows, {"groups": 2}), NO_LIMITS) == (
        "the plan would delete every managed group (2)",
    )
    assert _violations(_plan(rows, {"groups": 3}), NO_LIMITS) == ()


def test_removing_every_managed_membership_is_refused() -> None:
    rows = [_group(Action.REMOVE_MEMBERS, 1, members=_members(3))]
    assert _violations(_plan(rows, {"memberships": 3}), NO_LIMITS) == (
        "the plan would remove every managed group membership (3)",
    )
    assert _violations(_plan(rows, {"memberships": 4}), NO_LIMITS) == ()


def test_an_empty_directory_has_nothing_to_remove_every_of() -> None:
    empty = {"users": 0, "active_users": 0, "groups": 0, "memberships": 0}
    assert _violations(_plan([], empty), NO_LIMITS) == ()


# --- force ------------------------------------------------------------------------------


def test_force_turns_violations_into_warnings() -> None:
    rows = [_group(Action.DELETE, n) for n in range(2)]
    forced = check(_plan(rows, {"groups": 2}), Policy(limits=NO_LIMITS), force=True)
    assert forced.violations == ()
    assert forced.warnings == (
        "forced past a limit: the plan would delete every managed group (2)",
    )
    assert all(c.status is Status.PLANNED for c in forced.changes)


# --- operations switched off ------------------------------------------------------------


@pytest.mark.parametrize(
    ("switch", "row"),
    [
        ("create", _user(Action.CREATE, 1)),
        ("update", _user(Action.UPDATE, 1)),
        ("update", _user(Action.ADOPT, 1)),
        ("update", _group(Action.ADD_MEMBERS, 1, members=_members(1))),
        ("update", _group(Action.REMOVE_MEMBERS, 1, members=_members(1))),
        ("deactivate", _user(Action.DEACTIVATE, 1)),
        ("delete", _group(Action.DELETE, 1)),
    ],
)
def test_a_switched_off_operation_skips_its_rows_and_no_other(switch: str, row: Change) -> None:
    off = Policy(operations=Operations(**{switch: False}), limits=NO_LIMITS)
    (checked,) = check(_plan([row]), off).changes
    assert checked.status is Status.SKIPPED
    assert checked.reason == f"operation '{switch}' is switched off for this target"
    for other in {"create", "update", "deactivate", "delete"} - {switch}:
        policy = Policy(operations=Operations(**{other: False}), limits=NO_LIMITS)
        assert check(_plan([row]), policy).changes[0].status is Status.PLANNED


def test_rows_already_decided_are_left_as_they_are() -> None:
    conflict = _user(Action.CONFLICT, 1, status=Status.CONFLICT, reason="held")
    policy = Policy(protected_users=frozenset({"u1@example.com"}), limits=NO_LIMITS)
    assert check(_plan([conflict]), policy).changes == (conflict,)


# --- protected resources ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "verb"),
    [
        (Action.DELETE, "deleted"),
        (Action.DEACTIVATE, "deactivated"),
    ],
)
@pytest.mark.parametrize("written", ["Boss@Example.com", "BOSS@EXAMPLE.COM", "boss@example.com"])
def test_a_protected_user_is_matched_in_any_case(action: Action, verb: str, written: str) -> None:
    """The YAML writes the name one way, the server (and the plan) another."""
    policy = Policy.from_dict({"protected": {"users": [written]}})
    row = Change(Kind.USER, action, "bOSS@example.COM", "boss@example.com", id="1")
    (checked,) = check(_plan([row]), policy).changes
    assert checked.status is Status.REFUSED
    assert checked.reason == f"user is protected by policy: never {verb}"


def test_a_protected_group_is_never_stripped_of_members() -> None:
    policy = Policy.from_dict({"protected": {"groups": ["Break-Glass"]}})
    row = Change(
        Kind.GROUP, Action.REMOVE_MEMBERS, "BREAK-GLASS", "bg", id="g", members=_members(1)
    )
    (checked,) = check(_plan([row]), policy).changes
    assert checked.status is Status.REFUSED
    assert checked.reason == "group is protected by policy: never stripped of members"


def test_protection_is_per_kind() -> None:
    """A group named as a protected user is not protected (and the other way round)."""
    policy = Policy.from_dict({"protected": {"users": ["ops"], "groups": ["alice"]}})
    rows = [
        Change(Kind.GROUP, Action.DELETE, "ops", "ops", id="g"),
        Change(Kind.USER, Action.DELETE, "alice", "alice", id="u"),
    ]
    assert [c.status for c in check(_plan(rows), policy).changes] == [Status.PLANNED] * 2


def test_a_protected_user_may_still_be_created_and_updated() -> None:
    policy = Policy.from_dict({"protected": {"users": ["boss@example.com"]}})
    rows = [
        Change(Kind.USER, Action.CREATE, "boss@example.com", "boss@example.com"),
        Change(
            Kind.USER,
            Action.UPDATE,
            "boss@example.com",
            "boss@example.com",
            id="1",
            attributes=(AttrChange("title", "a", "b"),),
        ),
    ]
    assert [c.status for c in check(_plan(rows), policy).changes] == [Status.PLANNED] * 2


def test_a_protected_users_rename_is_refused_naming_what_changes() -> None:
    policy = Policy.from_dict({"protected": {"users": ["boss@example.com"]}})
    row = Change(
        Kind.USER,
        Action.UPDATE,
        "chief@example.com",
        "chief@example.com",
        id="1",
        attributes=(AttrChange("userName", "boss@example.com", "chief@example.com"),),
        before={"userName": "Boss@Example.com"},
    )
    (checked,) = check(_plan([row]), policy).changes
    assert checked.status is Status.REFUSED
    assert checked.reason == (
        "user is protected by policy: its identity never changes here "
        "(userName 'boss@example.com' → 'chief@example.com')"
    )


# --- who a row stands for ------------------------------------------------------------------


def test_subjects_are_the_desired_name_the_key_and_what_the_server_holds() -> None:
    row = Change(
        Kind.USER,
        Action.UPDATE,
        "New@Example.com",
        "Key-1",
        id="1",
        before={"userName": "Old@Example.com", "externalId": "scimctl:Marked", "displayName": "D"},
    )
    assert subjects(row, "scimctl:") == {"new@example.com", "key-1", "old@example.com", "marked"}
    group = Change(Kind.GROUP, Action.UPDATE, "Ops", None, before={"displayName": "Old-Ops"})
    assert subjects(group, "scimctl:") == {"ops", "old-ops"}


@pytest.mark.parametrize("marker", ["scimctl:", "other:x", 7, None])
def test_an_external_id_without_our_marker_names_no_one(marker: Any) -> None:
    row = Change(Kind.USER, Action.DELETE, "a", None, before={"externalId": marker, "userName": 3})
    assert subjects(row, "scimctl:") == {"a"}


def test_a_protected_user_is_matched_by_its_marker_on_the_server() -> None:
    """The live user carries the protected key in its externalId: renamed, still protected."""
    policy = Policy.from_dict({"protected": {"users": ["root-key"]}})
    row = Change(
        Kind.USER, Action.DELETE, "x@example.com", None, id="1",
        before={"userName": "x@example.com", "externalId": "scimctl:ROOT-KEY"},
    )  # fmt: skip
    assert check(_plan([row]), policy).changes[0].status is Status.REFUSED


# --- identity changes -------------------------------------------------------------------


def _emails(*pairs: tuple[str, bool | None]) -> tuple[tuple[tuple[str, Any], ...], ...]:
    items = []
    for address, primary in pairs:
        item: dict[str, Any] = {"value": address}
        if primary is not None:
            item["primary"] = primary
        items.append(tuple(sorted(item.items())))
    return tuple(items)


def test_primary_email_is_the_primary_else_the_only_one() -> None:
    assert primary_email(_emails(("a@x", None), ("b@x", True))) == "b@x"
    assert primary_email(_emails(("a@x", None))) == "a@x"
    assert primary_email(_emails(("a@x", None), ("b@x", None))) is None
    assert primary_email(_emails(("a@x", False), ("b@x", False))) is None
    assert primary_email(None) is None
    assert primary_email(("a@x",)) is None  # not an item: ignored
    assert primary_email(((("primary", True), ("value", 7)),)) is None


@pytest.mark.parametrize(
    ("attr", "said"),
    [
        (AttrChange("userName", "a", "b"), "userName 'a' → 'b'"),
        (AttrChange("displayName", "Ann", "Anne"), ""),  # a user's display name is no identity
        (AttrChange("userName", None, "b"), ""),  # set for the first time: no one moved
        (AttrChange("title", "a", "b"), ""),
        (
            AttrChange("emails", _emails(("a@x", True)), _emails(("b@x", True))),
            "primary email 'a@x' → 'b@x'",
        ),
        (
            AttrChange("emails", _emails(("a@x", True)), None),
            "primary email 'a@x' → None",
        ),
        (AttrChange("emails", _emails(("A@X", True)), _emails(("a@x", True))), ""),
        (AttrChange("emails", None, _emails(("a@x", True))), ""),
    ],
)
def test_identity_change_names_what_moves_a_person(attr: AttrChange, said: str) -> None:
    row = Change(Kind.USER, Action.UPDATE, "a", "a", id="1", attributes=(attr,))
    assert identity_change(row) == said


@pytest.mark.parametrize(
    ("attr", "said"),
    [
        (AttrChange("displayName", "Ops", "Ops2"), "displayName 'Ops' → 'Ops2'"),
        (AttrChange("displayName", None, "Ops2"), ""),
        (AttrChange("userName", "a", "b"), ""),
    ],
)
def test_a_groups_identity_is_its_display_name(attr: AttrChange, said: str) -> None:
    row = Change(Kind.GROUP, Action.UPDATE, "Ops2", "ops", id="g", attributes=(attr,))
    assert identity_change(row) == said


def test_an_adopt_that_overwrites_another_external_id_is_an_identity_change() -> None:
    def adopt(held: Any) -> Change:
        return Change(
            Kind.USER, Action.ADOPT, "a", "a", id="1", external_id="scimctl:a",
            before={"externalId": held},
        )  # fmt: skip

    assert identity_change(adopt("hr-123")) == "externalId 'hr-123' → 'scimctl:a'"
    assert identity_change(adopt("scimctl:a")) == ""
    assert identity_change(adopt("")) == ""
    assert identity_change(adopt(None)) == ""
    update = Change(Kind.USER, Action.UPDATE, "a", "a", id="1", before={"externalId": "hr-1"})
    assert identity_change(update) == ""


def test_several_identity_changes_are_all_named() -> None:
    row = Change(
        Kind.USER,
        Action.UPDATE,
        "b",
        "b",
        id="1",
        attributes=(
            AttrChange("userName", "a", "b"),
            AttrChange("emails", _emails(("a@x", True)), _emails(("b@x", True))),
        ),
    )
    assert identity_change(row) == "userName 'a' → 'b'; primary email 'a@x' → 'b@x'"


# --- privileged groups and their members ----------------------------------------------------


PRIVILEGED = Policy(
    privileged_groups=frozenset({"admins", "root"}),
    approvers={"admins": ("alice-gh",), "root": ("@acme/sec",)},
    limits=NO_LIMITS,
)


def test_privileged_members_are_read_from_both_sides() -> None:
    live = Org(
        users=(),
        groups=(
            Group("Admins", "admins", frozenset({"id-1", "id-2"}), id="g1"),
            Group("Root", None, frozenset({"id-2"}), id="g2"),
            Group("Plain", "plain", frozenset({"id-3"}), id="g3"),
        ),
    )
    desired = Org(
        users=(),
        groups=(Group("x", "root", frozenset({"carol@example.com"})),),
    )
    found = PrivilegedMembers.of(PRIVILEGED, desired, live)
    assert found.by_id == {"id-1": ("admins",), "id-2": ("admins", "root")}
    assert found.by_key == {"carol@example.com": ("root",)}
    assert PrivilegedMembers.of(Policy(), desired, live) == PrivilegedMembers()


def test_a_members_rename_needs_every_group_of_it_approved() -> None:
    members = PrivilegedMembers(by_id={"id-2": ("admins",)}, by_key={"bob": ("root",)})
    row = Change(
        Kind.USER, Action.UPDATE, "bob2", "bob", id="id-2",
        attributes=(AttrChange("userName", "bob", "bob2"),),
    )  # fmt: skip
    assert members.groups_of(row) == ("admins", "root")
    alice = Approvals(approved_by={"alice-gh": "Alice-GH"}, source="pull request #1 at abc")
    (checked,) = check(_plan([row]), PRIVILEGED, approvals=alice, members=members).changes
    assert checked.status is Status.REFUSED
    assert checked.reason == (
        "privileged group: its member changes identity (userName 'bob' → 'bob2'), group "
        "'root'; needs an approving review of the pull request's current head by one of: "
        "@acme/sec"
    )
    both = Approvals(approved_by={"alice-gh": "Alice-GH", "@acme/sec": "dave"}, source="PR 1")
    (checked,) = check(_plan([row]), PRIVILEGED, approvals=both, members=members).changes
    assert checked.status is Status.PLANNED
    assert checked.reason == (
        "privileged group: its member changes identity (userName 'bob' → 'bob2'), group "
        "'root'; approved by @acme/sec (dave) on PR 1"
    )


def test_a_row_without_an_id_or_key_belongs_to_no_ones_groups() -> None:
    """A create has no id yet: whatever ids the server uses, no live user's groups are
    its groups (nor, without a key, any desired user's)."""
    members = PrivilegedMembers(by_id={"XXXX": ("admins",)}, by_key={"XXXX": ("root",)})
    row = Change(Kind.USER, Action.CREATE, "new@example.com", None)
    assert members.groups_of(row) == ()


def test_a_user_in_no_privileged_group_changes_identity_freely() -> None:
    row = Change(
        Kind.USER, Action.UPDATE, "bob2", "bob", id="id-9",
        attributes=(AttrChange("userName", "bob", "bob2"),),
    )  # fmt: skip
    (checked,) = check(_plan([row]), PRIVILEGED).changes
    assert checked == row


@pytest.mark.parametrize(
    ("row", "needs"),
    [
        (_group(Action.UPDATE, 1, attributes=(AttrChange("title", 1, 2),)), False),
        (_group(Action.ADD_MEMBERS, 1, members=_members(1)), True),
        (_group(Action.REMOVE_MEMBERS, 1, members=_members(1)), True),
        (_group(Action.DELETE, 1), True),
        (_group(Action.UPDATE, 1, attributes=(AttrChange("displayName", "G1", "G9"),)), True),
    ],
)
def test_what_of_a_privileged_group_needs_approval(row: Change, needs: bool) -> None:
    policy = Policy(privileged_groups=frozenset({"g1"}), limits=NO_LIMITS)
    (checked,) = check(_plan([row]), policy).changes
    assert (checked.status is Status.REFUSED) is needs
    if needs:
        assert checked.reason == (
            "privileged group: needs --allow privileged (the policy names no approvers)"
        )


def test_a_privileged_group_is_approved_by_its_first_named_approver_who_approved() -> None:
    policy = Policy(
        privileged_groups=frozenset({"g1"}),
        approvers={"g1": ("Alice-GH", "bob-gh")},
        limits=NO_LIMITS,
    )
    row = _group(Action.ADD_MEMBERS, 1, members=_members(1))
    by = Approvals(approved_by={"bob-gh": "Bob-gh", "alice-gh": "alice-gh"})
    (checked,) = check(_plan([row]), policy, approvals=by).changes
    assert checked.reason == "privileged group: approved by Alice-GH (alice-gh)"
    (checked,) = check(_plan([row]), policy, approvals=Approvals(allow_privileged=True)).changes
    assert checked.reason == "privileged group: approved by --allow privileged"


# --- max_duration: temporary access to a privileged group ----------------------------------

NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
TIMED = Policy(
    privileged_groups=frozenset({"admins", "ops"}),
    approvers={"admins": ("alice-gh",), "ops": ()},
    max_durations={"admins": 7 * 86400},
    limits=NO_LIMITS,
)


def _added(*members: tuple[str, str | None], action: Action = Action.ADD_MEMBERS) -> Change:
    people = tuple(Member(name, name, f"id-{name}", until=until) for name, until in members)
    return Change(Kind.GROUP, action, "Admins", "admins", id="g-admins", members=people)


def _timed(row: Change, approvals: Approvals = Approvals(allow_privileged=True)) -> Change:
    (checked,) = check(_plan([row]), TIMED, approvals=approvals, now=NOW).changes
    return checked


def test_a_member_added_within_max_duration_is_approved_as_usual() -> None:
    row = _added(("a@x", "2027-01-07"), ("b@x", "2027-01-08T12:00:00Z"))
    assert _timed(row).status is Status.PLANNED
    assert _timed(row, Approvals()).status is Status.REFUSED  # still needs its approval


def test_a_member_added_for_longer_than_max_duration_is_refused_whoever_approves() -> None:
    row = _added(("a@x", "2027-01-08T12:00:00Z"), ("b@x", "2027-01-08T12:01:00Z"), ("c@x", None))
    checked = _timed(row)
    assert checked.status is Status.REFUSED
    assert checked.reason == (
        "privileged group 'admins' grants membership for at most 7d (max_duration), so every "
        "member it gains needs an until no later than 2027-01-08 12:00 UTC: 'b@x' ends "
        "2027-01-08T12:01:00Z; 'c@x' has no end; no approval lifts this"
    )


def test_a_date_ends_at_the_end_of_that_day() -> None:
    """Until 2027-01-08 is until midnight after the 8th: past noon on the 8th."""
    assert _timed(_added(("a@x", "2027-01-07"))).status is Status.PLANNED
    assert _timed(_added(("a@x", "2027-01-08"))).status is Status.REFUSED
    late = Policy(
        privileged_groups=TIMED.privileged_groups,
        max_durations={"admins": 7 * 86400 - 60},
        limits=NO_LIMITS,
    )
    (checked,) = check(
        _plan([_added(("a@x", "2027-01-08T11:59:00Z"), ("b@x", "2027-01-08T12:00:00Z"))]),
        late,
        approvals=Approvals(allow_privileged=True),
        now=NOW,
    ).changes
    assert checked.reason is not None and "for at most 10079m" in checked.reason
    assert "'b@x' ends" in checked.reason and "'a@x'" not in checked.reason


@pytest.mark.parametrize("action", [Action.REMOVE_MEMBERS, Action.DELETE, Action.UPDATE])
def test_only_members_gained_are_held_to_max_duration(action: Action) -> None:
    row = _added(("a@x", None), action=action)
    assert "max_duration" not in (_timed(row).reason or "")


def test_a_group_without_max_duration_takes_members_without_an_end() -> None:
    row = replace(_added(("a@x", None)), name="Ops", key="ops")
    assert _timed(row).status is Status.PLANNED


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(7 * 86400, "7d"), (36 * 3600, "36h"), (90 * 60, "90m"), (90, "90s"), (86400, "1d")],
)
def test_max_duration_is_shown_in_its_largest_whole_unit(seconds: int, shown: str) -> None:
    policy = replace(TIMED, max_durations={"admins": seconds})
    (checked,) = check(
        _plan([_added(("a@x", None))]), policy, approvals=Approvals(allow_privileged=True), now=NOW
    ).changes
    assert f"for at most {shown} (max_duration)" in (checked.reason or "")


def test_standing_access_warns_of_each_member_past_max_duration() -> None:
    admins = Group(
        "Admins", "admins", frozenset({"a@x", "b@x", "c@x"}),
        until={"a@x": "2027-01-07", "c@x": "2027-02-01"},
    )  # fmt: skip
    plain = Group("Plain", "plain", frozenset({"d@x"}))
    ops = Group("Ops", "ops", frozenset({"e@x"}))  # privileged, no max_duration
    found = standing_access(TIMED, Org(groups=(admins, plain, ops)), NOW)
    assert found == [
        "privileged group 'Admins' grants membership for at most 7d, but its member 'b@x' "
        "has no end",
        "privileged group 'Admins' grants membership for at most 7d, but its member 'c@x' "
        "ends 2027-02-01",
    ]


def test_standing_access_reads_every_privileged_name_of_a_group() -> None:
    """A group named by the policy twice (display name and key), the first without a
    max_duration: the second's still holds."""
    policy = replace(TIMED, privileged_groups=frozenset({"admins", "zeta"}),
                     max_durations={"zeta": 86400})  # fmt: skip
    group = Group("Admins", "zeta", frozenset({"a@x"}))
    assert standing_access(policy, Org(groups=(group,)), NOW) == [
        "privileged group 'Admins' grants membership for at most 1d, but its member 'a@x' "
        "has no end"
    ]


def test_the_clock_decides_when_no_time_is_given() -> None:
    soon = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    row = _added(("a@x", soon), ("b@x", "2999-01-01"))
    (checked,) = check(_plan([row]), TIMED, approvals=Approvals(allow_privileged=True)).changes
    assert checked.status is Status.REFUSED
    assert "'b@x' ends 2999-01-01" in (checked.reason or "") and "'a@x'" not in checked.reason


def test_a_count_the_plan_does_not_hold_is_zero() -> None:
    """A plan without counts (made by hand, or by an older version): every share is of 0,
    so any removal is 100% of it."""
    limits = Limits(**{**NO_LIMITS.__dict__, "deletes": Limit(percent=50), "min_managed": 0})
    limits = Limits(**{**limits.__dict__, "prune": Limit(percent=50)})
    rows = [_group(Action.DELETE, 1), _group(Action.DELETE, 2, managed=False)]
    assert _violations(Plan.build("t", rows), limits) == (
        "1 group deletes are 100.0% of 0 managed groups, over the limit of 50%",
        "1 prunes of unmanaged groups are 100.0% of 0 unmanaged groups, over the limit of 50%",
    )


def test_deleting_every_managed_user_is_refused_when_all_were_deactivated_already() -> None:
    rows = [_user(Action.DELETE, n, before={"active": False}) for n in range(3)]
    assert _violations(_plan(rows, {"users": 3, "active_users": 0}), NO_LIMITS) == (
        "the plan would deactivate or delete every managed user (3)",
    )


def test_without_counts_no_removal_is_taken_for_every_one() -> None:
    """A plan that holds no counts (made by hand): the "every" rules have nothing to
    compare with, and do not invent a count of one."""
    rows = [
        _user(Action.DEACTIVATE, 1),
        _group(Action.DELETE, 1),
        _group(Action.REMOVE_MEMBERS, 2, members=_members(1)),
    ]
    assert _violations(Plan.build("t", rows), NO_LIMITS) == ()
    users_only = Plan.build("t", rows[:1], managed={"users": 5})  # no active_users either
    assert _violations(users_only, NO_LIMITS) == ()


def test_without_counts_a_delete_is_not_of_every_user() -> None:
    assert _violations(Plan.build("t", [_user(Action.DELETE, 1)]), NO_LIMITS) == ()


def test_max_duration_of_any_privileged_name_of_the_group_holds() -> None:
    policy = replace(TIMED, privileged_groups=frozenset({"admins", "zeta"}),
                     max_durations={"zeta": 86400})  # fmt: skip
    row = replace(_added(("a@x", None)), key="zeta")
    (checked,) = check(
        _plan([row]), policy, approvals=Approvals(allow_privileged=True), now=NOW
    ).changes
    assert checked.status is Status.REFUSED
    assert "'zeta' grants membership for at most 1d" in (checked.reason or "")


def test_standing_access_allows_an_end_exactly_at_max_duration() -> None:
    group = Group("Admins", "admins", frozenset({"a@x"}), until={"a@x": "2027-01-08T12:00:00Z"})
    assert standing_access(TIMED, Org(groups=(group,)), NOW) == []
