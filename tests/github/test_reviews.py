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


def _with_new_admin(cli, org: Path, server: Server, **policy: Any) -> None:  # type: ignore[no-untyped-def]
    first = cli("apply", "--dir", org, "--auto-approve", env=server.env)
    assert first.code == 0, first.out + first.err
    set_policy(org, **{**POLICY, **policy})
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


@pytest.mark.integration
def test_allow_privileged_off_a_terminal_approves_no_group_that_names_approvers(
    cli, org: Path, generic_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """`--auto-approve --allow privileged </dev/null`: anything that can put arguments into
    a workflow would approve everything. Only the named approvers' reviews do, off a
    terminal; a person at one still can (issue 18, 12)."""
    _with_new_admin(cli, org, generic_server)
    allow = ("--allow", "privileged")
    scripted = cli("apply", "--dir", org, "--auto-approve", *allow, env=generic_server.env)
    assert scripted.code == 3, scripted.out + scripted.err
    assert "needs an approving review of the pull request's current head" in scripted.out
    assert GRACE not in generic_server.member_names("aws-admins")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    person = cli("plan", "--dir", org, *allow, env=generic_server.env)
    assert person.code == 0, person.out + person.err
    assert "approved by --allow privileged" in person.out


@pytest.mark.integration
def test_a_run_of_an_older_head_reads_no_approval_and_plans_nothing(
    cli, org: Path, generic_server: Server, github: FakeGitHub
) -> None:  # type: ignore[no-untyped-def]
    """Its files are of OLD; alice approved HEAD, the pull request's head now. Reading her
    approval for OLD's plan would approve what she never saw (issue 18, 5)."""
    _with_new_admin(cli, org, generic_server)
    github.review(PR, "alice-gh", "APPROVED")
    env = _env(generic_server, github)
    args = ("--dir", org, "--pull-request", str(PR))
    old = cli("plan", *args, "--pull-request-head", OLD, env=env)
    assert old.code == 3, old.out + old.err
    assert f"pull request #7's head is now {HEAD[:12]}, not {OLD[:12]}" in old.err
    assert "approved by" not in old.out
    current = cli("plan", *args, "--pull-request-head", HEAD, env=env)
    assert current.code == 0, current.out + current.err
    assert "approved by alice-gh (alice-gh) on pull request #7" in current.out
    bad = cli("plan", "--dir", org, "--pull-request-head", HEAD, env=env)
    assert bad.code == 1 and "--pull-request-head takes the full commit SHA" in bad.err


@pytest.mark.integration
def test_the_last_pusher_cannot_approve_when_the_policy_says_so(
    cli, org: Path, generic_server: Server, github: FakeGitHub
) -> None:  # type: ignore[no-untyped-def]
    """alice pushed a commit to someone else's pull request, then approved it (Also)."""
    _with_new_admin(cli, org, generic_server, last_pusher_cannot_approve=True)
    github.review(PR, "alice-gh", "APPROVED")
    env = _env(generic_server, github)
    args = ("--dir", org, "--pull-request", str(PR))
    unknown = cli("plan", *args, env=env)
    assert unknown.code == 1 and "pass --pushed-by LOGIN" in unknown.err
    own = cli("plan", *args, "--pushed-by", "Alice-GH", env=env)
    assert own.code == 3, own.out + own.err
    assert "one of: alice-gh, @acme/security" in own.out
    other = cli("plan", *args, "--pushed-by", "bob-gh", env=env)
    assert other.code == 0, other.out + other.err
    assert "(the review of bob-gh, who pushed it, does not count)" in other.out
