"""Issue 20: temporary access. A member may carry an end (``until``); once it passes, the
plan removes the membership without an approval and outside the limits meant for
mistakes; ``apply --expired-only`` does only that; ``plan --at`` looks ahead."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.model import Group, Org, User
from reconciler.plan.diff import diff
from reconciler.plan.model import Action, Member, Plan, Status
from reconciler.plan.safety import Approvals, check
from reconciler.policy import Policy
from reconciler.render.text import plan_text
from tests.conftest import Server

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
NOW = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)


def _users(*names: str) -> tuple[User, ...]:
    return tuple(User(n, n) for n in names)


def _live(*names: str) -> tuple[User, ...]:
    return tuple(User(n, n, id=f"id-{n}", external_id=f"scimctl:{n}") for n in names)


def _group(until: dict[str, str], *members: str) -> Group:
    return Group("admins", "admins", frozenset(members), until=until)


def _live_group(*members: str) -> Group:
    ids = frozenset(f"id-{m}" for m in members)
    return Group("admins", "admins", ids, id="g1", external_id="scimctl:admins")


POLICY = Policy.from_dict({"privileged_groups": {"admins": {"approvers": ["carol-gh"]}}})


@pytest.mark.parametrize(
    ("until", "expired"),
    [
        ("2027-01-30", True),  # the past
        ("2027-01-31", False),  # today: the membership holds until the day's end (UTC)
        ("2027-01-31T11:59:00Z", True),  # today, a minute ago
        ("2027-01-31T12:30:00+01:00", True),  # 11:30 UTC
        ("2027-01-31T13:30:00+01:00", False),  # 12:30 UTC
        ("2027-02-01", False),  # the future
    ],
)
def test_an_end_in_the_past_today_and_the_future(until: str, expired: bool) -> None:
    desired = Org(users=_users(ALICE, BOB), groups=(_group({BOB: until}, ALICE, BOB),))
    live = Org(users=_live(ALICE, BOB), groups=(_live_group(ALICE, BOB),))
    plan = check(diff(desired, live, POLICY, now=NOW), POLICY, now=NOW)
    if not expired:
        assert plan.changes == ()
        return
    (row,) = plan.changes
    assert row.action is Action.EXPIRE_MEMBERS
    assert row.members == (Member(BOB, BOB, f"id-{BOB}", until),)
    assert row.status is Status.PLANNED and row.reason is None  # no approval needed
    assert f"- member {BOB} (expired " in plan_text(plan).plain


def test_an_expired_member_is_never_added_and_a_temporary_one_shows_its_end() -> None:
    desired = Org(
        users=_users(ALICE, BOB, CAROL),
        groups=(_group({BOB: "2027-01-01", CAROL: "2027-02-14"}, ALICE, BOB, CAROL),),
    )
    live = Org(users=_live(ALICE, BOB, CAROL), groups=(_live_group(ALICE),))
    plan = diff(desired, live, Policy(), now=NOW)
    (row,) = plan.changes
    assert row.action is Action.ADD_MEMBERS
    assert row.members == (Member(CAROL, CAROL, f"id-{CAROL}", "2027-02-14"),)
    assert f"+ member {CAROL} (until 2027-02-14)" in plan_text(plan).plain


def test_an_expiry_is_removed_from_an_additive_group_too() -> None:
    group = _group({BOB: "2027-01-01"}, BOB)._replace(membership="additive")
    desired = Org(users=_users(BOB), groups=(group,))
    live = Org(users=_live(BOB), groups=(_live_group(BOB),))
    (row,) = diff(desired, live, Policy(), now=NOW).changes
    assert row.action is Action.EXPIRE_MEMBERS


def test_expiries_are_counted_but_never_held_by_the_limits_meant_for_mistakes() -> None:
    names = [f"u{n}@example.com" for n in range(20)]
    until = dict.fromkeys(names, "2027-01-01")
    desired = Org(users=_users(*names), groups=(_group(until, *names),))
    live = Org(users=_live(*names), groups=(_live_group(*names),))
    policy = Policy.from_dict({"limits": {"membership_removals": {"count": 1}}})
    plan = check(diff(desired, live, policy, now=NOW), policy, now=NOW)
    assert plan.violations == ()  # not "every membership", not over the count
    assert plan.summary().memberships == 20


def _max_policy() -> Policy:
    rule = {"approvers": ["carol-gh"], "max_duration": "7d"}
    return Policy.from_dict({"privileged_groups": {"admins": rule}})


@pytest.mark.parametrize(
    ("until", "refused"), [(None, True), ("2027-02-14", True), ("2027-02-06", False)]
)
def test_max_duration_refuses_standing_or_long_access_whoever_approves(
    until: str | None, refused: bool
) -> None:
    policy = _max_policy()
    desired = Org(
        users=_users(ALICE, BOB),
        groups=(_group({BOB: until} if until else {}, ALICE, BOB),),
    )
    live = Org(users=_live(ALICE, BOB), groups=(_live_group(ALICE),))
    approvals = Approvals(allow_privileged=True)
    (row,) = check(
        diff(desired, live, policy, now=NOW), policy, approvals=approvals, now=NOW
    ).changes
    assert (row.status is Status.REFUSED) is refused
    if refused:
        assert "grants membership for at most 7d" in (row.reason or "")
        assert f"'{BOB}' " in (row.reason or "")


# --- against the sandbox ------------------------------------------------------------------


def _org(directory: Path, groups: list[dict[str, Any]], users: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    people = [{"userName": u, "name": {"givenName": u[:3], "familyName": "X"}} for u in users]
    (directory / "org.yaml").write_text(yaml.safe_dump({"users": people, "groups": groups}))
    targets = {"targets": {"sandbox": {"url": "http://127.0.0.1:9/v2", "policy": {}}}}
    (directory / "targets.yaml").write_text(yaml.safe_dump(targets))
    return directory


@pytest.mark.integration
def test_expired_only_removes_the_expired_and_leaves_everything_else_pending(
    cli, tmp_path: Path, server: Server
) -> None:  # type: ignore[no-untyped-def]
    directory = _org(
        tmp_path / "d", [{"displayName": "ops", "members": [ALICE, BOB]}], [ALICE, BOB]
    )
    assert cli("apply", "--dir", directory, "--auto-approve", env=server.env).code == 0
    ended = {"user": BOB, "until": "2020-01-31"}
    _org(directory, [{"displayName": "ops", "members": [ALICE, ended]}], [ALICE, BOB, CAROL])
    validated = cli("validate", "--dir", directory, "--profile", server.profile)
    assert validated.code == 0
    assert "org.yaml:" in validated.err and "warning: the membership of 'bob@example.com'" in (
        validated.err
    )
    result = cli("apply", "--dir", directory, "--expired-only", "--auto-approve", env=server.env)
    assert result.code == 0, result.out + result.err
    assert f"- member {BOB} (expired 2020-01-31)" in result.out
    assert server.member_names("ops") == {ALICE}
    assert CAROL not in {u["userName"] for u in server.users()}  # still pending
    plan = cli("plan", "--dir", directory, env=server.env)
    assert f"+ create user {CAROL}" in plan.out and "expired" not in plan.out


@pytest.mark.integration
def test_plan_at_shows_what_will_have_expired_by_then(cli, tmp_path: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    temporary = {"user": BOB, "until": "2999-01-31"}
    directory = _org(
        tmp_path / "d", [{"displayName": "ops", "members": [ALICE, temporary]}], [ALICE, BOB]
    )
    applied = cli("apply", "--dir", directory, "--auto-approve", env=server.env)
    assert f"+ member {BOB} (until 2999-01-31)" in applied.out
    assert (
        cli("plan", "--dir", directory, "--at", "2999-01-31", env=server.env).out.count("expired")
        == 0
    )
    later = cli("plan", "--dir", directory, "--at", "2999-02-01", env=server.env)
    assert f"- member {BOB} (expired 2999-01-31)" in later.out
    bad = cli("plan", "--dir", directory, "--at", "soon", env=server.env)
    assert bad.code == 1 and "--at: 'soon' is no date" in bad.err


def test_a_saved_plan_keeps_the_ends() -> None:
    row = diff(
        Org(users=_users(BOB), groups=(_group({BOB: "2027-02-14"}, BOB),)),
        Org(users=_live(BOB), groups=(_live_group(),)),
        Policy(),
        now=NOW,
    ).changes[0]
    plan = Plan.build("t", [row])
    assert Plan.from_dict(plan.to_dict()) == plan


def test_drift_reports_a_temporary_member_past_its_end_as_overdue() -> None:
    from reconciler.drift import DriftClass, classify

    desired = Org(users=_users(ALICE, BOB), groups=(_group({BOB: "2027-01-01"}, ALICE, BOB),))
    live = Org(users=_live(ALICE, BOB), groups=(_live_group(ALICE, BOB),))
    current = diff(desired, live, Policy(), now=NOW)
    (item,) = classify(current, live, frozenset(), None).items
    assert item.drift is DriftClass.OVERDUE
    assert item.members == (BOB,)
    assert "still present after their end" in item.describe()


def test_a_membership_extended_past_max_duration_is_a_warning_naming_the_member() -> None:
    from reconciler.plan.safety import standing_access

    desired = Org(
        users=_users(ALICE, BOB, CAROL),
        groups=(_group({ALICE: "2027-02-02", BOB: "2027-06-30"}, ALICE, BOB, CAROL),),
    )
    assert standing_access(_max_policy(), desired, NOW) == [
        "privileged group 'admins' grants membership for at most 7d, but its member "
        f"'{BOB}' ends 2027-06-30",
        "privileged group 'admins' grants membership for at most 7d, but its member "
        f"'{CAROL}' has no end",
    ]
    assert standing_access(POLICY, desired, NOW) == []  # no max_duration: nothing to say
