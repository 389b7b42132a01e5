"""The pull request of each granting commit, read from the fake GitHub API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.access_review.model import Approval
from reconciler.access_review.pulls import (
    approvals_at,
    github_repo,
    missing_github,
    pull_requests,
)
from reconciler.errors import GitHubError, InputError
from reconciler.github.api import GitHubRepo
from tests.access_review.fakegithub import ReviewedGitHub
from tests.github.fakeapi import serving

HEAD = "a" * 40
OLD = "b" * 40
SQUASH = "c" * 40
BRANCH = "d" * 40
DIRECT = "e" * 40


def _review(login: str, state: str, commit: str = HEAD, at: str = "") -> dict[str, Any]:
    return {"user": {"login": login}, "state": state, "commit_id": commit, "submitted_at": at}


def test_approvals_are_the_standing_ones_of_the_head_with_when() -> None:
    reviews = [
        _review("ann", "APPROVED", at="2026-01-01T10:00:00Z"),
        _review("ann", "APPROVED", at="2026-01-02T10:00:00Z"),
        _review("ben", "APPROVED", OLD, at="2026-01-01T09:00:00Z"),
        _review("cat", "APPROVED", at="2026-01-01T11:00:00Z"),
        _review("cat", "CHANGES_REQUESTED", at="2026-01-01T12:00:00Z"),
        _review("dan", "APPROVED", at="yesterday <b>"),
        _review("../x", "APPROVED", at="2026-01-01T10:00:00Z"),
    ]
    assert approvals_at(reviews, HEAD) == (
        Approval("ann", "2026-01-02T10:00:00Z"),
        Approval("dan", ""),
    )


@pytest.fixture
def github() -> Iterator[ReviewedGitHub]:
    with serving(ReviewedGitHub()) as fake:
        fake.merged(
            4,
            SQUASH,
            author="ann-a",
            title="Ben | admin <b>",
            committers=["ann-a", "ben-b"],
            approvals=[("BEN-B", "2026-01-03T10:00:00Z")],
        )
        fake.open_pull(5, HEAD)  # an open one that also holds the branch commit
        fake.commits.setdefault(BRANCH, []).extend([5, 4])
        yield fake


def test_each_commit_gets_the_pull_request_it_was_merged_by(github: ReviewedGitHub) -> None:
    repo = github_repo(github.env)
    assert repo is not None
    found = pull_requests(repo, [SQUASH, BRANCH, DIRECT, SQUASH])
    assert found[DIRECT] is None
    squash = found[SQUASH]
    assert squash is not None and found[BRANCH] is squash  # merged, not the open one
    assert (squash.number, squash.author, squash.title) == (4, "ann-a", "Ben | admin <b>")
    assert squash.url == "https://github.com/example/identity/pull/4"
    assert squash.merged_at == "2026-01-02T00:00:00Z"
    assert squash.committers == ("ann-a", "ben-b")  # web-flow, GitHub's committer, is no one
    assert squash.approvals == (Approval("BEN-B", "2026-01-03T10:00:00Z"),)
    assert squash.self_approvers == ("BEN-B",)
    reads = [path for path, _ in github.requests if path.endswith(("/reviews", "/commits"))]
    assert len(reads) == 2, "each pull request is read once"
    asked = [path for path, _ in github.requests if path.endswith("/pulls")]
    assert len(asked) == 3, "one request for the pull requests of each commit"


def test_a_wrong_token_is_an_error_that_never_shows_it(github: ReviewedGitHub) -> None:
    repo = GitHubRepo(github.url, github.repository, "not-the-token-5f3a9c")
    with pytest.raises(GitHubError) as failed:
        pull_requests(repo, [SQUASH])
    assert "not accepted" in str(failed.value) and "5f3a9c" not in str(failed.value)


def test_github_is_read_only_when_both_variables_are_set() -> None:
    assert github_repo({}) is None
    assert github_repo({"GITHUB_TOKEN": "t"}) is None
    assert missing_github({"GITHUB_TOKEN": "t"}) == "GITHUB_REPOSITORY"
    assert missing_github({}) == "GITHUB_TOKEN and GITHUB_REPOSITORY"
    with pytest.raises(InputError, match="GITHUB_REPOSITORY"):
        github_repo({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "not a repository"})
