"""``github/reviews.py`` on what GitHub might answer: each answer that is not a standing
approval of the current head approves nothing, and a broken answer is an error, never
an approval. Against the fake GitHub API (tests/github/fakeapi.py), over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from reconciler.errors import GitHubError, InputError, RefusedError
from reconciler.github.api import GitHubRepo
from reconciler.github.reviews import approvals_for, approvers_at, read_approvals
from reconciler.policy import Policy
from tests.github.fakeapi import FakeGitHub, serving

HEAD = "c" * 40
PR = 7


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serving() as fake:
        fake.open_pull(PR, HEAD)
        fake.team("acme", "security", {"carol-gh"})
        yield fake


def _read(github: FakeGitHub, *named: str) -> dict[str, str]:
    found = read_approvals(GitHubRepo.from_env(github.env), PR, named)
    return dict(found.approved_by)


def test_an_approval_says_where_it_was_read(github: FakeGitHub) -> None:
    github.review(PR, "Alice-GH", "APPROVED")
    found = read_approvals(GitHubRepo.from_env(github.env), PR, ["alice-gh"])
    assert dict(found.approved_by) == {"alice-gh": "Alice-GH"}
    assert found.source == f"pull request #{PR} at {HEAD[:12]}"
    assert not found.allow_privileged


def test_a_team_is_satisfied_by_an_approving_member_only(github: FakeGitHub) -> None:
    github.review(PR, "dave-gh", "APPROVED")
    assert _read(github, "@acme/security") == {}
    github.review(PR, "carol-gh", "APPROVED")
    assert _read(github, "@acme/security", "alice-gh") == {"@acme/security": "carol-gh"}


@pytest.mark.parametrize(
    "pull",
    [
        {"number": PR},  # no head
        {"number": PR, "head": {}},  # no sha
        {"number": PR, "head": {"sha": "not-a-sha"}},
        [{"number": PR, "head": {"sha": HEAD}}],  # not an object
    ],
)
def test_a_pull_request_without_a_readable_head_is_an_error(github: FakeGitHub, pull: Any) -> None:
    github.pulls[PR] = pull
    github.review(PR, "alice-gh", "APPROVED", commit=HEAD)
    with pytest.raises(GitHubError) as caught:
        _read(github, "alice-gh")
    assert f"pull request #{PR}'s head" in str(caught.value)


@pytest.mark.parametrize(
    "reviews",
    [
        ["APPROVED", None, 7],  # not objects
        [{"user": "alice-gh", "state": "APPROVED", "commit_id": HEAD}],  # user not an object
        [{"user": {"login": 7}, "state": "APPROVED", "commit_id": HEAD}],
        [{"user": {"login": "alice gh"}, "state": "APPROVED", "commit_id": HEAD}],
    ],
)
def test_reviews_that_are_not_reviews_approve_nothing(reviews: list[Any]) -> None:
    assert approvers_at(reviews, HEAD) == {}


def test_a_later_review_of_another_reviewer_does_not_replace_an_approval() -> None:
    reviews = [
        {"user": {"login": "alice-gh"}, "state": "APPROVED", "commit_id": HEAD},
        {"user": {"login": "bob-gh"}, "state": "CHANGES_REQUESTED", "commit_id": HEAD},
        {"user": {"login": None}, "state": "CHANGES_REQUESTED", "commit_id": HEAD},
    ]
    assert approvers_at(reviews, HEAD) == {"alice-gh": "alice-gh"}


@pytest.mark.parametrize("team", ["@acme/", "@/security", "@./security", "@acme/..", "@../x"])
def test_a_team_name_that_could_leave_its_path_is_an_error(github: FakeGitHub, team: str) -> None:
    github.review(PR, "carol-gh", "APPROVED")
    with pytest.raises(GitHubError) as caught:
        _read(github, team)
    assert str(caught.value) == f"GitHub API: {team!r} is not a team"
    assert not any("/memberships/" in path for path, _ in github.requests)


def test_a_run_of_an_older_head_reads_no_approval(github: FakeGitHub) -> None:
    """The run's commit must be the pull request's head: its files and its approvals are
    of one commit."""
    older = "d" * 40
    github.review(PR, "alice-gh", "APPROVED")
    with pytest.raises(RefusedError) as caught:
        read_approvals(GitHubRepo.from_env(github.env), PR, ["alice-gh"], head=older)
    assert str(caught.value) == (
        f"pull request #{PR}'s head is now {HEAD[:12]}, not {older[:12]}, the commit this run "
        "is of (a re-run of an older push?): its desired state and its approvals would be of "
        "two commits; nothing was planned. The run of the current head plans it"
    )
    assert not any(path.endswith("/reviews") for path, _ in github.requests)
    same = read_approvals(GitHubRepo.from_env(github.env), PR, ["alice-gh"], head=HEAD)
    assert dict(same.approved_by) == {"alice-gh": "alice-gh"}


def test_the_reviews_of_excluded_logins_count_for_nothing(github: FakeGitHub) -> None:
    github.review(PR, "Alice-GH", "APPROVED")
    github.review(PR, "bob-gh", "APPROVED")
    repo = GitHubRepo.from_env(github.env)
    found = read_approvals(repo, PR, ["alice-gh", "bob-gh"], excluded=("alice-gh", "eve-gh"))
    assert dict(found.approved_by) == {"bob-gh": "bob-gh"}
    assert found.source == (
        f"pull request #{PR} at {HEAD[:12]} (the review of alice-gh, eve-gh, who pushed it, "
        "does not count)"
    )


NAMED = Policy(
    privileged_groups=frozenset({"admins"}),
    approvers={"admins": ("alice-gh", "@acme/security")},
)


def test_without_a_pull_request_only_the_flags_decide() -> None:
    found = approvals_for(NAMED, allow_privileged=True, pull_request=None, env={})
    assert (found.allow_privileged, found.allow_named, dict(found.approved_by)) == (
        True,
        True,
        {},
    )
    off = approvals_for(NAMED, allow_privileged=True, pull_request=None, env={}, terminal=False)
    assert (off.allow_privileged, off.allow_named) == (True, False)


@pytest.mark.parametrize(("allow", "terminal"), [(True, False), (False, True)])
def test_a_pull_requests_approvals_keep_the_runs_flags(
    github: FakeGitHub, allow: bool, terminal: bool
) -> None:
    github.review(PR, "carol-gh", "APPROVED")
    found = approvals_for(
        NAMED, allow_privileged=allow, pull_request=PR, env=github.env, terminal=terminal
    )
    assert dict(found.approved_by) == {"@acme/security": "carol-gh"}
    assert (found.allow_privileged, found.allow_named) == (allow, terminal)
    assert found.source == f"pull request #{PR} at {HEAD[:12]}"


def test_when_the_last_pusher_cannot_approve_the_pusher_must_be_named(
    github: FakeGitHub,
) -> None:
    policy = replace(NAMED, last_pusher_cannot_approve=True)
    with pytest.raises(InputError) as caught:
        approvals_for(policy, allow_privileged=False, pull_request=PR, env=github.env)
    assert str(caught.value) == (
        "the policy says the last pusher cannot approve: pass --pushed-by LOGIN (who pushed "
        "the pull request's head; the GitHub action passes it)"
    )
    github.review(PR, "alice-gh", "APPROVED")
    found = approvals_for(
        policy, allow_privileged=False, pull_request=PR, env=github.env, pusher="Alice-GH"
    )
    assert dict(found.approved_by) == {}
