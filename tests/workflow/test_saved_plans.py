"""Saved plans: stale rows refused one by one, whole plans refused for the wrong origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.workflow.helpers import edit_user

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

    grace = generic_server.user("grace.hopper@example.com")
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "nickName", "value": "Amazing Grace"}],
    }
    assert generic_server.http.patch(f"/Users/{grace['id']}", json=patch).status_code in (200, 204)

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
