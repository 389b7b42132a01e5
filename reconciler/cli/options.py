"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    typer.Option("--force", help="Go past limits and privileged-group rules (never protected)."),
]
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
