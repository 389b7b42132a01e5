"""A fake GitHub REST API on 127.0.0.1 for the pull-request pipeline.

It answers what the pipeline reads, the way GitHub does: a branch's head
(``git/ref/heads/{branch}``), the pull requests of a commit (``commits/{sha}/pulls``), a
pull request and its reviews, workflow runs, artifacts by name (newest first) and their zip,
which redirects to "blob storage" (here ``/blob/…`` of the same server, which must be
fetched *without* the token), a commit's tarball (redirected the same way), and a pull
request's comments. What the workflows' scripts write with the token (a comment, its
update, a check run) is the bot's. Every request is recorded with the Authorization header
it carried.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from reconciler.sandbox.server import running

Start = Callable[[str, list[tuple[str, str]]], Any]
PLAN_WORKFLOW = ".github/workflows/scim-plan.yml"

ROUTES = {
    "ref": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/git/ref/heads/(?P<branch>.+)$"),
    "commit_pulls": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/commits/(?P<sha>\w+)/pulls$"),
    "pull": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)$"),
    "reviews": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/reviews$"),
    "artifacts": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/actions/artifacts$"),
    "zip": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/actions/artifacts/(?P<id>\d+)/zip$"),
    "run": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/actions/runs/(?P<id>\d+)$"),
    "tarball": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/tarball/(?P<sha>\w+)$"),
    "comments": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)/comments$"),
    "comment": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)$"),
    "check_runs": re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/check-runs$"),
}
REASONS = {200: "OK", 201: "Created", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
BOT = {"login": "github-actions[bot]", "type": "Bot"}
"""Who GITHUB_TOKEN writes as: comments and check runs made with it are the bot's."""
MEMBERSHIP = re.compile(
    r"^/orgs/(?P<org>[^/]+)/teams/(?P<team>[^/]+)/memberships/(?P<login>[^/]+)$"
)


@dataclass
class FakeGitHub:
    """The fake's state: set it up in a test, then point GITHUB_API_URL at ``url``."""

    token: str = "gh-test-token"
    repository: str = "example/identity"
    branches: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    commits: dict[str, list[int]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    teams: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(org, team slug) → the logins of its active members."""
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Issue (pull request) number → its comments, oldest first."""
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    @property
    def env(self) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.url,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_TOKEN": self.token,
        }

    # --- setting it up ---------------------------------------------------------------------

    def open_pull(self, number: int, head: str, base: str = "main") -> dict[str, Any]:
        pull = {
            "number": number,
            "html_url": f"https://github.com/{self.repository}/pull/{number}",
            "head": {"sha": head, "repo": {"full_name": self.repository}},
            "base": {"ref": base, "repo": {"full_name": self.repository}},
            "merged_at": None,
            "merge_commit_sha": None,
        }
        self.pulls[number] = pull
        self.reviews.setdefault(number, [])
        return pull

    def push(self, number: int, head: str) -> None:
        """A new commit on pull request ``number``: earlier reviews are of an older head."""
        self.pulls[number]["head"]["sha"] = head

    def review(self, number: int, login: str, state: str, commit: str | None = None) -> None:
        """A review submitted now (GitHub lists them in the order they were submitted)."""
        self.reviews[number].append(
            {
                "id": sum(len(r) for r in self.reviews.values()) + 1,
                "user": {"login": login, "type": "User"},
                "state": state,
                "commit_id": commit or self.pulls[number]["head"]["sha"],
                "submitted_at": "2026-01-01T00:00:00Z",
            }
        )

    def team(self, org: str, team: str, members: set[str]) -> None:
        self.teams[(org, team)] = set(members)

    def merge(self, number: int, merge_sha: str) -> None:
        """Merge pull request ``number`` as commit ``merge_sha``, now its base's head."""
        pull = self.pulls[number]
        pull.update(merged_at="2026-01-02T00:00:00Z", merge_commit_sha=merge_sha)
        self.commits.setdefault(merge_sha, []).append(number)
        self.branches[pull["base"]["ref"]] = merge_sha

    def plan_run(
        self,
        name: str,
        files: dict[str, bytes],
        *,
        conclusion: str = "success",
        event: str = "pull_request_target",
        path: str = PLAN_WORKFLOW,
        head_branch: str = "main",
        run_id: int | None = None,
        head_sha: str = "0" * 40,
    ) -> int:
        """A completed workflow run that uploaded the artifact ``name`` holding ``files``.

        ``head_branch``: the branch whose workflow file ran (a ``pull_request_target``
        run's is the pull request's base branch)."""
        run_id = run_id or self.next_run_id()
        self.runs[run_id] = {
            "id": run_id,
            "event": event,
            "path": path,
            "head_branch": head_branch,
            "head_sha": head_sha,
            "status": "completed",
            "conclusion": conclusion,
            "html_url": f"https://github.com/{self.repository}/actions/runs/{run_id}",
        }
        artifact_id = 5000 + len(self.artifacts)
        self.artifacts.append(
            {
                "id": artifact_id,
                "name": name,
                "expired": False,
                "workflow_run": {"id": run_id},
            }
        )
        self.blobs[f"artifact-{artifact_id}"] = zipped(files)
        return run_id

    def next_run_id(self) -> int:
        return 1000 + len(self.runs)

    def comment_as(self, number: int, login: str, body: str) -> dict[str, Any]:
        """A comment on issue ``number`` by ``login`` (a person; the bot writes through the
        API with the token)."""
        comment = {
            "id": 9000 + sum(len(c) for c in self.comments.values()),
            "user": {"login": login, "type": "User"},
            "body": body,
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def commit_tree(self, sha: str, files: dict[str, bytes]) -> None:
        """What ``tarball/{sha}`` serves: ``files`` under GitHub's ``owner-repo-sha/`` root."""
        self.blobs[f"tar-{sha}"] = tarred(f"example-identity-{sha[:7]}", files)

    # --- serving ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start: Start) -> Iterator[bytes]:
        path = environ.get("PATH_INFO", "")
        auth = environ.get("HTTP_AUTHORIZATION", "")
        self.requests.append((path, auth))
        if path.startswith("/blob/"):
            body = self.blobs.get(path.removeprefix("/blob/"))
            if body is None or auth:
                return _answer(start, 403 if auth else 404, {"message": "no"})
            start("200 OK", [("Content-Type", "application/octet-stream")])
            return iter([body])
        if auth != f"Bearer {self.token}":
            return _answer(start, 401, {"message": "Bad credentials"})
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        method = environ.get("REQUEST_METHOD", "GET")
        if method != "GET":
            return self._write(start, method, path, _body(environ))
        if m := MEMBERSHIP.match(path):
            if m["login"] in self.teams.get((m["org"], m["team"]), set()):
                return _answer(start, 200, {"state": "active", "role": "member"})
            return _answer(start, 404, {"message": "Not Found"})
        for name, pattern in ROUTES.items():
            if (m := pattern.match(path)) and m["repo"] == self.repository:
                return getattr(self, f"_{name}")(start, m, query)  # type: ignore[no-any-return]
        return _answer(start, 404, {"message": "Not Found"})

    def _ref(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Iterator[bytes]:
        sha = self.branches.get(m["branch"])
        if sha is None:
            return _answer(start, 404, {"message": "Not Found"})
        return _answer(start, 200, {"ref": f"refs/heads/{m['branch']}", "object": {"sha": sha}})

    def _commit_pulls(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Any:
        found = [self.pulls[n] for n in self.commits.get(m["sha"], [])]
        return _answer(start, 200, _page(found, query))

    def _pull(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Any:
        pull = self.pulls.get(int(m["n"]))
        return _answer(start, 200, pull) if pull else _answer(start, 404, {"message": "no"})

    def _reviews(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Any:
        return _answer(start, 200, _page(self.reviews.get(int(m["n"]), []), query))

    def _artifacts(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Any:
        found = [a for a in reversed(self.artifacts) if a["name"] == query.get("name", a["name"])]
        return _answer(start, 200, {"total_count": len(found), "artifacts": _page(found, query)})

    def _zip(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Any:
        return _redirect(start, f"{self.url}/blob/artifact-{m['id']}")

    def _run(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Any:
        run = self.runs.get(int(m["id"]))
        return _answer(start, 200, run) if run else _answer(start, 404, {"message": "no"})

    def _comments(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Any:
        return _answer(start, 200, _page(self.comments.get(int(m["n"]), []), query))

    def _write(self, start: Start, method: str, path: str, body: dict[str, Any]) -> Any:
        """What the workflows' scripts write with GITHUB_TOKEN: comments, check runs."""
        if (m := ROUTES["comments"].match(path)) and method == "POST":
            made = self.comment_as(int(m["n"]), BOT["login"], str(body["body"]))
            made["user"] = dict(BOT)
            return _answer(start, 201, made)
        if (m := ROUTES["comment"].match(path)) and method == "PATCH":
            for comment in (c for found in self.comments.values() for c in found):
                if comment["id"] == int(m["id"]):
                    comment["body"] = str(body["body"])
                    return _answer(start, 200, comment)
        if ROUTES["check_runs"].match(path) and method == "POST":
            self.check_runs.append(body)
            return _answer(start, 201, {"id": len(self.check_runs), **body})
        return _answer(start, 404, {"message": "Not Found"})

    def _tarball(self, start: Start, m: re.Match[str], query: dict[str, str]) -> Any:
        if f"tar-{m['sha']}" not in self.blobs:
            return _answer(start, 404, {"message": "Not Found"})
        return _redirect(start, f"{self.url}/blob/tar-{m['sha']}")


def _page(items: list[Any], query: dict[str, str]) -> list[Any]:
    size, page = int(query.get("per_page", 30)), int(query.get("page", 1))
    return items[(page - 1) * size : page * size]


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    size = int(environ.get("CONTENT_LENGTH") or 0)
    data = json.loads(environ["wsgi.input"].read(size) or b"{}")
    return data if isinstance(data, dict) else {}


def _answer(start: Start, status: int, body: Any) -> Iterator[bytes]:
    reason = REASONS[status]
    start(f"{status} {reason}", [("Content-Type", "application/json")])
    return iter([json.dumps(body).encode()])


def _redirect(start: Start, location: str) -> Iterator[bytes]:
    start("302 Found", [("Location", location), ("Content-Length", "0")])
    return iter([b""])


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def tarred(root: str, files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, body in files.items():
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


@contextmanager
def serving(fake: FakeGitHub | None = None) -> Iterator[FakeGitHub]:
    """``fake`` (or a new one) served on 127.0.0.1 for the duration of the block."""
    fake = fake or FakeGitHub()
    with running(fake) as base:  # type: ignore[arg-type]
        fake.url = base
        yield fake
