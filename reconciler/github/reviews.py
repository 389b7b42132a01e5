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

The HTTP is ``reconciler.github.api``'s: the token goes only to the API URL, never
through a redirect, and is never printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from reconciler.errors import GitHubError, InputError, RefusedError
from reconciler.escaping import printable
from reconciler.github.api import GitHubApi, GitHubRepo, check_sha
from reconciler.plan.safety import Approvals
from reconciler.policy import Policy

LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
COUNTED = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
"""Review states that replace a reviewer's earlier one (a comment does not)."""


def approvals_for(
    policy: Policy,
    *,
    allow_privileged: bool,
    pull_request: int | None,
    env: Mapping[str, str],
    head: str | None = None,
    pusher: str | None = None,
    terminal: bool = True,
) -> Approvals:
    """The approvals of this run: ``--allow privileged``, and the pull request's reviews.

    ``head``: the commit whose desired state is planned; the reviews are read at it, and it
    must be the pull request's current head. ``pusher``: who pushed it (with the policy
    ``last_pusher_cannot_approve``, their review approves nothing). ``terminal``: off a
    terminal, ``--allow privileged`` approves only groups whose policy names no approvers.
    """
    if pull_request is None:
        return Approvals(allow_privileged=allow_privileged, allow_named=terminal)
    excluded: tuple[str, ...] = ()
    if policy.last_pusher_cannot_approve:
        if not pusher:
            raise InputError(
                "the policy says the last pusher cannot approve: pass --pushed-by LOGIN "
                "(who pushed the pull request's head; the GitHub action passes it)"
            )
        excluded = (pusher,)
    named = sorted({name for names in policy.approvers.values() for name in names})
    found = read_approvals(
        GitHubRepo.from_env(env), pull_request, named, head=head, excluded=excluded
    )
    return replace(found, allow_privileged=allow_privileged, allow_named=terminal)


def read_approvals(
    repo: GitHubRepo,
    number: int,
    named: Iterable[str],
    *,
    head: str | None = None,
    excluded: Iterable[str] = (),
) -> Approvals:
    """Which of the ``named`` approvers approved pull request ``number`` at its head.

    ``head`` (the commit a run planned) must be that head, else nothing is read at all:
    the files and the approvals of a run are of one commit, the current one. A review by
    a login in ``excluded`` counts for nothing."""
    with GitHubApi(repo) as api:
        pull = api.get(repo.path("pulls", number))
        current = check_sha(
            pull.get("head", {}).get("sha") if isinstance(pull, dict) else None,
            f"pull request #{number}'s head",
        )
        if head is not None and head != current:
            raise RefusedError(
                f"pull request #{number}'s head is now {current[:12]}, not {head[:12]}, the "
                "commit this run is of (a re-run of an older push?): its desired state and "
                "its approvals would be of two commits; nothing was planned. The run of the "
                "current head plans it"
            )
        approving = approvers_at(api.pages(repo.path("pulls", number, "reviews")), current)
        left_out = {login.casefold() for login in excluded}
        approving = {k: v for k, v in approving.items() if k not in left_out}
        approved_by = {
            name.casefold(): who for name in named if (who := _who(api, name, approving))
        }
    source = f"pull request #{number} at {current[:12]}"
    if excluded:
        source += f" (the review of {', '.join(excluded)}, who pushed it, does not count)"
    return Approvals(approved_by=approved_by, source=source)


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


def _who(api: GitHubApi, name: str, approving: Mapping[str, str]) -> str | None:
    """The login whose approval satisfies approver ``name`` (a login or ``@org/team``)."""
    if not name.startswith("@"):
        return approving.get(name.casefold())
    for login in sorted(approving.values()):
        if _is_member(api, name, login):
            return login
    return None


def _is_member(api: GitHubApi, name: str, login: str) -> bool:
    """Whether ``login`` is an active member of team ``name`` (``@org/team``; 404: not)."""
    org, _, team = name[1:].partition("/")
    parts = ("orgs", org, "teams", team, "memberships", login)
    if any(part in ("", ".", "..") for part in parts):
        raise GitHubError(f"GitHub API: {printable(name)!r} is not a team")
    body = api.get_or_none("/".join(["", *(quote(part, safe="") for part in parts)]))
    return isinstance(body, dict) and body.get("state") == "active"
