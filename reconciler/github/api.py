"""A small client for GitHub's REST API: what the pull-request pipeline reads.

``GITHUB_API_URL`` (default ``https://api.github.com``), ``GITHUB_REPOSITORY`` and
``GITHUB_TOKEN`` say where and as whom; a runner sets all three. Everything GitHub answers
is untrusted data: callers check each field before they use it. The token goes only to the
API URL: redirects are not followed with it (an artifact's download redirects to blob
storage, which is fetched without the token), and it is never put into any text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from reconciler.errors import GitHubError, InputError
from reconciler.escaping import printable

DEFAULT_API = "https://api.github.com"
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
SHA = re.compile(r"^[0-9a-f]{40}$")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TIMEOUT = 30.0
PAGE = 100
MAX_PAGES = 30
MAX_JSON = 16 * 1024 * 1024
REDIRECTS = {301, 302, 303, 307, 308}


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
                "this reads the pull request from GitHub: set GITHUB_REPOSITORY (owner/name) "
                "and GITHUB_TOKEN (a runner sets both)"
            )
        if not _allowed(api):
            raise InputError(f"GITHUB_API_URL must be an https URL, not {printable(api)!r}")
        return cls(api, repository, token)

    def path(self, *segments: str | int) -> str:
        """``/repos/{owner}/{name}/…``: each segment percent-encoded into exactly one."""
        parts = ["repos", *self.repository.split("/"), *map(str, segments)]
        if any(part in ("", ".", "..") for part in parts):
            raise GitHubError(f"GitHub API: {printable('/'.join(parts))!r} is not a path")
        return "/".join(["", *(quote(part, safe="") for part in parts)])


def _allowed(url: str) -> bool:
    """https anywhere; plain http only to this machine (a test's fake GitHub)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)


def check_sha(value: Any, what: str) -> str:
    """``value`` when it is a full lowercase commit SHA, else a ``GitHubError``."""
    if not isinstance(value, str) or not SHA.match(value):
        raise GitHubError(f"GitHub's answer has no valid commit SHA for {what}")
    return value


class GitHubApi:
    """GET-only access to one repository; errors become ``GitHubError``."""

    def __init__(self, repo: GitHubRepo) -> None:
        self.repo = repo
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

    def __enter__(self) -> GitHubApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """The JSON answer of ``GET path``; anything but a 200 is an error."""
        return self._json(path, self._send(path, params))

    def get_or_none(self, path: str) -> Any:
        """Like ``get``, but ``None`` for a 404 or 422 (no such thing); one request."""
        response = self._send(path, None)
        if response.status_code in (404, 422):
            return None
        return self._json(path, response)

    def _json(self, path: str, response: httpx.Response) -> Any:
        if response.status_code != 200:
            raise failure(path, response.status_code)
        if len(response.content) > MAX_JSON:
            raise GitHubError(f"GitHub API: GET {path}: the answer is too large")
        try:
            return response.json()
        except ValueError:
            raise GitHubError(f"GitHub API: GET {path} did not answer with JSON") from None

    def pages(self, path: str, key: str | None = None, **params: str | int) -> Iterator[Any]:
        """Every item of a paged listing (``key``: the list inside an object answer)."""
        for page in range(1, MAX_PAGES + 1):
            body = self.get(path, {**params, "per_page": PAGE, "page": page})
            items = body.get(key) if key and isinstance(body, dict) else body
            if not isinstance(items, list):
                raise GitHubError(f"GitHub API: GET {path} did not answer with a list")
            yield from items
            if len(items) < PAGE:
                return
        raise GitHubError(f"GitHub API: GET {path} has more than {MAX_PAGES} pages; refusing")

    def download(self, path: str, limit: int) -> bytes:
        """The bytes ``path`` answers, following one redirect *without* the token."""
        response = self._send(path, None)
        if response.status_code in REDIRECTS:
            location = urljoin(self.repo.api + "/", response.headers.get("location", ""))
            if not _allowed(location):
                raise GitHubError(f"GitHub API: GET {path} redirected to a URL that is not https")
            return _fetch(location, limit, path)
        if response.status_code != 200:
            raise failure(path, response.status_code)
        return _capped(response.content, limit, path)

    def _send(self, path: str, params: Mapping[str, str | int] | None) -> httpx.Response:
        try:
            return self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise GitHubError(
                f"GitHub API: GET {path} failed ({type(exc).__name__}); is GITHUB_API_URL right?"
            ) from None


def _fetch(url: str, limit: int, path: str) -> bytes:
    """A redirected download: no Authorization header, no further redirects, capped."""
    try:
        with (
            httpx.Client(timeout=TIMEOUT, follow_redirects=False) as plain,
            plain.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise failure(path, response.status_code)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                _capped(body, limit, path)
            return bytes(body)
    except httpx.HTTPError as exc:
        raise GitHubError(f"GitHub API: downloading {path} failed ({type(exc).__name__})") from None


def _capped(body: bytes | bytearray, limit: int, path: str) -> bytes:
    if len(body) > limit:
        raise GitHubError(f"GitHub API: {path} is larger than {limit} bytes; refusing it")
    return bytes(body)


def failure(path: str, status: int) -> GitHubError:
    hint = {
        401: "GITHUB_TOKEN is not accepted",
        403: "GITHUB_TOKEN lacks a permission (contents, pull-requests, actions: read)",
        404: "not found, or not visible to GITHUB_TOKEN",
    }.get(status, "GitHub did not answer as expected")
    return GitHubError(f"GitHub API: GET {path} answered {status}: {hint}")
