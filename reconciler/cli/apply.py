"""scimctl apply: make the server match the desired state, or apply a saved plan."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from reconciler.apply.executor import Executor
from reconciler.apply.record import held_rows, remember_undone
from reconciler.apply.report import Report, stopped_report
from reconciler.cli import common
from reconciler.cli.options import (
    DEFAULT_DIR,
    Adopt,
    Allow,
    AllTargets,
    Approving,
    CaBundle,
    Concurrency,
    Dir,
    ExpiredOnly,
    Force,
    Insecure,
    MarkdownPath,
    Only,
    ProfileName,
    PullRequest,
    PullRequestHead,
    PushedBy,
    Rate,
    ReportPath,
    TargetName,
    Verbose,
)
from reconciler.cli.output import err, out, setup_logging, write_file
from reconciler.cli.progress import progress
from reconciler.cli.termination import Terminated
from reconciler.config import Target, resolve_connection
from reconciler.desired import DesiredState
from reconciler.errors import InputError, RefusedError
from reconciler.escaping import printable
from reconciler.heal import Healing
from reconciler.lastseen import remember
from reconciler.lock import target_lock
from reconciler.model import Org
from reconciler.plan.model import Plan, Status
from reconciler.plan.safety import Approvals
from reconciler.plan.saved import check_connection, check_origin
from reconciler.render.managers import readable, user_names
from reconciler.render.markdown import plan_markdown, report_markdown
from reconciler.render.text import (
    in_plan_units,
    plan_text,
    plural,
    report_summary,
    unkept_notes,
)
from reconciler.scim.reader import LiveState
from reconciler.session import Pace, PlanOptions, Session, Tls, open_session, planned

PlanFile = Annotated[
    Path | None,
    typer.Argument(
        help="A plan saved with `scimctl plan --out`: apply exactly that plan, without asking.",
        metavar="[PLANFILE]",
    ),
]
AutoApprove = Annotated[
    bool,
    typer.Option("--auto-approve", help="Apply without asking (needed when not on a terminal)."),
]
Heal = Annotated[
    str | None,
    typer.Option(
        "--heal",
        metavar="REF",
        help="Apply only what drift, against the desired state at git REF (the last reviewed "
        "apply), classes as changed or missing: undo what changed behind git's back, never "
        "apply a change REF lacks (pending: named, not applied).",
    ),
]


def apply(
    plan_file: PlanFile = None,
    directory: Dir = DEFAULT_DIR,
    target: TargetName = None,
    profile: ProfileName = None,
    auto_approve: AutoApprove = False,
    only: Only = None,
    expired_only: ExpiredOnly = False,
    heal: Heal = None,
    adopt: Adopt = False,
    force: Force = False,
    allow: Allow = None,
    pull_request: PullRequest = None,
    pull_request_head: PullRequestHead = None,
    pushed_by: PushedBy = None,
    report: ReportPath = None,
    markdown: MarkdownPath = None,
    all_targets: AllTargets = False,
    verbose: Verbose = False,
    ca_bundle: CaBundle = None,
    insecure: Insecure = False,
    rate: Rate = None,
    concurrency: Concurrency = None,
) -> None:
    """Plan, show the plan, ask, then apply it; or apply a saved plan.

    A saved plan is the approval (as in Terraform): it is applied without asking,
    exactly: each row whose live resource changed since the plan was made is
    refused (and named), the others go ahead; a plan for another target or
    another desired state is refused whole.

    Exit codes: 0 applied (or nothing to do), 1 error or a change failed,
    3 refused by a safety rule (protected resource, over a limit without --force,
    stale saved plan, privileged change not approved) or a change left in conflict,
    130 interrupted (Ctrl-C), 143 stopped by SIGTERM or 129 by SIGHUP (what CI sends
    on cancel): the summary and --report say what was done and what was not.

    Approvals of privileged changes are read again here (--allow privileged, or
    --pull-request N's reviews), never taken from a saved plan. Off a terminal,
    --allow privileged approves only groups whose policy names no approvers.

    Examples:

      scimctl apply

      scimctl apply --target aws --auto-approve --report report.json

      scimctl apply --only user:alice@example.com --auto-approve

      scimctl apply --expired-only --auto-approve

      scimctl plan --out plan.json && scimctl apply plan.json
    """
    setup_logging(verbose)
    desired, targets = common.prepare(directory, target, all_targets=all_targets, profile=profile)
    if plan_file is not None and len(targets) > 1:
        raise InputError("a saved plan is for one target: drop --all-targets")
    if heal is not None and plan_file is not None:
        raise InputError("--heal makes its own plan: drop the plan file")
    baseline = Healing.at(directory, heal) if heal is not None else None
    run = _Apply(
        desired=desired,
        source=common.source_name(directory),
        plan_file=plan_file,
        profile=profile,
        tls=common.tls(ca_bundle, insecure),
        pace=Pace(rate, concurrency),
        options=PlanOptions(
            adopt=adopt, force=force, only=tuple(only or ()), expired_only=expired_only
        ),
        approving=Approving.of(allow, pull_request, pull_request_head, pushed_by),
        heal=baseline,
        auto_approve=auto_approve,
        report=report,
        markdown=markdown,
        many=len(targets) > 1,
    )
    raise typer.Exit(common.each_target(targets, run.target))


@dataclass(frozen=True)
class _Apply:
    """One apply command, run against each of its targets."""

    desired: DesiredState
    source: str
    plan_file: Path | None
    profile: str | None
    tls: Tls
    pace: Pace
    options: PlanOptions
    approving: Approving
    heal: Healing | None
    auto_approve: bool
    report: Path | None
    markdown: Path | None
    many: bool

    def target(self, chosen: Target) -> int:
        paths = (
            common.per_target(self.report, chosen, self.many),
            common.per_target(self.markdown, chosen, self.many),
        )
        if headline := common.headline(chosen):
            out.print(headline, markup=False)
        _write(Report(chosen.name, (), stopped=NOT_FINISHED), *paths)  # writable, or exit 1
        saved = self._saved(chosen)  # checked before any request: no token goes elsewhere
        approvals = self.approving.approvals(chosen.policy, os.environ)
        with (
            open_session(chosen, profile=self.profile, tls=self.tls, pace=self.pace) as session,
            target_lock(session.connection.url),  # held from the read to the last write
        ):
            live = session.read(like=self.desired.org)
            the_plan = self._plan(session, live, approvals, saved)
            shown = readable(the_plan, user_names((self.desired.org, live.org)))
            out.print(plan_text(shown, self.source), end="")
            try:
                go = self._go_ahead(the_plan, paths, Report(chosen.name, ()), shown)
            except RefusedError:
                self._record(session, the_plan, None)
                raise
            if not go:
                self._record(session, the_plan, Report(chosen.name, ()))
                return _left_undone(the_plan)
            if self.plan_file is None:
                _confirm(self.auto_approve, session)
            result = execute(session, the_plan, live.org, paths)
            self._record(session, the_plan, result)
            managed = sum(the_plan.managed.get(k, 0) for k in ("users", "groups"))
            remember(session.connection.url, managed + result.managed_delta())
        return _finish(result, the_plan, *paths)

    def _saved(self, chosen: Target) -> Plan | None:
        """The saved plan, refused whole when made for another target, desired state or
        connection (server, profile, the target's settings); None without one."""
        if self.plan_file is None:
            return None
        saved = common.read_saved_plan(self.plan_file)
        check_origin(saved, self.plan_file, chosen.name, self.desired.digest)
        connection = resolve_connection(chosen, os.environ, self.profile)
        check_connection(saved, self.plan_file, connection.binding())
        return saved

    def _record(self, session: Session, plan: Plan, report: Report | None) -> None:
        """What a whole apply did not make, for drift to name (``apply.record``); an apply
        of part of the plan (--only, --expired-only, --heal) leaves the record as it was."""
        if self.options.only or self.options.expired_only or self.heal is not None:
            return
        remember_undone(session.connection.url, held_rows(plan, report))

    def _plan(
        self, session: Session, live: LiveState, approvals: Approvals, saved: Plan | None
    ) -> Plan:
        options = replace(self.options, approvals=approvals)  # today's, never the file's
        if self.heal is not None:
            keep = self.heal.selector(session, self.desired, live)
            return planned(session, self.desired, live, options, select=keep)
        if saved is None:
            return planned(session, self.desired, live, options)
        return planned(session, self.desired, live, options, within=saved)

    def _go_ahead(
        self, plan: Plan, paths: tuple[Path | None, Path | None], nothing: Report, shown: Plan
    ) -> bool:
        """False when there is nothing to run; raises when a rule refuses the plan.

        Either way the report and Markdown files (of ``shown``, the plan as displayed)
        are still written, so CI has them."""
        try:
            _refuse_unsafe(plan, saved=self.plan_file is not None)
        except RefusedError:
            _write(nothing, *paths, plan=shown)
            raise
        if not plan.executable:
            _write(nothing, *paths, plan=shown)
            return False
        return True


def _refuse_unsafe(plan: Plan, *, saved: bool) -> None:
    if plan.violations:
        raise RefusedError(
            "the plan breaks a safety limit (see above); nothing was applied: if it is meant, "
            "apply again with --force"
        )
    refused = [c for c in plan.changes if c.status is Status.REFUSED]
    if refused and not saved:
        raise RefusedError(
            f"refused by a safety rule: {in_plan_units(refused)} (see above); nothing was applied"
        )


def _confirm(auto_approve: bool, session: Session) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise InputError("stdin is not a terminal: pass --auto-approve to apply without asking")
    answer = typer.prompt(
        f"Apply these changes to {printable(session.client.base_url)}{_named(session)}? "
        "Only 'yes' will be accepted",
        default="",
        show_default=False,
    )
    if answer.strip() != "yes":
        err.print("Apply cancelled; nothing was changed.")
        raise typer.Exit(1)


def _named(session: Session) -> str:
    return f" (target {printable(session.target.name)})"


def execute(
    session: Session,
    plan: Plan,
    live: Org,
    paths: tuple[Path | None, Path | None] = (None, None),
) -> Report:
    """Run the plan's executable changes, showing each result and the progress as they come.

    Whatever stops it (Ctrl-C, an unexpected error), the summary says what was done and
    what was not, and the report files are written, before the exception goes on."""
    started = time.monotonic()
    with progress(len(plan.executable)) as show:
        executor = Executor(
            session.client,
            session.profile,
            live,
            concurrency=session.concurrency,
            etags=session.caps.etags,
            on_outcome=show,
        )
        try:
            report = executor.run(plan)
        except BaseException as stop:
            partial = _measured(Report(plan.target, ()), session, started)
            why = _interrupted(stop) if isinstance(stop, KeyboardInterrupt) else _unexpected(stop)
            partial = stopped_report(partial, plan.executable, list(executor.outcomes), why)
            _stopped(partial, *paths)
            raise
    return _measured(report, session, started)


def _measured(report: Report, session: Session, started: float) -> Report:
    client = session.client
    return replace(
        report,
        requests=client.requests_sent,
        seconds=report.seconds or time.monotonic() - started,
        retries=client.retries,
        throttled=client.throttled,
    )


def _interrupted(stop: KeyboardInterrupt) -> str:
    return f"interrupted by {stop.name}" if isinstance(stop, Terminated) else "interrupted"


def _unexpected(error: BaseException) -> str:
    return f"by an unexpected error: {type(error).__name__}"


def _stopped(report: Report, path: Path | None, markdown: Path | None) -> None:
    out.print(report_summary(report))
    try:
        _write(report, path, markdown)
    except InputError as error:
        err.print(f"could not write the report: {error}", markup=False)
        return
    for written in (path, markdown):
        if written is not None:
            err.print(f"The report of what was done is in {written}.", markup=False)


NOT_FINISHED = "not finished: written as the apply started, replaced when it ends"
"""Why the report written before anything else says the apply stopped: a run killed
before it could write its own (SIGKILL) leaves that, never an older run's report. Writing
it first also proves the files can be written before the first write to the server."""


def _write(
    result: Report,
    path: Path | None,
    markdown: Path | None,
    *,
    plan: Plan | None = None,
    warnings: tuple[str, ...] = (),
) -> None:
    """The JSON report, and the Markdown: of the report (with the plan's ``warnings``), or
    of the plan when nothing ran."""
    if path is not None:
        write_file(path, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    if markdown is not None:
        text = (
            plan_markdown(plan) if plan is not None else report_markdown(result, warnings=warnings)
        )
        write_file(markdown, text + "\n")


def _finish(result: Report, plan: Plan, path: Path | None, markdown: Path | None) -> int:
    result = replace(result, refused=tuple(c for c in plan.changes if c.status is Status.REFUSED))
    out.print(report_summary(result))
    for note in unkept_notes(result):
        out.print(Text(note, style="yellow"))
    _write(result, path, markdown, warnings=plan.warnings)
    if result.failed:
        return 1
    return _left_undone(plan)


def _left_undone(plan: Plan) -> int:
    """3, with a line saying why, when rows were refused (a saved plan's, stale or not
    allowed now) or left in conflict: git is not realised, so it is never a success,
    even when nothing else was left to apply."""
    refused = [c for c in plan.changes if c.status is Status.REFUSED]
    if refused:
        err.print(
            f"Refused from the saved plan: {in_plan_units(refused)} (see above: changed "
            "since the plan, or not allowed now); plan again."
        )
        return 3
    return _unrealised(plan)


def _unrealised(plan: Plan) -> int:
    """3 when a change is left in conflict, with the reason; else 0."""
    conflicts = [c for c in plan.changes if c.status is Status.CONFLICT]
    if not conflicts:
        return 0
    names = ", ".join(printable(c.address) for c in conflicts[:5])
    more = f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""
    err.print(
        f"Not applied: {plural(len(conflicts), 'change')} in conflict ({names}{more}); each "
        "row above says how to resolve it (an unmanaged resource that holds the name: "
        "--adopt, or policy adopt: true). Git is not realised until then: exit 3.",
        markup=False,
    )
    return 3
