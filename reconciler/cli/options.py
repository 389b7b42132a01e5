"""Options shared by several commands, defined once."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from reconciler.errors import InputError
from reconciler.github.api import SHA
from reconciler.github.reviews import LOGIN, approvals_for
from reconciler.plan.safety import Approvals
from reconciler.policy import Policy
from reconciler.temporary import parse_moment

Dir = Annotated[
    Path,
    typer.Option(
        "--dir", "-d", help="The desired-state directory.", show_default=True, metavar="DIR"
    ),
]
TargetName = Annotated[
    str | None,
    typer.Option("--target", "-t", help="The target of targets.yaml to act on.", metavar="NAME"),
]
ProfileName = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="PROFILE",
        help="Provider profile (generic, aws-identity-center, …); overrides the target's. "
        "Also read from SCIM_PROFILE when SCIM_URL is set.",
    ),
]
Verbose = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Log every request (method, path, status) to stderr."),
]
OfflineVerbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Accepted as by every command; validate sends no request, so there is none to log.",
    ),
]
CaBundle = Annotated[
    Path | None,
    typer.Option(
        "--ca-bundle",
        metavar="FILE",
        help="PEM file of CAs to trust, for a server with a private CA.",
    ),
]
Insecure = Annotated[
    bool,
    typer.Option("--insecure", help="Do not verify TLS certificates. Dangerous: for tests only."),
]
Rate = Annotated[
    float | None,
    typer.Option(
        "--rate",
        metavar="N",
        help="At most N requests per second; overrides the target's rate (default: the "
        "profile's, or none). Whatever it is, the client slows down to what the server "
        "allows when it answers 429.",
    ),
]
Concurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        metavar="N",
        min=1,
        max=64,
        help="At most N requests in flight at once; overrides the target's concurrency "
        "(default: the profile's).",
    ),
]
Format = Annotated[
    str,
    typer.Option("--format", "-f", help="text, json or markdown.", metavar="FORMAT"),
]
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Go past the limits on deletes and removals (never protected, never privileged).",
    ),
]
Allow = Annotated[
    list[str] | None,
    typer.Option(
        "--allow",
        metavar="privileged",
        help="Approve what a rule holds back: 'privileged' approves membership changes of "
        "privileged groups (never lifts a limit).",
    ),
]
PullRequest = Annotated[
    int | None,
    typer.Option(
        "--pull-request",
        min=1,
        metavar="N",
        help="Read pull request N's reviews (GITHUB_REPOSITORY, GITHUB_TOKEN, GITHUB_API_URL): "
        "a privileged change passes when an approver its policy names approved the PR's head.",
    ),
]

PullRequestHead = Annotated[
    str | None,
    typer.Option(
        "--pull-request-head",
        metavar="SHA",
        help="With --pull-request: the commit whose desired state this is (a plan workflow "
        "passes its event's head). Its reviews are read, and it must be the pull request's "
        "current head, else nothing is planned (exit 3).",
    ),
]
PushedBy = Annotated[
    str | None,
    typer.Option(
        "--pushed-by",
        metavar="LOGIN",
        help="With --pull-request: who pushed its head. Under the policy "
        "last_pusher_cannot_approve, their review approves nothing.",
    ),
]


def pull_request_head(head: str | None, pull_request: int | None) -> str | None:
    """``--pull-request-head``, checked: a full commit SHA, given with --pull-request."""
    if head is None:
        return None
    if pull_request is None or not SHA.match(head):
        raise InputError(
            "--pull-request-head takes the full commit SHA (40 hex digits) of the head of the "
            "pull request that --pull-request names"
        )
    return head


def pushed_by(login: str | None) -> str | None:
    """``--pushed-by``, checked: a GitHub login."""
    if login is not None and not LOGIN.match(login):
        raise InputError(f"--pushed-by {login!r} is not a GitHub login")
    return login


@dataclass(frozen=True)
class Approving:
    """What a command was told approves privileged changes, checked: ``--allow``,
    ``--pull-request`` with its head and its pusher, and whether a person is at a terminal
    (off one, ``--allow privileged`` approves only groups whose policy names no approvers:
    a workflow's arguments are no person's approval)."""

    allow_privileged: bool = False
    pull_request: int | None = None
    head: str | None = None
    pusher: str | None = None
    terminal: bool = True

    @classmethod
    def of(
        cls, allow: list[str] | None, pull_request: int | None, head: str | None, pusher: str | None
    ) -> Approving:
        return cls(
            allows_privileged(allow),
            pull_request,
            pull_request_head(head, pull_request),
            pushed_by(pusher),
            sys.stdin.isatty(),
        )

    def approvals(self, policy: Policy, env: Mapping[str, str]) -> Approvals:
        """The approvals under ``policy``: the pull request's reviews are read here."""
        return approvals_for(
            policy,
            allow_privileged=self.allow_privileged,
            pull_request=self.pull_request,
            env=env,
            head=self.head,
            pusher=self.pusher,
            terminal=self.terminal,
        )


def allows_privileged(allow: list[str] | None) -> bool:
    """Whether ``--allow`` approves privileged changes; any other value is an error."""
    unknown = sorted(set(allow or ()) - {"privileged"})
    if unknown:
        raise InputError(f"--allow {unknown[0]!r}: the only thing --allow approves is 'privileged'")
    return bool(allow)


Adopt = Annotated[
    bool,
    typer.Option(
        "--adopt", help="Take over unmanaged live resources that collide with desired ones."
    ),
]

DEFAULT_DIR = Path("desired-state")
Only = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="ADDRESS",
        help="Restrict to user:USERNAME or group:DISPLAYNAME and the memberships that touch it "
        "(repeatable).",
    ),
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="DATE",
        help="Plan as of this date or date-time (2027-02-01): which temporary memberships "
        "will have expired by then.",
    ),
]
ExpiredOnly = Annotated[
    bool,
    typer.Option(
        "--expired-only",
        help="Apply only the removals of memberships whose `until` has passed, whatever "
        "else is pending: safe to run unattended.",
    ),
]
MarkdownPath = Annotated[
    Path | None,
    typer.Option(
        "--markdown", metavar="FILE", help="Also write the Markdown rendering to this file."
    ),
]
AllTargets = Annotated[
    bool,
    typer.Option("--all-targets", help="Act on every target of targets.yaml in turn."),
]
ReportPath = Annotated[
    Path | None,
    typer.Option(
        "--report",
        metavar="FILE",
        help="Also write the report (apply or drift) as JSON to this file.",
    ),
]


def moment(text: str | None) -> datetime | None:
    """``--at``'s moment, or None (now)."""
    if text is None:
        return None
    try:
        return parse_moment(text)
    except ValueError as error:
        raise InputError(f"--at: {error}") from None
