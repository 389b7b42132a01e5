"""Each policy switch of targets.yaml changes the plan as documented."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import Server
from tests.workflow.helpers import edit_group, members, remove_user, set_policy

pytestmark = pytest.mark.integration

NASH = "john.nash@example.com"


def _applied(cli, org: Path, server: Server, *flags: str, **policy: object) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, **policy)
    result = cli("apply", "--dir", org, "--auto-approve", *flags, env=server.env)
    assert result.code == 0, result.out + result.err


def test_switched_off_operation_is_shown_as_skipped_and_never_executed(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    _applied(cli, org, generic_server, operations={"deactivate": False})
    remove_user(org, NASH)
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert (
        "- deactivate user john.nash@example.com  (skipped: operation 'deactivate' is switched off"
        in plan.out
    )
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 0
    assert generic_server.user(NASH).get("active", True) is True


def test_on_remove_delete_deletes_the_user(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    _applied(cli, org, generic_server, on_remove="delete")
    remove_user(org, NASH)
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert "  - delete user john.nash@example.com" in plan.out
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 0
    assert NASH not in {u["userName"] for u in generic_server.users()}


def test_delete_after_deletes_users_deactivated_long_enough(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    _applied(cli, org, generic_server)
    remove_user(org, NASH)
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 0
    set_policy(org, delete_after="1h")
    assert cli("plan", "--dir", org, "--detailed-exitcode", env=generic_server.env).code == 0
    set_policy(org, delete_after="0s")
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert "  - delete user john.nash@example.com" in plan.out


def test_protected_user_is_refused_with_exit_3_even_with_force(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    _applied(cli, org, generic_server, protected={"users": [NASH]})
    remove_user(org, NASH)
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == 3
    assert "refused: user is protected by policy: never deactivated" in plan.out
    forced = cli("apply", "--dir", org, "--auto-approve", "--force", env=generic_server.env)
    assert forced.code == 3
    assert generic_server.user(NASH).get("active", True) is True


def test_protected_group_is_never_stripped_of_members(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    _applied(cli, org, generic_server, protected={"groups": ["aws-admins"]})
    edit_group(org, "aws-admins", members=members(org, "aws-admins")[:1])
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == 3
    assert "refused: group is protected by policy: never stripped of members" in plan.out


def test_privileged_group_change_needs_allow_privileged_never_force(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, privileged_groups=["aws-admins"])
    first = cli("apply", "--dir", org, "--auto-approve", env=generic_server.env)
    assert first.code == 3, "even the first members of a privileged group need an approval"
    _applied(cli, org, generic_server, "--allow", "privileged", privileged_groups=["aws-admins"])
    edit_group(org, "aws-admins", members=[*members(org, "aws-admins"), "grace.hopper@example.com"])
    refused = cli("apply", "--dir", org, "--auto-approve", env=generic_server.env)
    assert refused.code == 3
    assert "privileged group: needs --allow privileged" in refused.out
    assert "grace.hopper@example.com" not in generic_server.member_names("aws-admins")
    forced = cli("apply", "--dir", org, "--auto-approve", "--force", env=generic_server.env)
    assert forced.code == 3, "--force lifts limits, never approves a privileged change"
    assert "grace.hopper@example.com" not in generic_server.member_names("aws-admins")
    allowed = cli(
        "apply", "--dir", org, "--auto-approve", "--allow", "privileged", env=generic_server.env
    )
    assert allowed.code == 0, allowed.out
    assert "grace.hopper@example.com" in generic_server.member_names("aws-admins")


@pytest.mark.parametrize(("limit", "removed", "code"), [(2, 2, 0), (2, 3, 3)])
def test_count_limit_trips_one_over_the_boundary(
    cli, org: Path, generic_server: Server, limit: int, removed: int, code: int
) -> None:  # type: ignore[no-untyped-def]
    limits = {"deactivations": {"count": limit}, "min_managed": 1000}
    _applied(cli, org, generic_server, limits=limits)
    for name in ("john.nash", "mary.jackson", "hedy.lamarr")[:removed]:
        remove_user(org, f"{name}@example.com")
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == code, plan.out
    applied = cli("apply", "--dir", org, "--auto-approve", env=generic_server.env)
    assert applied.code == code
    if code == 3:
        assert f"{removed} deactivations exceed the limit of {limit} per run" in plan.out
        assert generic_server.user(NASH).get("active", True) is True
        forced = cli("apply", "--dir", org, "--auto-approve", "--force", env=generic_server.env)
        assert forced.code == 0
        assert generic_server.user(NASH)["active"] is False


@pytest.mark.parametrize(("removed", "code"), [(3, 0), (4, 3)])
def test_percent_limit_trips_one_over_the_boundary(
    cli, org: Path, generic_server: Server, removed: int, code: int
) -> None:  # type: ignore[no-untyped-def]
    # 15 managed users; 20% of 15 = 3 deactivations allowed, 4 refused.
    _applied(cli, org, generic_server, limits={"deactivations": {"percent": 20}, "min_managed": 10})
    for name in ("john.nash", "mary.jackson", "hedy.lamarr", "joan.clarke")[:removed]:
        remove_user(org, f"{name}@example.com")
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == code, plan.out
    if code == 3:
        assert "4 deactivations are 26.7% of 15 managed users, over the limit of 20%" in plan.out


def test_percent_limit_not_applied_below_min_managed(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    _applied(cli, org, generic_server, limits={"deactivations": {"percent": 5}, "min_managed": 16})
    remove_user(org, NASH)
    assert cli("plan", "--dir", org, env=generic_server.env).code == 0


def test_adopt_takes_over_a_colliding_unmanaged_user(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    generic_server.http.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "Grace.Hopper@example.com",
            "title": "Hand-made",
        },
    )
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert "  ! conflict user grace.hopper@example.com" in plan.out
    left = cli("apply", "--dir", org, "--auto-approve", env=generic_server.env)
    assert left.code == 3  # git is not realised while a change is in conflict
    assert "Not applied: 1 change in conflict (user:grace.hopper@example.com)" in left.err
    assert generic_server.user("grace.hopper@example.com").get("externalId") is None
    adopted = cli("apply", "--dir", org, "--auto-approve", "--adopt", env=generic_server.env)
    assert adopted.code == 0, adopted.out
    assert "  & adopt user grace.hopper@example.com" in adopted.out
    grace = generic_server.user("grace.hopper@example.com")
    assert grace["externalId"] == "scimctl:grace.hopper@example.com"
    assert grace["title"] == "Principal Engineer"
    assert cli("plan", "--dir", org, "--detailed-exitcode", env=generic_server.env).code == 0


def test_prune_unmanaged_removes_strangers_under_its_limit(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b"):
        generic_server.http.post(
            "/Users",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"{name}@x.com",
            },
        )
    _applied(cli, org, generic_server)
    set_policy(org, prune_unmanaged=True, limits={"prune": {"count": 1}})
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == 3 and "2 prunes of unmanaged users exceed the limit of 1" in plan.out
    set_policy(org, prune_unmanaged=True, limits={"prune": {"count": 2}})
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 0
    assert generic_server.user("a@x.com")["active"] is False


def test_additive_group_keeps_members_added_by_hand(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    _applied(cli, org, generic_server)
    stranger = generic_server.http.post(
        "/Users",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "s@x.com"},
    ).json()
    (staff,) = [g for g in generic_server.groups() if g["displayName"] == "all-staff"]
    (eng,) = [g for g in generic_server.groups() if g["displayName"] == "engineering"]
    add = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": stranger["id"]}]}],
    }
    generic_server.http.patch(f"/Groups/{staff['id']}", json=add)
    generic_server.http.patch(f"/Groups/{eng['id']}", json=add)
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert "~ update group engineering" in plan.out
    assert "all-staff" not in plan.out


def test_deleting_every_group_is_refused_without_force(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    """6 of 21 users and groups is under 30 %, but it is every group: refused."""
    _applied(cli, org, generic_server)
    (org / "groups" / "groups.yaml").unlink()
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == 3, plan.out
    assert "would delete every managed group (6)" in plan.out
    refused = cli("apply", "--dir", org, "--auto-approve", env=generic_server.env)
    assert refused.code == 3
    assert len(generic_server.groups()) == 6
    forced = cli("apply", "--dir", org, "--auto-approve", "--force", env=generic_server.env)
    assert forced.code == 0, forced.out + forced.err
    assert generic_server.groups() == []


def _small_org(org: Path, count: int) -> None:
    shutil.rmtree(org / "groups")
    users = [{"userName": f"u{i}@example.com"} for i in range(count)]
    for path in (org / "users").glob("*.yaml"):
        path.unlink()
    (org / "users" / "staff.yaml").write_text(yaml.safe_dump({"users": users}))


def test_deactivating_every_user_of_a_small_org_is_refused(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    """9 users is below min_managed (no percent applies), but it is every user: refused."""
    _small_org(org, 9)
    _applied(cli, org, generic_server)
    (org / "users" / "staff.yaml").write_text("users: []\n")
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == 3, plan.out
    assert "would deactivate or delete every managed user (9)" in plan.out
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 3
    assert all(u.get("active", True) for u in generic_server.users())


def test_every_user_counts_those_already_inactive(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    """One user already deactivated: deactivating the 8 others still leaves no one."""
    _small_org(org, 9)
    _applied(cli, org, generic_server)
    users = yaml.safe_load((org / "users" / "staff.yaml").read_text())["users"]
    (org / "users" / "staff.yaml").write_text(yaml.safe_dump({"users": users[1:]}))
    _applied(cli, org, generic_server)
    (org / "users" / "staff.yaml").write_text("users: []\n")
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == 3, plan.out
    assert "every managed user (9)" in plan.out


def test_limits_are_per_kind(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    """5 user deletes: 24 % of 21 users and groups, but 33 % of the 15 users."""
    _applied(cli, org, generic_server, on_remove="delete")
    for name in ("john.nash", "mary.jackson", "hedy.lamarr", "joan.clarke", "radia.perlman"):
        remove_user(org, f"{name}@example.com")
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == 3, plan.out
    assert "5 user deletes are 33.3% of 15 managed users, over the limit of 30%" in plan.out


def test_validate_warns_on_a_desired_state_with_no_users_and_no_groups(cli, org: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(org / "groups")
    for path in (org / "users").glob("*.yaml"):
        path.write_text("users: []\n")
    result = cli("validate", "--dir", org)
    assert result.code == 0, result.out + result.err
    assert "Warning: the desired state has no users and no groups" in result.err
