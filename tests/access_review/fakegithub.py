"""The tests' fake GitHub API (tests/github/fakeapi.py), with what the access review also
reads: a pull request's author and title, its commits (``pulls/{n}/commits``), and when
each review was submitted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.github.fakeapi import FakeGitHub, Start, _answer, _page

PULL_COMMITS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/commits$")


@dataclass
class ReviewedGitHub(FakeGitHub):
    pull_commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Pull request → its commits, each with its author's and committer's login."""

    def merged(
        self,
        number: int,
        merge_sha: str,
        *,
        author: str,
        title: str,
        committers: Iterable[str] = (),
        approvals: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Pull request ``number``, by ``author``, merged as ``merge_sha`` (a squash): its
        commits by ``committers`` (default: its author), approved by each (login, when)."""
        pull = self.open_pull(number, f"{number:040x}")
        pull.update(title=title, user={"login": author, "type": "User"})
        self.pull_commits[number] = [
            {
                "sha": f"{number:020x}{n:020x}",
                "author": {"login": login, "type": "User"},
                "committer": {"login": "web-flow", "type": "User"},
            }
            for n, login in enumerate(list(committers) or [author])
        ]
        for login, at in approvals:
            self.review(number, login, "APPROVED")
            self.reviews[number][-1]["submitted_at"] = at
        self.merge(number, merge_sha)

    def __call__(self, environ: dict[str, Any], start: Start) -> Iterator[bytes]:
        path = environ.get("PATH_INFO", "")
        found = PULL_COMMITS.match(path)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not found or found["repo"] != self.repository or auth != f"Bearer {self.token}":
            return super().__call__(environ, start)
        self.requests.append((path, auth))
        query = dict(q.split("=", 1) for q in environ.get("QUERY_STRING", "").split("&") if q)
        commits = self.pull_commits.get(int(found["n"]))
        if commits is None:
            return _answer(start, 404, {"message": "Not Found"})
        return _answer(start, 200, _page(commits, query))
