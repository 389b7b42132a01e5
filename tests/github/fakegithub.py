"""A fake GitHub REST API on 127.0.0.1: pull requests, their reviews, team memberships.

Only what the tool reads, answered the way GitHub does (reviews in the order they were
submitted, paged by ``per_page``/``page``; a team membership is 200 with a state, or 404).
Every request is recorded, so a test can check what was asked and with which token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from reconciler.sandbox.server import running

Start = Callable[[str, list[tuple[str, str]]], Any]

PULL = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)$")
REVIEWS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/reviews$")
MEMBERSHIP = re.compile(
    r"^/orgs/(?P<org>[^/]+)/teams/(?P<team>[^/]+)/memberships/(?P<login>[^/]+)$"
)


@dataclass
class FakeGitHub:
    """The state of the fake: set it up in a test, then point GITHUB_API_URL at ``url``."""

    token: str = "gh-test-token"
    repository: str = "acme/identity"
    heads: dict[int, str] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    teams: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path, Authorization header) of every request."""
    url: str = ""

    @property
    def env(self) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.url,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_TOKEN": self.token,
        }

    def open_pull(self, number: int, head: str) -> None:
        self.heads[number] = head
        self.reviews.setdefault(number, [])

    def push(self, number: int, head: str) -> None:
        """A new commit on the pull request: earlier reviews are of an older head."""
        self.heads[number] = head

    def review(self, number: int, login: str, state: str, commit: str | None = None) -> None:
        entry = {
            "id": sum(len(r) for r in self.reviews.values()) + 1,
            "user": {"login": login, "type": "User"},
            "state": state,
            "commit_id": commit or self.heads[number],
            "submitted_at": "2026-01-01T00:00:00Z",
        }
        self.reviews[number].append(entry)

    def dismiss(self, number: int, login: str) -> None:
        for entry in self.reviews[number]:
            if entry["user"]["login"] == login and entry["state"] == "APPROVED":
                entry["state"] = "DISMISSED"

    def team(self, org: str, team: str, members: Iterable[str]) -> None:
        self.teams[(org, team)] = set(members)

    def __call__(self, environ: dict[str, Any], start: Start) -> Iterator[bytes]:
        path = environ.get("PATH_INFO", "")
        self.requests.append((path, environ.get("HTTP_AUTHORIZATION", "")))
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            return _answer(start, 401, {"message": "Bad credentials"})
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        status, body = self._route(path, query)
        return _answer(start, status, body)

    def _route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if (m := PULL.match(path)) and m["repo"] == self.repository and int(m["n"]) in self.heads:
            return 200, {"number": int(m["n"]), "head": {"sha": self.heads[int(m["n"])]}}
        if (
            (m := REVIEWS.match(path))
            and m["repo"] == self.repository
            and int(m["n"]) in self.heads
        ):
            size, page = int(query.get("per_page", 30)), int(query.get("page", 1))
            return 200, self.reviews[int(m["n"])][(page - 1) * size : page * size]
        if m := MEMBERSHIP.match(path):
            members = self.teams.get((m["org"], m["team"]), set())
            if m["login"] in members:
                return 200, {"state": "active", "role": "member"}
        return 404, {"message": "Not Found"}


def _answer(start: Start, status: int, body: Any) -> Iterator[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 401: "Unauthorized", 404: "Not Found"}[status]
    start(f"{status} {reason}", [("Content-Type", "application/json")])
    return iter([data])


@contextmanager
def serving(fake: FakeGitHub | None = None) -> Iterator[FakeGitHub]:
    """``fake`` (or a new one) served on 127.0.0.1 for the duration of the block."""
    fake = fake or FakeGitHub()
    with running(fake) as base:  # type: ignore[arg-type]
        fake.url = base
        yield fake
