"""Heal (issue 18, 9): `apply --heal REF` undoes what changed behind git's back since the
last reviewed apply (REF), and never applies a change git holds that no reviewed plan made
(a direct push, a squash that folded in other changes): that one is named, not applied."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.workflow.helpers import edit_group, edit_user, members

pytestmark = pytest.mark.integration

GRACE = "grace.hopper@example.com"
ALAN = "alan.turing@example.com"
ADA = "ada.lovelace@example.com"


def _git(org: Path, *args: str) -> str:
    base = ["git", "-C", str(org.parent), "-c", "user.name=t", "-c", "user.email=t@t"]
    return subprocess.run([*base, *args], check=True, capture_output=True, text=True).stdout


def _commit(org: Path, message: str) -> str:
    _git(org, "add", ".")
    _git(org, "commit", "-qm", message)
    return _git(org, "rev-parse", "HEAD").strip()


def _set_title(server: Server, user_name: str, title: str) -> None:
    user = server.user(user_name)
    server.http.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": title}],
        },
    ).raise_for_status()


def test_heal_undoes_out_of_band_changes_and_never_applies_an_unreviewed_one(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    _git(org, "init", "-q")
    reviewed = _commit(org, "the state a reviewed apply made")
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0

    _set_title(generic_server, ALAN, "Changed in the console")  # out of band
    edit_user(org, GRACE, title="Pushed straight to main")  # unreviewed: its apply refused
    edit_group(org, "finance", members=[*members(org, "finance"), ADA])
    _commit(org, "a direct push")

    healed = cli("apply", "--dir", org, "--auto-approve", "--heal", reviewed, env=env)

    assert healed.code == 0, healed.out + healed.err
    assert generic_server.user(ALAN)["title"] == "Staff Engineer"  # healed
    assert generic_server.user(GRACE)["title"] == "Principal Engineer"  # not applied
    assert ADA not in generic_server.member_names("finance")  # not applied
    assert f"not healed: 2 change(s) pending since {reviewed}" in healed.out
    assert f"user:{GRACE}" in healed.out and "group:finance" in healed.out


def test_heal_outside_git_applies_nothing(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    refused = cli("apply", "--dir", org, "--auto-approve", "--heal", "HEAD", env=generic_server.env)
    assert refused.code == 1
    assert "heal applies nothing without it" in refused.err
    assert generic_server.users() == []
