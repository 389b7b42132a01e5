"""scimctl access-review: who is in each group, who granted it, who asked and who approved."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import typer

from reconciler.access_review.history import History
from reconciler.access_review.pulls import github_repo, missing_github
from reconciler.access_review.review import Sources, make_review
from reconciler.cli import common
from reconciler.cli.options import (
    DEFAULT_DIR,
    CaBundle,
    Dir,
    Insecure,
    ProfileName,
    TargetName,
    Verbose,
)
from reconciler.cli.output import echo, err, setup_logging, write_file
from reconciler.config import Target
from reconciler.errors import InputError
from reconciler.escaping import printable
from reconciler.render.access_review import FORMATS, rendered
from reconciler.session import open_session

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".json": "json"}
Groups = Annotated[
    list[str] | None,
    typer.Option("--group", "-g", metavar="NAME", help="Review only this group (repeatable)."),
]
ReviewFormat = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="text, markdown, csv or json. Default: text; for --out, its suffix's "
        "(.md, .csv, .json).",
    ),
]
OutPaths = Annotated[
    list[Path] | None,
    typer.Option(
        "--out",
        "-o",
        metavar="FILE",
        help="Write the review to FILE instead of standard output (repeatable: one file a format).",
    ),
]


def access_review(
    directory: Dir = DEFAULT_DIR,
    target: TargetName = None,
    profile: ProfileName = None,
    groups: Groups = None,
    fmt: ReviewFormat = None,
    out_paths: OutPaths = None,
    verbose: Verbose = False,
    ca_bundle: CaBundle = None,
    insecure: Insecure = False,
) -> None:
    """Review who has access: every member of every group on the server (privileged
    groups first), whether git grants it (a member git does not grant is out of band),
    the commit that granted it (date, author, file and line) and its until; with
    GITHUB_TOKEN and GITHUB_REPOSITORY, the pull request it came from, who asked, why,
    who approved and when, flagging an approver who also asked or committed. Members git
    grants that the server does not list are listed apart. Changes nothing.

    The review names its commit, server and time, and ends with a SHA-256 digest of its
    own content. It reads the whole git history of --dir (not a shallow clone).

    Examples:

      scimctl access-review

      scimctl access-review --group aws-admins --format markdown

      scimctl access-review --out review.md --out review.csv --out review.json
    """
    setup_logging(verbose)
    outputs = _outputs(fmt, out_paths or [])
    desired, targets = common.prepare(directory, target, profile=profile)
    history = History.of(directory)
    github = github_repo(os.environ)
    security = common.tls(ca_bundle, insecure)

    def one(chosen: Target) -> int:
        if headline := common.headline(chosen):
            err.print(headline, markup=False)
        with open_session(chosen, profile=profile, tls=security) as session:
            live = session.read(like=desired.org)
            url = _public(session.connection.url)
        sources = Sources(
            directory, desired, chosen, url, live, history, github, missing_github(os.environ)
        )
        review = make_review(sources, now=datetime.now(UTC), only=groups or ())
        for path, form in outputs:
            text = rendered(review, form)
            if path is None:
                echo(text.removesuffix("\n"))
            else:
                write_file(path, text)
                err.print(f"Wrote {printable(str(path))} ({form}).", markup=False)
        return 0

    raise typer.Exit(common.each_target(targets, one))


def _outputs(fmt: str | None, paths: list[Path]) -> list[tuple[Path | None, str]]:
    """(file or None for standard output, format) of each rendering asked for."""
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {printable(fmt)!r} (use {', '.join(FORMATS)})")
    if not paths:
        return [(None, fmt or "text")]
    return [(path, fmt or SUFFIXES.get(path.suffix, "text")) for path in paths]


def _public(url: str) -> str:
    """The server's URL as a review shows it: scheme, host, port and path, never a user
    name, password or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, host + port, parts.path.rstrip("/"), "", ""))
