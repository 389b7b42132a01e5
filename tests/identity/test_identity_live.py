"""Issue 17 against the real sandbox servers: a rename, a borrowed key or a look-alike
name never moves access to another person with an exit 0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Server

pytestmark = pytest.mark.integration

ALICE, BOB = "alice@example.com", "bob@example.com"


def _org(
    directory: Path, users: list[dict[str, Any]], groups: list[dict[str, Any]], **policy: Any
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "org.yaml").write_text(yaml.safe_dump({"users": users, "groups": groups}))
    targets = {"targets": {"sandbox": {"url": "http://127.0.0.1:9/v2", "policy": policy}}}
    (directory / "targets.yaml").write_text(yaml.safe_dump(targets))
    return directory


def _user(name: str, **more: Any) -> dict[str, Any]:
    given, family = name.split("@")[0].split(".")[0], "Example"
    return {"userName": name, "name": {"givenName": given, "familyName": family}, **more}


POLICY: dict[str, Any] = {
    "protected": {"users": [BOB]},
    "privileged_groups": {"admins": {"approvers": ["carol-gh"]}},
}


def _applied(cli, directory: Path, server: Server, *flags: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("apply", "--dir", directory, "--auto-approve", *flags, env=server.env)
    assert result.code == 0, result.out + result.err


def test_a_protected_user_renamed_while_deactivated_stays_active(
    cli, tmp_path: Path, server: Server
) -> None:  # type: ignore[no-untyped-def]
    directory = _org(tmp_path / "d", [_user(ALICE), _user(BOB)], [], **POLICY)
    _applied(cli, directory, server)
    retired = _user("bob-retired@example.com", externalId=BOB, active=False)
    _org(directory, [_user(ALICE), retired], [], **POLICY)
    plan = cli("plan", "--dir", directory, env=server.env)
    assert plan.code == 3, plan.out + plan.err
    assert "refused: user is protected by policy: never deactivated" in plan.out
    applied = cli("apply", "--dir", directory, "--auto-approve", "--force", env=server.env)
    assert applied.code == 3
    bob = server.user(BOB)
    assert bob.get("active", True) is True


def test_renaming_a_privileged_member_is_refused_and_names_her(
    cli, tmp_path: Path, server: Server
) -> None:  # type: ignore[no-untyped-def]
    admins = {"displayName": "admins", "members": [ALICE]}
    directory = _org(tmp_path / "d", [_user(ALICE)], [admins])  # made before the policy
    _applied(cli, directory, server)
    mallory = _user("mallory@evil.example", externalId=ALICE)
    _org(
        directory,
        [mallory],
        [{"displayName": "admins", "members": [mallory["userName"]]}],
        **POLICY,
    )
    plan = cli("plan", "--dir", directory, "--format", "markdown", env=server.env)
    assert plan.code == 3, plan.out + plan.err
    assert "privileged group: its member changes identity (userName" in plan.out
    assert "mallory@evil.example" in plan.out and ALICE in plan.out
    assert "Nothing needs special attention" not in plan.out
    assert cli("apply", "--dir", directory, "--auto-approve", env=server.env).code == 3
    assert server.user(ALICE)["id"]


def test_renaming_a_privileged_group_while_adding_a_member_needs_approval(
    cli, tmp_path: Path, server: Server
) -> None:  # type: ignore[no-untyped-def]
    users = [_user(ALICE), _user(BOB)]
    directory = _org(tmp_path / "d", users, [{"displayName": "admins", "members": [ALICE]}])
    _applied(cli, directory, server)  # made before the policy
    renamed = {"displayName": "ops-tools", "externalId": "admins", "members": [ALICE, BOB]}
    _org(directory, users, [renamed], **POLICY)
    plan = cli("plan", "--dir", directory, "--format", "markdown", env=server.env)
    assert plan.code == 3, plan.out + plan.err
    assert "needs an approving review of the pull request's current head by one of: carol-gh" in (
        plan.out
    )
    assert "Nothing needs special attention" not in plan.out
    assert cli("apply", "--dir", directory, "--auto-approve", env=server.env).code == 3
    assert server.member_names("admins") == {ALICE}


def test_a_borrowed_key_fails_validation_and_writes_nothing(
    cli, tmp_path: Path, server: Server
) -> None:  # type: ignore[no-untyped-def]
    mallory = _user("mallory@evil.example", externalId=ALICE)
    group = {"displayName": "admins", "members": [ALICE, "mallory@evil.example"]}
    directory = _org(tmp_path / "d", [_user(ALICE), mallory], [group])
    result = cli("apply", "--dir", directory, "--auto-approve", env=server.env)
    assert result.code == 1
    assert "which is also the key of user 'mallory@evil.example' at " in result.err
    assert server.users() == [] and server.groups() == []


def test_a_look_alike_live_user_is_never_adopted(cli, tmp_path: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "strasse@example.com",
        "name": {"givenName": "Hans", "familyName": "Strasse"},
        "displayName": "Hans Strasse",
        "emails": [{"value": "strasse@example.com", "primary": True}],
    }
    hans = server.http.post("/Users", json=body)
    assert hans.status_code == 201, hans.text
    greta = _user("straße@example.com")
    group = {"displayName": "finance-admins", "members": ["straße@example.com"]}
    directory = _org(tmp_path / "d", [greta], [group])
    plan = cli("plan", "--dir", directory, "--adopt", env=server.env)
    assert "+ create user straße@example.com" in plan.out, plan.out + plan.err
    assert "& adopt" not in plan.out
    assert (
        "Warning: user 'straße@example.com' is created beside the live user "
        f"'strasse@example.com' (id {hans.json()['id']!r})" in plan.out
    )


def test_an_adopt_row_names_the_live_account_it_takes_over(
    cli, tmp_path: Path, server: Server
) -> None:  # type: ignore[no-untyped-def]
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Alice@Example.com",
        "name": {"givenName": "alice", "familyName": "Example"},
        "displayName": "alice Example",
        "emails": [{"value": ALICE, "primary": True}],
    }
    live = server.http.post("/Users", json=body)
    assert live.status_code == 201, live.text
    directory = _org(tmp_path / "d", [_user(ALICE)], [])
    plan = cli("plan", "--dir", directory, "--adopt", env=server.env)
    assert (
        f'& takes over the live user "Alice@Example.com" (id "{live.json()["id"]}", no '
        "externalId)" in plan.out
    ), plan.out
