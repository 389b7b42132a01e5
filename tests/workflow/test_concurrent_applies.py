"""Two applies at once, and the duplicates a race leaves behind.

One machine: the second apply against a target fails at once on the target's lock
and changes nothing. Copies a race left (two groups with one ownership marker), or a
marker on two users, are a conflict the plan names; no copy is picked, updated,
deleted, or has members moved.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler.lock import lock_path
from tests.conftest import TOKEN, Server
from tests.faults.proxy import FaultProxy, Incoming, Reply
from tests.reliability.support import origin_of
from tests.workflow.helpers import edit_group, edit_user, members

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _gate() -> tuple[threading.Event, threading.Event, Any]:
    """An intercept that holds the first group create until ``release`` is set."""
    reached, release = threading.Event(), threading.Event()

    def intercept(incoming: Incoming, forward: Any) -> Reply | None:
        if incoming.method == "POST" and incoming.path.endswith("/Groups"):
            reached.set()
            release.wait(20)
        return None

    return reached, release, intercept


def test_a_second_apply_against_the_same_target_fails_fast_on_the_lock(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    reached, release, intercept = _gate()
    with FaultProxy(origin_of(generic_server.url), intercept=intercept) as proxy:
        url = proxy.base(generic_server.url)
        env = {"SCIM_URL": url, "SCIM_TOKEN": TOKEN, "SCIM_PROFILE": "generic"}
        first = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "apply", "--dir", str(org), "--auto-approve"],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert reached.wait(60), "the first apply never reached its first group create"
            second = cli("apply", "--dir", org, "--auto-approve", env=env)
        finally:
            release.set()
            out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert second.code == 1, second.out + second.err
    assert "another scimctl apply against" in second.err
    assert str(lock_path(url)) in second.err.replace("\n", "")
    names = [g["displayName"] for g in generic_server.groups()]
    assert sorted(names) == sorted(set(names)) and len(names) == 6
    assert cli("plan", "--dir", org, "--detailed-exitcode", env=generic_server.env).code == 0


def test_two_copies_of_a_group_are_a_conflict_and_neither_is_touched(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    (first,) = [g for g in generic_server.groups() if g["displayName"] == "engineering"]
    copy = generic_server.http.post(
        "/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "engineering",
            "externalId": "scimctl:engineering",
        },
    ).json()
    edit_group(org, "engineering", members=members(org, "engineering")[:2])
    plan = cli("plan", "--dir", org, env=env)
    assert "! conflict group engineering" in plan.out
    assert f"'engineering' (id '{first['id']}')" in plan.out
    assert f"'engineering' (id '{copy['id']}')" in plan.out
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 3  # left in conflict
    edit_group(org, "engineering", displayName="engineering-renamed")
    gone = cli("apply", "--dir", org, "--auto-approve", env=env)
    assert gone.code == 3, gone.out + gone.err  # the copies stay in conflict
    copies = [g for g in generic_server.groups() if g["displayName"] == "engineering"]
    assert {g["id"] for g in copies} == {first["id"], copy["id"]}
    assert len(generic_server.member_names("engineering-renamed")) == 2
    by_id = {g["id"]: g for g in copies}
    assert len(by_id[first["id"]].get("members", [])) == 6
    assert by_id[copy["id"]].get("members", []) == []


def test_a_marker_on_two_users_writes_neither(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    """mallory@ carries ada's marker: nothing renames, deactivates or moves access."""
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    ada = generic_server.user("ada.lovelace@example.com")
    mallory = generic_server.http.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "mallory@example.com",
            "externalId": "scimctl:ada.lovelace@example.com",
        },
    ).json()
    edit_user(org, "ada.lovelace@example.com", title="Countess")
    edit_group(org, "aws-admins", members=["margaret.hamilton@example.com"])
    plan = cli("plan", "--dir", org, env=env)
    assert "! conflict user ada.lovelace@example.com" in plan.out
    assert f"'ada.lovelace@example.com' (id '{ada['id']}')" in plan.out
    assert f"'mallory@example.com' (id '{mallory['id']}')" in plan.out
    applied = cli("apply", "--dir", org, "--auto-approve", "--force", env=env)
    assert applied.code == 3, applied.out + applied.err  # the rest applied; one left in conflict
    assert "Not applied: 1 change in conflict (user:ada.lovelace@example.com)" in applied.err
    assert generic_server.user("ada.lovelace@example.com") == ada
    assert generic_server.user("mallory@example.com")["userName"] == "mallory@example.com"
    admins = generic_server.member_names("aws-admins")
    assert "ada.lovelace@example.com" in admins and "mallory@example.com" not in admins
    assert "barbara.liskov@example.com" not in admins
