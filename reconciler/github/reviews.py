"""Who approved a pull request's current head: the approvals of privileged changes.

Read from GitHub's REST API with ``GITHUB_TOKEN`` on ``GITHUB_REPOSITORY``
(``GITHUB_API_URL``, default ``https://api.github.com``). Everything GitHub returns is
untrusted data: logins are checked before they go into a path, and only an approving
review of the pull request's *current* head counts:

- per reviewer, the latest review that is not a comment (``APPROVED``,
  ``CHANGES_REQUESTED`` or ``DISMISSED``) is their state, as GitHub itself counts it;
- it counts when it is ``APPROVED`` and its ``commit_id`` is the head's SHA, so a push
  after the approval needs a new one;
- a team (``@org/team``) is satisfied by an approving reviewer who is an active member
  of it (``GET /orgs/{org}/teams/{team}/memberships/{login}``).

The token is sent only to the API URL, never followed through a redirect, never printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from reconciler.errors import GitHubError, InputError
from reconciler.plan.safety import Approvals
from reconciler.policy import Policy
from reconciler.render.values import printable

DEFAULT_API = "https://api.github.com"
PAGE = 100
MAX_PAGES = 30
"""At most 3,000 reviews are read; a pull request with more fails closed (an error)."""
TIMEOUT = 30.0
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
SHA = re.compile(r"^[0-9a-f]{40}$")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
COUNTED = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
"""Review states that replace a reviewer's earlier one (a comment does not)."""


@dataclass(frozen=True)
class GitHubRepo:
    """Where to read: the API, the repository, and the token (never shown)."""

    api: str
    repository: str
    token: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubRepo:
        api = (env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
        repository = env.get("GITHUB_REPOSITORY", "")
        token = env.get("GITHUB_TOKEN", "")
        if not REPOSITORY.match(repository) or not token:
            raise InputError(
                "--pull-request reads the pull request's reviews from GitHub: set "
                "GITHUB_REPOSITORY (owner/name) and GITHUB_TOKEN"
            )
        parts = urlsplit(api)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
            raise InputError(f"GITHUB_API_URL must be an https URL, not {printable(api)!r}")
        return cls(api, repository, token)


def approvals_for(
    policy: Policy, *, allow_privileged: bool, pull_request: int | None, env: Mapping[str, str]
) -> Approvals:
    """The approvals of this run: ``--allow privileged``, and the pull request's reviews."""
    if pull_request is None:
        return Approvals(allow_privileged=allow_privileged)
    named = sorted({name for names in policy.approvers.values() for name in names})
    found = read_approvals(GitHubRepo.from_env(env), pull_request, named)
    return Approvals(allow_privileged, found.approved_by, found.source)


def read_approvals(repo: GitHubRepo, number: int, named: Iterable[str]) -> Approvals:
    """Which of the ``named`` approvers approved pull request ``number`` at its head."""
    with _Api(repo) as api:
        head = head_sha(api.get(f"/repos/{repo.repository}/pulls/{number}"))
        approving = approvers_at(
            api.pages(f"/repos/{repo.repository}/pulls/{number}/reviews"), head
        )
        approved_by = {
            name.casefold(): who for name in named if (who := _who(api, name, approving))
        }
    return Approvals(approved_by=approved_by, source=f"pull request #{number} at {head[:12]}")


def head_sha(pull: Any) -> str:
    sha = pull.get("head", {}).get("sha") if isinstance(pull, dict) else None
    if not isinstance(sha, str) or not SHA.match(sha):
        raise GitHubError("GitHub's answer for the pull request has no head commit SHA")
    return sha


def approvers_at(reviews: Iterable[Any], head: str) -> dict[str, str]:
    """Folded login → login of each reviewer whose standing review approves ``head``."""
    latest: dict[str, tuple[str, str, Any]] = {}
    for review in reviews:
        login = _login(review)
        state = review.get("state") if login else None
        if login and state in COUNTED:
            latest[login.casefold()] = (login, state, review.get("commit_id"))
    return {
        folded: login
        for folded, (login, state, commit) in latest.items()
        if state == "APPROVED" and commit == head
    }


def _login(review: Any) -> str | None:
    user = review.get("user") if isinstance(review, dict) else None
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) and LOGIN.match(login) else None


def _who(api: _Api, name: str, approving: Mapping[str, str]) -> str | None:
    """The login whose approval satisfies approver ``name`` (a login or ``@org/team``)."""
    if not name.startswith("@"):
        return approving.get(name.casefold())
    org, _, team = name[1:].partition("/")
    for login in sorted(approving.values()):
        if api.is_member(org, team, login):
            return login
    return None


class _Api:
    """A small GitHub REST client: GET only, no redirects, errors as ``GitHubError``."""

    def __init__(self, repo: GitHubRepo) -> None:
        self._http = httpx.Client(
            base_url=repo.api,
            headers={
                "Authorization": f"Bearer {repo.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            timeout=TIMEOUT,
            follow_redirects=False,
        )

    def __enter__(self) -> _Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, int] | None = None) -> Any:
        response = self._send(path, params)
        if response.status_code != 200:
            raise _failure(path, response)
        return _json(path, response)

    def pages(self, path: str) -> Iterator[Any]:
        for page in range(1, MAX_PAGES + 1):
            items = self.get(path, {"per_page": PAGE, "page": page})
            if not isinstance(items, list):
                raise GitHubError(f"GitHub API: GET {path} did not answer with a list")
            yield from items
            if len(items) < PAGE:
                return
        raise GitHubError(f"GitHub API: GET {path} has more than {MAX_PAGES} pages; refusing")

    def is_member(self, org: str, team: str, login: str) -> bool:
        path = "/orgs/{}/teams/{}/memberships/{}".format(
            *(quote(p, safe="") for p in (org, team, login))
        )
        response = self._send(path, None)
        if response.status_code == 404:
            return False
        if response.status_code != 200:
            raise _failure(path, response)
        body = _json(path, response)
        return isinstance(body, dict) and body.get("state") == "active"

    def _send(self, path: str, params: Mapping[str, int] | None) -> httpx.Response:
        try:
            return self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise GitHubError(
                f"GitHub API: GET {path} failed ({type(exc).__name__}); is GITHUB_API_URL right?"
            ) from None


def _json(path: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GitHubError(f"GitHub API: GET {path} did not answer with JSON") from None


def _failure(path: str, response: httpx.Response) -> GitHubError:
    hint = {
        401: "GITHUB_TOKEN is not accepted",
        403: "GITHUB_TOKEN lacks the right (pull requests: read; for teams, members: read)",
        404: "not found, or not visible to GITHUB_TOKEN",
    }.get(response.status_code, "GitHub did not answer as expected")
    return GitHubError(f"GitHub API: GET {path} answered {response.status_code}: {hint}")
