"""Approvals of privileged changes: a named approver's review of the PR's current head.

Against the fake GitHub API (tests/github/fakeapi.py) and the sandbox SCIM server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.github.reviews import approvers_at
from tests.conftest import TOKEN, Server
from tests.github.fakeapi import FakeGitHub, serving
from tests.workflow.helpers import edit_group, members, remove_user, set_policy

HEAD = "a" * 40
OLD = "b" * 40
GRACE = "grace.hopper@example.com"
PR = 7
POLICY: dict[str, Any] = {
    "privileged_groups": {"aws-admins": {"approvers": ["alice-gh", "@acme/security"]}}
}


def _review(login: str, state: str, commit: str = HEAD) -> dict[str, Any]:
    return {"user": {"login": login}, "state": state, "commit_id": commit}


@pytest.mark.parametrize(
    ("reviews", "approving"),
    [
        ([_review("alice", "APPROVED")], {"alice"}),
        ([_review("alice", "APPROVED", OLD)], set()),
        ([_review("alice", "APPROVED"), _review("alice", "CHANGES_REQUESTED")], set()),
        ([_review("alice", "CHANGES_REQUESTED"), _review("alice", "APPROVED")], {"alice"}),
        ([_review("alice", "APPROVED"), _review("alice", "COMMENTED")], {"alice"}),
        ([_review("alice", "DISMISSED")], set()),
        ([_review("alice", "APPROVED"), _review("alice", "APPROVED", OLD)], set()),
        ([_review("../orgs/x", "APPROVED"), {"user": None, "state": "APPROVED"}], set()),
    ],
)
def test_only_a_standing_approval_of_the_head_counts(
    reviews: list[dict[str, Any]], approving: set[str]
) -> None:
    assert set(approvers_at(reviews, HEAD)) == approving


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serving() as fake:
        fake.open_pull(PR, HEAD)
        fake.team("acme", "security", {"carol-gh"})
        yield fake


def _env(server: Server, github: FakeGitHub) -> dict[str, str]:
    return {**server.env, **github.env}


def _with_new_admin(cli, org: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, **POLICY)
    first = cli("apply", "--dir", org, "--auto-approve", "--allow", "privileged", env=server.env)
    assert first.code == 0, first.out + first.err
    edit_group(org, "aws-admins", members=[*members(org, "aws-admins"), GRACE])


@pytest.mark.integration
def test_privileged_row_is_refused_until_a_named_approver_approves_the_head(
    cli, org: Path, generic_server: Server, github: FakeGitHub
) -> None:  # type: ignore[no-untyped-def]
    _with_new_admin(cli, org, generic_server)
    env = _env(generic_server, github)
    args = ("--dir", org, "--pull-request", str(PR))

    refused = cli("plan", *args, env=env)
    assert refused.code == 3, refused.out + refused.err
    assert "one of: alice-gh, @acme/security" in refused.out

    github.review(PR, "alice-gh", "APPROVED", commit=OLD)  # an approval of an older push
    github.review(PR, "mallory-gh", "APPROVED")  # not a named approver
    assert cli("plan", *args, env=env).code == 3
    markdown = cli("plan", *args, "--format", "markdown", env=env)
    assert "alice-gh, @\u2060acme/security" in markdown.out, "who must approve, unmentioned"

    github.review(PR, "carol-gh", "APPROVED")  # a member of @acme/security
    approved = cli("plan", *args, env=env)
    assert approved.code == 0, approved.out + approved.err
    assert "approved by @acme/security (carol-gh) on pull request #7" in approved.out
    applied = cli("apply", *args, "--auto-approve", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert GRACE in generic_server.member_names("aws-admins")
    assert all(auth == f"Bearer {github.token}" for _, auth in github.requests)
    assert github.token not in applied.out + applied.err


@pytest.mark.integration
def test_force_never_approves_a_privileged_change(
    cli, org: Path, generic_server: Server, github: FakeGitHub
) -> None:  # type: ignore[no-untyped-def]
    _with_new_admin(cli, org, generic_server)
    forced = cli("apply", "--dir", org, "--auto-approve", "--force", env=generic_server.env)
    assert forced.code == 3, forced.out
    assert "needs an approving review" in forced.out
    assert GRACE not in generic_server.member_names("aws-admins")


@pytest.mark.integration
def test_allow_privileged_never_lifts_a_limit(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, privileged_groups=["aws-admins"], limits={"deactivations": {"count": 0}})
    first = cli(
        "apply", "--dir", org, "--auto-approve", "--allow", "privileged", env=generic_server.env
    )
    assert first.code == 0, first.out + first.err
    remove_user(org, "john.nash@example.com")
    allowed = cli(
        "apply", "--dir", org, "--auto-approve", "--allow", "privileged", env=generic_server.env
    )
    assert allowed.code == 3
    assert "1 deactivations exceed the limit of 0" in allowed.out
    assert generic_server.user("john.nash@example.com").get("active", True) is True


@pytest.mark.integration
def test_a_list_of_privileged_groups_names_no_approver(
    cli, org: Path, generic_server: Server, github: FakeGitHub
) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, privileged_groups=["aws-admins"])
    github.review(PR, "alice-gh", "APPROVED")
    env = _env(generic_server, github)
    refused = cli("plan", "--dir", org, "--pull-request", str(PR), env=env)
    assert refused.code == 3
    assert "needs --allow privileged (the policy names no approvers)" in refused.out


@pytest.mark.integration
def test_apply_of_a_saved_plan_reads_the_approvals_again(
    cli, org: Path, generic_server: Server, github: FakeGitHub, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _with_new_admin(cli, org, generic_server)
    env = _env(generic_server, github)
    github.review(PR, "alice-gh", "APPROVED")
    saved = tmp_path / "plan.json"
    made = cli("plan", "--dir", org, "--pull-request", str(PR), "--out", saved, env=env)
    assert made.code == 0, made.out + made.err
    assert any(c["status"] == "planned" for c in json.loads(saved.read_text())["changes"])

    github.push(PR, "c" * 40)  # a push after the approval: the approval is of an older head
    stale = cli("apply", saved, "--dir", org, "--pull-request", str(PR), "--auto-approve", env=env)
    assert stale.code == 3, stale.out + stale.err
    unnamed = cli("apply", saved, "--dir", org, "--auto-approve", env=generic_server.env)
    assert unnamed.code == 3, "the plan file's 'planned' is never an approval"
    assert GRACE not in generic_server.member_names("aws-admins")

    github.review(PR, "alice-gh", "APPROVED")
    applied = cli(
        "apply", saved, "--dir", org, "--pull-request", str(PR), "--auto-approve", env=env
    )
    assert applied.code == 0, applied.out + applied.err
    assert GRACE in generic_server.member_names("aws-admins")


@pytest.mark.integration
def test_missing_github_settings_are_an_error(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, **POLICY)
    failed = cli("plan", "--dir", org, "--pull-request", "3", env=generic_server.env)
    assert failed.code == 1
    assert "set GITHUB_REPOSITORY (owner/name) and GITHUB_TOKEN" in failed.err
    assert TOKEN not in failed.err


@pytest.mark.integration
def test_a_github_failure_is_an_error_never_an_approval(
    cli, org: Path, generic_server: Server, github: FakeGitHub
) -> None:  # type: ignore[no-untyped-def]
    _with_new_admin(cli, org, generic_server)
    github.review(PR, "alice-gh", "APPROVED")
    env = {**_env(generic_server, github), "GITHUB_TOKEN": "wrong-gh-token"}
    failed = cli("apply", "--dir", org, "--pull-request", str(PR), "--auto-approve", env=env)
    assert failed.code == 1
    assert "answered 401: GITHUB_TOKEN is not accepted" in failed.err
    assert "wrong-gh-token" not in failed.out + failed.err
    unknown = cli("plan", "--dir", org, "--pull-request", "99", env=_env(generic_server, github))
    assert unknown.code == 1 and "answered 404" in unknown.err
    assert GRACE not in generic_server.member_names("aws-admins")
