"""The pull request each granting commit came from: who asked, why, who approved and when.

Read through ``reconciler.github`` (``GITHUB_TOKEN`` on ``GITHUB_REPOSITORY``): one
request for the pull requests of a commit (``GET /repos/{repo}/commits/{sha}/pulls``,
which finds a squash merge's pull request as well as a merge's or a rebase's), and, once
per pull request, its reviews and its commits. A squash merge keeps none of that in git.

The approvals are those standing on the pull request's final commit, counted as the
privileged-change approvals are (``reviews.approvers_at``). Everything GitHub answers is
untrusted: logins are checked, titles are kept as text and escaped where they are shown.
Requests go one after another, as GitHub asks of API clients (concurrent ones meet its
secondary rate limits).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.access_review.model import Approval, PullRequest
from reconciler.github.api import GitHubApi, GitHubRepo, check_sha
from reconciler.github.reviews import LOGIN, approvers_at
from reconciler.scim.redaction import keep_out_of_output

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
WEB_FLOW = "web-flow"
"""GitHub's own committer of the commits made on its web site: no person."""


def github_repo(env: Mapping[str, str]) -> GitHubRepo | None:
    """Where to read pull requests, or None (git alone) when the environment names no
    repository and token; a repository or API URL that is named but wrong is an error."""
    if not env.get("GITHUB_TOKEN") or not env.get("GITHUB_REPOSITORY"):
        return None
    return GitHubRepo.from_env(env)


def missing_github(env: Mapping[str, str]) -> str:
    """Which of the variables the GitHub look-ups need are not set."""
    names = [n for n in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(n)]
    return " and ".join(names)


def pull_requests(repo: GitHubRepo, shas: Iterable[str]) -> dict[str, PullRequest | None]:
    """The pull request of each commit (None: it came from none that GitHub knows)."""
    keep_out_of_output(repo.token)
    with GitHubApi(repo) as api:
        lookup = _Lookup(api, repo)
        return {sha: lookup.of_commit(sha) for sha in sorted(set(shas))}


class _Lookup:
    def __init__(self, api: GitHubApi, repo: GitHubRepo) -> None:
        self.api = api
        self.repo = repo
        self.pulls: dict[int, PullRequest] = {}

    def of_commit(self, sha: str) -> PullRequest | None:
        found = self.api.get_or_none(self.repo.path("commits", check_sha(sha, "a commit"), "pulls"))
        item = _chosen(found if isinstance(found, list) else [], sha)
        if item is None:
            return None
        number = item["number"]
        if number not in self.pulls:
            self.pulls[number] = self._pull(item)
        return self.pulls[number]

    def _pull(self, item: Mapping[str, Any]) -> PullRequest:
        number = item["number"]
        head = item.get("head")
        sha = check_sha(
            head.get("sha") if isinstance(head, dict) else None, f"pull request #{number}'s head"
        )
        reviews = list(self.api.pages(self.repo.path("pulls", number, "reviews")))
        commits = self.api.pages(self.repo.path("pulls", number, "commits"))
        return PullRequest(
            number=number,
            url=_text(item.get("html_url")),
            title=_text(item.get("title")),
            author=_login(item.get("user")) or "",
            merged_at=_timestamp(item.get("merged_at")),
            approvals=approvals_at(reviews, sha),
            committers=_committers(commits),
        )


def _chosen(items: list[Any], sha: str) -> Mapping[str, Any] | None:
    """The pull request that brought ``sha``: the one merged as it (a squash or a merge
    commit), else the first merged one that holds it, else the first one listed."""
    pulls = [p for p in items if isinstance(p, dict) and _number(p.get("number"))]
    merged = [p for p in pulls if p.get("merged_at")]
    exact = [p for p in merged if p.get("merge_commit_sha") == sha]
    return next(iter(exact or merged or pulls), None)


def approvals_at(reviews: Iterable[Any], head: str) -> tuple[Approval, ...]:
    """The standing approvals of ``head`` (``reviews.approvers_at`` decides which), each
    with when it was submitted (a reviewer's latest approval of it)."""
    listed = list(reviews)
    standing = set(approvers_at(listed, head).values())
    when: dict[str, str] = {}
    for review in listed:
        login = _login(review.get("user")) if isinstance(review, dict) else None
        if (
            login in standing
            and review.get("state") == "APPROVED"
            and review.get("commit_id") == head
        ):
            when[login] = _timestamp(review.get("submitted_at"))
    return tuple(Approval(login, at) for login, at in sorted(when.items()))


def _committers(commits: Iterable[Any]) -> tuple[str, ...]:
    """The logins that wrote or committed the pull request's commits."""
    found = set()
    for commit in commits:
        for role in ("author", "committer"):
            login = _login(commit.get(role)) if isinstance(commit, dict) else None
            if login and login != WEB_FLOW:
                found.add(login)
    return tuple(sorted(found))


def _login(user: Any) -> str | None:
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) and LOGIN.match(login) else None


def _number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _timestamp(value: Any) -> str:
    return value if isinstance(value, str) and TIMESTAMP.match(value) else ""
