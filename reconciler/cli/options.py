"""Options shared by several commands, defined once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from reconciler.errors import InputError
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
