"""scimctl plan: what apply would change, Terraform-style."""

from __future__ import annotations

from typing import Annotated

import typer

from reconciler.cli import common
from reconciler.cli.options import (
    DEFAULT_DIR,
    Adopt,
    CaBundle,
    Dir,
    Force,
    Format,
    Insecure,
    ProfileName,
    TargetName,
    Verbose,
)
from reconciler.cli.output import out, setup_logging
from reconciler.desired.profile_check import check_profile
from reconciler.plan.model import Plan
from reconciler.render.text import plan_text
from reconciler.session import PlanOptions, make_plan, open_session

DetailedExitcode = Annotated[
    bool,
    typer.Option("--detailed-exitcode", help="Exit 2 when there are changes, 0 when none."),
]


def plan(
    directory: Dir = DEFAULT_DIR,
    target: TargetName = None,
    profile: ProfileName = None,
    fmt: Format = "text",
    detailed_exitcode: DetailedExitcode = False,
    adopt: Adopt = False,
    force: Force = False,
    verbose: Verbose = False,
    ca_bundle: CaBundle = None,
    insecure: Insecure = False,
) -> None:
    """Show what apply would change on the server, and change nothing.

    Exit codes: 0 (no changes, or changes without --detailed-exitcode), 1 error,
    2 changes (with --detailed-exitcode), 3 a safety rule refuses the plan.

    Examples:

      scimctl plan

      scimctl plan --target aws --format markdown > plan.md

      scimctl plan --detailed-exitcode --format json > plan.json
    """
    setup_logging(verbose)
    desired, chosen = common.prepare(directory, target, fmt)
    with open_session(chosen, profile=profile, tls=common.tls(ca_bundle, insecure)) as session:
        check_profile(desired, session.profile)
        live = session.read()
        result = make_plan(session, desired, live, PlanOptions(adopt=adopt, force=force))
    source = common.source_name(directory)
    if fmt == "text":
        out.print(plan_text(result, source), end="")
    else:
        typer.echo(common.render_plan(result, fmt, source))
    raise typer.Exit(exit_code(result, detailed_exitcode))


def exit_code(plan: Plan, detailed: bool) -> int:
    if not plan.safe:
        return 3
    return 2 if detailed and plan.has_changes else 0
