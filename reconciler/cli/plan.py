"""scimctl plan: what apply would change, Terraform-style."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli import common
from reconciler.cli.options import (
    DEFAULT_DIR,
    Adopt,
    Allow,
    AllTargets,
    Approving,
    At,
    CaBundle,
    Concurrency,
    Dir,
    Force,
    Format,
    Insecure,
    MarkdownPath,
    Only,
    ProfileName,
    PullRequest,
    PullRequestHead,
    PushedBy,
    Rate,
    TargetName,
    Verbose,
    moment,
)
from reconciler.cli.output import (
    echo,
    err,
    exact,
    holds_token,
    out,
    setup_logging,
    writable,
    write_file,
)
from reconciler.config import Target, load_targets
from reconciler.escaping import printable
from reconciler.github.policy_change import policy_change
from reconciler.plan.model import Plan, Status
from reconciler.render.managers import readable, user_names, with_manager_names
from reconciler.render.markdown import plan_markdown
from reconciler.render.text import plan_text
from reconciler.session import Pace, PlanOptions, open_session, planned

DetailedExitcode = Annotated[
    bool,
    typer.Option("--detailed-exitcode", help="Exit 2 when there are changes, 0 when none."),
]
BaseDir = Annotated[
    Path | None,
    typer.Option(
        "--base",
        help="The base branch's desired-state directory (a pull request's plan): its "
        "targets.yaml (servers, policy) judges the plan; how --dir's differs is shown first.",
    ),
]
OutPath = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", metavar="FILE", help="Save the plan (JSON) for `scimctl apply PLANFILE`."
    ),
]


def plan(
    directory: Dir = DEFAULT_DIR,
    target: TargetName = None,
    profile: ProfileName = None,
    fmt: Format = "text",
    detailed_exitcode: DetailedExitcode = False,
    out_path: OutPath = None,
    markdown: MarkdownPath = None,
    only: Only = None,
    at: At = None,
    adopt: Adopt = False,
    force: Force = False,
    base: BaseDir = None,
    allow: Allow = None,
    pull_request: PullRequest = None,
    pull_request_head: PullRequestHead = None,
    pushed_by: PushedBy = None,
    all_targets: AllTargets = False,
    verbose: Verbose = False,
    ca_bundle: CaBundle = None,
    insecure: Insecure = False,
    rate: Rate = None,
    concurrency: Concurrency = None,
) -> None:
    """Show what apply would change on the server, and change nothing.

    Exit codes: 0 (no changes, or changes without --detailed-exitcode), 1 error,
    2 changes (with --detailed-exitcode), 3 a safety rule refuses the plan or a change
    is left in conflict (apply would not realise git).

    Privileged groups: --force never approves their changes; --allow privileged
    does (for a group that names approvers, only from a terminal), or (with
    --pull-request N) an approving review of the PR's head by an approver the
    policy names.

    Examples:

      scimctl plan

      scimctl plan --target aws --format markdown > plan.md

      scimctl plan --out plan.json --detailed-exitcode

      scimctl plan --only user:alice@example.com --only group:engineering

      scimctl plan --at 2027-02-01

      scimctl plan --all-targets --out 'plan-{target}.json'

      scimctl plan --dir pr/desired-state --base desired-state

      scimctl plan --pull-request 42 --format markdown
    """
    setup_logging(verbose)
    desired, targets = common.prepare(
        directory, target, fmt, all_targets=all_targets, profile=profile, config=base
    )
    if base is not None:
        load_targets(directory)  # the proposed targets.yaml must be valid too, to be merged
    options = PlanOptions(
        adopt=adopt,
        force=force,
        only=tuple(only or ()),
        digest=out_path is not None or fmt == "json",
        at=moment(at),
    )
    approving = Approving.of(allow, pull_request, pull_request_head, pushed_by)
    security = common.tls(ca_bundle, insecure)
    pace = Pace(rate, concurrency)
    source = common.source_name(directory)
    many = len(targets) > 1

    def one(chosen: Target) -> int:
        if headline := common.headline(chosen):
            (out if fmt == "text" else err).print(headline, markup=False)
        files = [common.per_target(p, chosen, many) for p in (out_path, markdown)]
        writable(files)  # before the read, which may be long
        approvals = approving.approvals(chosen.policy, os.environ)
        with open_session(chosen, profile=profile, tls=security, pace=pace) as session:
            live = session.read(like=desired.org)
            result = planned(session, desired, live, replace(options, approvals=approvals))
            result = replace(result, connection=session.connection.binding())
        if base is not None:
            result = replace(result, policy_change=policy_change(base, directory, chosen.name))
        names = user_names((desired.org, live.org))
        result = with_manager_names(result, names)
        shown = readable(result, names)
        if fmt == "text":
            out.print(plan_text(shown, source), end="")
        else:
            echo(common.render_plan(result if fmt == "json" else shown, fmt, source))
        if (path := common.per_target(out_path, chosen, many)) is not None:
            save(result, path, source)
        if (path := common.per_target(markdown, chosen, many)) is not None:
            write_file(path, plan_markdown(shown, source) + "\n")
        return exit_code(result, detailed_exitcode)

    raise typer.Exit(common.each_target(targets, one))


def save(plan: Plan, path: Path, source: str) -> None:
    """The plan file, exactly as planned: apply compares its rows with a fresh plan, so a
    plan whose data holds the token is refused rather than saved with it hidden."""
    held = next((c.address for c in plan.changes if holds_token(json.dumps(c.to_dict()))), "")
    refusal = (
        f"{printable(str(path))}: the plan was not saved: what the server returned holds "
        f"the token of this run{f' (in {printable(held)})' if held else ''}. A plan file "
        "holds the plan as made, and one with the token hidden would not match the plan "
        "apply makes again; apply without a plan file, or take the token out of the "
        "server's data (a short token, such as a sandbox's `example`, may be a word of "
        "the names: use a long random one)"
    )
    write_file(path, exact(common.render_plan(plan, "json", source) + "\n", refusal))


def exit_code(plan: Plan, detailed: bool) -> int:
    """3 when a rule refuses the plan or a row is left in conflict (the apply of it would
    exit 3: git would not be realised), else 2 for changes with ``--detailed-exitcode``."""
    if not plan.safe or any(c.status is Status.CONFLICT for c in plan.changes):
        return 3
    return 2 if detailed and plan.has_changes else 0
