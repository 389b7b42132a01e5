"""Saved plans: stale rows refused one by one, whole plans refused for the wrong origin."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from tests.conftest import Server
from tests.faults.proxy import FaultProxy
from tests.reliability.support import origin_of
from tests.workflow.helpers import edit_user, remove_user, set_policy

pytestmark = pytest.mark.integration


def test_stale_row_is_refused_and_the_rest_applied(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    edit_user(org, "alan.turing@example.com", title="Distinguished Engineer")
    edit_user(org, "grace.hopper@example.com", title="Rear Admiral")
    plan_file = tmp_path / "plan.json"
    planned = cli("plan", "--dir", org, "--out", plan_file, env=env)
    assert planned.code == 0, planned.err
    saved = json.loads(plan_file.read_text())
    assert all(c["fingerprint"] for c in saved["changes"])

    _rename_grace_on_the_server(generic_server)

    applied = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert applied.code == 3, applied.out + applied.err
    assert "stale: changed since the plan (nickName)" in applied.out
    assert generic_server.user("alan.turing@example.com")["title"] == "Distinguished Engineer"
    assert generic_server.user("grace.hopper@example.com")["title"] == "Principal Engineer"


def test_plan_for_another_desired_state_is_refused_whole(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    plan_file = tmp_path / "plan.json"
    assert cli("plan", "--dir", org, "--out", plan_file, env=env).code == 0
    edit_user(org, "alan.turing@example.com", title="Changed after the plan")
    applied = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert applied.code == 3
    assert "made from another desired state" in applied.err
    assert generic_server.users() == []


def test_plan_of_unknown_version_or_target_is_refused(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    plan_file = tmp_path / "plan.json"
    assert cli("plan", "--dir", org, "--out", plan_file, env=env).code == 0
    data = json.loads(plan_file.read_text())
    plan_file.write_text(json.dumps({**data, "format_version": 99}))
    result = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert result.code == 3 and "format version 99" in result.err
    plan_file.write_text(json.dumps({**data, "target": "aws"}))
    result = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert result.code == 3 and "made for target 'aws'" in result.err
    assert generic_server.users() == []


def test_saved_plan_applies_exactly_and_then_nothing_is_left(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    plan_file = tmp_path / "plan.json"
    assert cli("plan", "--dir", org, "--out", plan_file, env=env).code == 0
    assert cli("apply", plan_file, "--dir", org, "--auto-approve", env=env).code == 0
    assert len(generic_server.users()) == 15
    assert cli("plan", "--dir", org, "--detailed-exitcode", env=env).code == 0


NASH = "john.nash@example.com"


def _rename_grace_on_the_server(server: Server) -> None:
    """A change made on the server after the plan: grace's nickName."""
    grace = server.user("grace.hopper@example.com")
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "nickName", "value": "Amazing Grace"}],
    }
    assert server.http.patch(f"/Users/{grace['id']}", json=patch).status_code in (200, 204)


def _saved(cli, org: Path, server: Server, path: Path) -> dict:  # type: ignore[no-untyped-def, type-arg]
    cli("plan", "--dir", org, "--out", path, env=server.env)
    return dict(json.loads(path.read_text()))


def _claims_todays_connection(cli, org: Path, server: Server, plan_file: Path) -> None:  # type: ignore[no-untyped-def]
    """Edit ``plan_file`` to record the connection a plan made now records: what someone who
    edits a plan file can do to get past ``check_connection``."""
    today = _saved(cli, org, server, plan_file.with_name("today.json"))["connection"]
    data = json.loads(plan_file.read_text())
    plan_file.write_text(json.dumps({**data, "connection": today}))


def test_a_saved_plan_is_judged_by_todays_policy(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Made protected and switched off after the plan was saved: the plan is refused whole,
    as its target's settings changed; a file edited to claim today's settings has both
    rows refused."""
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    remove_user(org, NASH)
    plan_file = tmp_path / "plan.json"
    saved = _saved(cli, org, generic_server, plan_file)
    assert {(c["action"], c["name"]) for c in saved["changes"]} == {
        ("deactivate", NASH),
        ("remove-members", "finance"),
    }
    set_policy(org, protected={"users": [NASH], "groups": ["finance"]})
    whole = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert whole.code == 3, whole.out + whole.err
    assert "was made against another connection than this run's" in whole.err
    _claims_todays_connection(cli, org, generic_server, plan_file)
    applied = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert applied.code == 3, applied.out + applied.err
    assert "refused: user is protected by policy" in applied.out
    assert "refused: group is protected by policy" in applied.out
    set_policy(org, operations={"deactivate": False, "update": False})
    _claims_todays_connection(cli, org, generic_server, plan_file)
    applied = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert "skipped: operation 'deactivate' is switched off" in applied.out
    assert generic_server.user(NASH).get("active", True) is True
    assert NASH in generic_server.member_names("finance")


def test_deleting_the_violations_of_a_saved_plan_does_not_let_it_through(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    for path in (org / "users").glob("*.yaml"):
        path.write_text("users: []\n")
    (org / "groups" / "groups.yaml").write_text("groups: []\n")
    plan_file = tmp_path / "plan.json"
    saved = _saved(cli, org, generic_server, plan_file)
    assert saved["violations"]
    forged = {
        **saved,
        "violations": [],
        "safe": True,
        "managed": {"users": 10**6, "groups": 10**6, "memberships": 10**6},
    }
    plan_file.write_text(json.dumps(forged))
    applied = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert applied.code == 3, applied.out + applied.err
    assert "safety limit" in applied.err
    assert all(u.get("active", True) for u in generic_server.users())
    assert len(generic_server.groups()) == 6


def test_a_saved_plan_cannot_widen_what_a_plan_would_do(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Rows edited or added to the file are refused: only what a plan made now would do runs."""
    env = generic_server.env
    stranger = generic_server.http.post(
        "/Users",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "s@x.com"},
    ).json()
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    remove_user(org, NASH)
    plan_file = tmp_path / "plan.json"
    saved = _saved(cli, org, generic_server, plan_file)
    (deactivate,) = [c for c in saved["changes"] if c["action"] == "deactivate"]
    deactivate.update(action="delete", attributes=[])
    unmanaged = {
        **deactivate,
        "address": "user:s@x.com",
        "name": "s@x.com",
        "key": None,
        "id": stranger["id"],
        "fingerprint": None,
        "before": None,
    }
    saved["changes"].append(unmanaged)
    plan_file.write_text(json.dumps(saved))
    applied = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert applied.code == 3, applied.out + applied.err
    assert "a plan made now would not make this change" in applied.out
    ids = {u["id"] for u in generic_server.users()}
    assert stranger["id"] in ids
    assert generic_server.user(NASH).get("active", True) is True
    assert NASH not in generic_server.member_names("finance"), "the untouched row went ahead"


def test_a_saved_plan_whose_every_row_is_stale_exits_3(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    edit_user(org, "grace.hopper@example.com", title="Rear Admiral")
    plan_file = tmp_path / "plan.json"
    _saved(cli, org, generic_server, plan_file)
    _rename_grace_on_the_server(generic_server)
    applied = cli("apply", plan_file, "--dir", org, "--auto-approve", env=env)
    assert applied.code == 3, applied.out + applied.err
    assert "Refused from the saved plan: 1 to update" in applied.err
    assert generic_server.user("grace.hopper@example.com")["title"] == "Principal Engineer"


def test_overrides_and_the_removal_policy_are_todays_not_the_files(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """--allow privileged given to plan is not carried by the file; on_remove changed since:
    refused."""
    env = generic_server.env
    set_policy(org, privileged_groups=["finance"])
    allow = ("--allow", "privileged")
    assert cli("apply", "--dir", org, "--auto-approve", *allow, env=env).code == 0
    remove_user(org, NASH)
    forced = tmp_path / "forced.json"
    assert cli("plan", "--dir", org, *allow, "--out", forced, env=env).code == 0
    applied = cli("apply", forced, "--dir", org, "--auto-approve", env=env)
    assert applied.code == 3, applied.out + applied.err
    assert NASH in generic_server.member_names("finance")

    mary = "mary.jackson@example.com"
    remove_user(org, mary)
    set_policy(org, privileged_groups=["finance"], on_remove="delete")
    deletes = tmp_path / "deletes.json"
    saved = _saved(cli, org, generic_server, deletes)
    assert ("delete", mary) in {(c["action"], c["name"]) for c in saved["changes"]}
    set_policy(org, privileged_groups=["finance"], on_remove="deactivate")
    _claims_todays_connection(cli, org, generic_server, deletes)
    applied = cli("apply", deletes, "--dir", org, "--auto-approve", "--force", env=env)
    assert applied.code == 3, applied.out + applied.err
    assert "a plan made now would not make this change" in applied.out
    assert generic_server.user(mary).get("active", True) is True


def test_a_saved_plan_is_bound_to_its_server_and_target_settings(
    cli, org: Path, generic_server: Server, sandbox_bases: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Made against one server, applied where targets.yaml now names another: refused whole,
    before any request, so the other server never sees the token (issue 18, 2)."""
    tenant = f"{sandbox_bases['generic']}/{uuid.uuid4().hex}/v2"
    token = {"SCIM_TOKEN": generic_server.env["SCIM_TOKEN"]}
    set_policy(org, on_remove="deactivate")
    _point(org, generic_server.url)
    plan_file = tmp_path / "plan.json"
    assert cli("plan", "--dir", org, "--out", plan_file, env=token).code == 0
    recorded = json.loads(plan_file.read_text())["connection"]
    assert recorded["url"] == generic_server.url and recorded["profile"] == "generic"
    assert len(recorded["target"]) == 64
    with FaultProxy(origin_of(tenant)) as elsewhere:
        other = elsewhere.base(tenant)
        _point(org, other)
        moved = cli("apply", plan_file, "--dir", org, "--auto-approve", env=token)
        assert elsewhere.requests() == []
    assert moved.code == 3, moved.out + moved.err
    assert f"the server ({generic_server.url} → {other})" in moved.err
    assert "nothing was applied" in moved.err
    _point(org, generic_server.url)
    assert generic_server.users() == []
    applied = cli("apply", plan_file, "--dir", org, "--auto-approve", env=token)
    assert applied.code == 0, applied.out + applied.err


def _point(org: Path, url: str) -> None:
    targets = yaml.safe_load((org / "targets.yaml").read_text())
    targets["targets"]["sandbox"].update(url=url, profile="generic")
    (org / "targets.yaml").write_text(yaml.safe_dump(targets))
