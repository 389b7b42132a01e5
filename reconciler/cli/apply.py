"""scimctl apply: make the server match the desired state."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from reconciler.apply.executor import Executor
from reconciler.apply.report import Outcome, Report
from reconciler.cli import common
from reconciler.cli.options import (
    DEFAULT_DIR,
    Adopt,
    CaBundle,
    Dir,
    Force,
    Insecure,
    ProfileName,
    TargetName,
    Verbose,
)
from reconciler.cli.output import err, out, setup_logging
from reconciler.desired.profile_check import check_profile
from reconciler.errors import InputError, RefusedError
from reconciler.model import Org
from reconciler.plan.model import Plan
from reconciler.render.text import outcome_line, plan_text, report_summary
from reconciler.session import PlanOptions, Session, make_plan, open_session

AutoApprove = Annotated[
    bool,
    typer.Option("--auto-approve", help="Apply without asking (needed when not on a terminal)."),
]
ReportPath = Annotated[
    Path | None, typer.Option("--report", help="Also write the apply report as JSON to this file.")
]


def apply(
    directory: Dir = DEFAULT_DIR,
    target: TargetName = None,
    profile: ProfileName = None,
    auto_approve: AutoApprove = False,
    adopt: Adopt = False,
    force: Force = False,
    report: ReportPath = None,
    verbose: Verbose = False,
    ca_bundle: CaBundle = None,
    insecure: Insecure = False,
) -> None:
    """Plan, show the plan, ask, then apply it.

    Exit codes: 0 applied (or nothing to do), 1 error or a change failed,
    3 refused by a safety rule (protected resource, over a limit without --force).

    Examples:

      scimctl apply

      scimctl apply --target aws --auto-approve --report report.json
    """
    setup_logging(verbose)
    desired, chosen = common.prepare(directory, target)
    with open_session(chosen, profile=profile, tls=common.tls(ca_bundle, insecure)) as session:
        check_profile(desired, session.profile)
        live = session.read()
        planned = make_plan(session, desired, live, PlanOptions(adopt=adopt, force=force))
        out.print(plan_text(planned, common.source_name(directory)), end="")
        if not planned.safe:
            raise RefusedError("the plan breaks a safety rule (see above); nothing was applied")
        if not planned.executable:
            raise typer.Exit(0)
        _confirm(auto_approve, session)
        result = execute(session, planned, live.org)
    _finish(result, report)


def _confirm(auto_approve: bool, session: Session) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise InputError("stdin is not a terminal: pass --auto-approve to apply without asking")
    answer = typer.prompt(
        f"Apply these changes to target {session.target.name!r}? Only 'yes' will be accepted",
        default="",
        show_default=False,
    )
    if answer.strip() != "yes":
        err.print("Apply cancelled; nothing was changed.")
        raise typer.Exit(1)


def execute(session: Session, plan: Plan, live: Org) -> Report:
    """Run the plan's executable changes, printing a line per result as it comes."""

    def show(outcome: Outcome) -> None:
        out.print(outcome_line(outcome))

    executor = Executor(
        session.client,
        session.profile,
        live,
        concurrency=session.concurrency,
        etags=session.caps.etags,
        on_outcome=show,
    )
    return executor.run(plan)


def _finish(result: Report, path: Path | None) -> None:
    out.print(report_summary(result))
    if path is not None:
        path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    raise typer.Exit(1 if result.failed else 0)
