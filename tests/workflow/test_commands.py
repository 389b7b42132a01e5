"""--only, renames, import, drift and check against real sandbox servers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import Server
from tests.workflow.helpers import edit_group, edit_user, remove_user

pytestmark = pytest.mark.integration


def test_only_touches_nothing_else(cli, org: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    applied = cli(
        "apply",
        "--dir",
        org,
        "--auto-approve",
        "--only",
        "user:Ada.Lovelace@example.com",
        env=server.env,
    )
    assert applied.code == 0, applied.out + applied.err
    assert [u["userName"] for u in server.users()] == ["ada.lovelace@example.com"]
    assert server.groups() == []
    group = cli(
        "apply",
        "--dir",
        org,
        "--auto-approve",
        "--only",
        "group:aws-admins",
        "--only",
        "user:margaret.hamilton@example.com",
        env=server.env,
    )
    assert group.code == 0
    assert [g["displayName"] for g in server.groups()] == ["aws-admins"]
    assert server.member_names("aws-admins") == {
        "ada.lovelace@example.com",
        "margaret.hamilton@example.com",
    }


def test_only_with_an_unknown_address_is_an_error(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    result = cli("plan", "--dir", org, "--only", "user:nobody@example.com", env=generic_server.env)
    assert result.code == 1
    assert "--only user:nobody@example.com: no such user" in result.err
    bad = cli("plan", "--dir", org, "--only", "alice", env=generic_server.env)
    assert bad.code == 1 and "expected user:USERNAME or group:DISPLAYNAME" in bad.err


def test_rename_with_explicit_key_is_a_single_update(cli, org: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    edit_user(org, "alan.turing@example.com", externalId="E1003")
    assert cli("apply", "--dir", org, "--auto-approve", env=server.env).code == 0
    old_id = server.user("alan.turing@example.com")["id"]
    edit_user(org, "alan.turing@example.com", userName="a.turing@example.com")
    path = org / "groups" / "groups.yaml"
    path.write_text(path.read_text().replace("alan.turing@", "a.turing@"))
    path = org / "users" / "engineering.yaml"
    path.write_text(path.read_text().replace("manager: alan.turing@", "manager: a.turing@"))
    plan = cli("plan", "--dir", org, env=server.env)
    assert "  ~ update user a.turing@example.com" in plan.out
    assert 'userName: "alan.turing@example.com" → "a.turing@example.com"' in plan.out
    assert (
        "Plan: 0 to create, 1 to update, 0 to deactivate, 0 to delete; 0 membership changes."
        in plan.out
    )
    assert cli("apply", "--dir", org, "--auto-approve", env=server.env).code == 0
    assert server.user("a.turing@example.com")["id"] == old_id


def test_group_rename_with_explicit_key(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    edit_group(org, "finance", externalId="G-FIN")
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 0
    edit_group(org, "finance", displayName="finance-team")
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert 'displayName: "finance" → "finance-team"' in plan.out
    assert (
        "Plan: 0 to create, 1 to update, 0 to deactivate, 0 to delete; 0 membership changes."
        in plan.out
    )


def test_import_then_plan_is_empty(cli, org: Path, server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("apply", "--dir", org, "--auto-approve", env=server.env).code == 0
    imported = tmp_path / "imported"
    result = cli("import", "--out", imported, "--managed", env=server.env)
    assert result.code == 0, result.err
    assert "Wrote 15 users and 6 groups" in result.out
    users = yaml.safe_load((imported / "users.yaml").read_text())["users"]
    assert [u["userName"] for u in users] == sorted(u["userName"] for u in users)
    plan = cli("plan", "--dir", imported, "--detailed-exitcode", env=server.env)
    assert plan.code == 0, plan.out
    again = cli("import", "--out", imported, env=server.env)
    assert again.code == 1 and "pass --force" in again.err
    first = (imported / "users.yaml").read_text()
    assert cli("import", "--out", imported, "--managed", "--force", env=server.env).code == 0
    assert (imported / "users.yaml").read_text() == first


def test_drift_classifies_each_kind(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    clean = cli("drift", "--dir", org, env=env)
    assert clean.code == 0, clean.out
    http = generic_server.http
    grace = generic_server.user("grace.hopper@example.com")
    http.patch(
        f"/Users/{grace['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "Changed by hand"}],
        },
    )
    nash = generic_server.user("john.nash@example.com")
    http.delete(f"/Users/{nash['id']}")
    http.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "stranger@example.com",
        },
    )
    result = cli("drift", "--dir", org, "--format", "json", "--baseline", "", env=env)
    assert result.code == 2
    import json

    items = {(i["class"], i["name"]) for i in json.loads(result.out)["items"]}
    assert ("changed", "grace.hopper@example.com") in items
    assert ("missing", "john.nash@example.com") in items
    assert ("unmanaged", "stranger@example.com") in items
    only_unmanaged = cli("drift", "--dir", org, "--fail-on", "pending", "--baseline", "", env=env)
    assert only_unmanaged.code == 0


def test_drift_tells_pending_from_missing_against_a_git_baseline(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    env = generic_server.env
    git = ["git", "-C", str(org.parent), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "org"], check=True)
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    remove_user(org, "john.nash@example.com")
    edit_user(org, "grace.hopper@example.com", title="Uncommitted title")
    result = cli("drift", "--dir", org, "--fail-on", "pending", env=env)
    assert result.code == 2, result.out + result.err
    assert "user grace.hopper@example.com: edited in git, not applied yet" in result.out
    assert 'title: git "Uncommitted title", server "Principal Engineer"' in result.out
    assert (
        "user john.nash@example.com: removed from the desired state, not yet applied" in result.out
    )
    assert (
        "group finance: members removed in git, not applied yet: john.nash@example.com"
        in result.out
    )
    assert "0 changed, 0 missing, 3 pending" in result.out
    clean = cli("drift", "--dir", org, env=env)
    assert clean.code == 0


def test_check_says_when_the_token_is_wrong(cli, org: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    good = cli("check", "--dir", org, env=server.env)
    assert good.code == 0, good.out + good.err
    assert "Check passed" in good.out
    bad = cli("check", "--dir", org, env={**server.env, "SCIM_TOKEN": "wrong-token"})
    assert bad.code == 1
    assert "the server refused the token (401)" in bad.out + bad.err
    assert "wrong-token" not in bad.out + bad.err
