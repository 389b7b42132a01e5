"""scimctl drift: what changed on the server behind git's back."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from reconciler.apply.record import undone
from reconciler.cli import common
from reconciler.cli.options import (
    DEFAULT_DIR,
    AllTargets,
    CaBundle,
    Concurrency,
    Dir,
    Format,
    Insecure,
    MarkdownPath,
    ProfileName,
    Rate,
    ReportPath,
    TargetName,
    Verbose,
)
from reconciler.cli.output import echo, out, setup_logging, writable, write_file
from reconciler.config import Target
from reconciler.desired import DesiredState
from reconciler.desired.baseline import load_baseline
from reconciler.drift import Baseline, DriftClass, addresses, classify, with_undone
from reconciler.errors import InputError
from reconciler.escaping import printable
from reconciler.render.drift import drift_markdown, drift_text
from reconciler.scim.reader import LiveState
from reconciler.session import Pace, Session, desired_for, open_session, planned

DEFAULT_FAIL_ON = "changed,missing,refused,overdue"
FailOn = Annotated[
    str,
    typer.Option(
        "--fail-on",
        help="Comma-separated classes that count as drift (exit 2): changed, missing, "
        "pending, refused, unmanaged, overdue.",
    ),
]
BaselineRef = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        help="Git ref of the applied desired state; differences it lacks are 'pending'. "
        "Default: HEAD inside a git repository, none outside one. Empty: no baseline "
        "(everything absent is 'missing'). A ref given outside a git repository is an error.",
    ),
]


def drift(
    directory: Dir = DEFAULT_DIR,
    target: TargetName = None,
    profile: ProfileName = None,
    fmt: Format = "text",
    fail_on: FailOn = DEFAULT_FAIL_ON,
    baseline: BaselineRef = None,
    report: ReportPath = None,
    markdown: MarkdownPath = None,
    all_targets: AllTargets = False,
    verbose: Verbose = False,
    ca_bundle: CaBundle = None,
    insecure: Insecure = False,
    rate: Rate = None,
    concurrency: Concurrency = None,
) -> None:
    """Compare the server to git and classify what differs; change nothing.

    Classes: changed (out of band), missing (deleted on the server), pending (in
    the desired state, not applied: differences the --baseline commit lacks, or that
    the last apply did not make), refused (in the desired state, refused by a rule at
    the last apply), unmanaged (no ownership marker), overdue (temporary access past
    its end). What the last apply refused or did not make is read from its record,
    kept beside the last-seen records (SCIMCTL_CACHE_DIR).

    Exit codes: 0 clean, 2 drift (of the --fail-on classes), 1 error.

    Examples:

      scimctl drift

      scimctl drift --target aws --format markdown --fail-on changed,missing,unmanaged
    """
    setup_logging(verbose)
    classes = _classes(fail_on)
    desired, targets = common.prepare(
        directory, target, fmt, all_targets=all_targets, profile=profile
    )
    ref = "HEAD" if baseline is None else baseline
    base = load_baseline(directory, ref) if ref else None
    if base is None and baseline:
        raise InputError(
            f"--baseline {printable(baseline)!r}: {printable(str(directory))} is not in a git "
            "repository, so there is no commit to compare with; drop --baseline (or pass "
            "--baseline '') to compare with the desired state as it is"
        )
    security = common.tls(ca_bundle, insecure)
    pace = Pace(rate, concurrency)
    many = len(targets) > 1

    def one(chosen: Target) -> int:
        writable([common.per_target(p, chosen, many) for p in (report, markdown)])
        with open_session(chosen, profile=profile, tls=security, pace=pace) as session:
            live = session.read(like=desired.org)
            current = planned(session, desired, live)
            reference = _baseline(session, base, live, ref) if base is not None else None
            record = undone(session.connection.url)
        wanted = addresses(desired_for(chosen, desired))
        result = classify(current, live.org, wanted, reference)
        if record is not None:
            result = with_undone(result, record)
        if fmt == "json":
            echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        elif fmt == "markdown":
            echo(drift_markdown(result))
        else:
            out.print(drift_text(result), end="")
        if (path := common.per_target(report, chosen, many)) is not None:
            write_file(path, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        if (path := common.per_target(markdown, chosen, many)) is not None:
            write_file(path, drift_markdown(result) + "\n")
        return 2 if result.drifted(classes) else 0

    raise typer.Exit(common.each_target(targets, one))


def _baseline(session: Session, base: DesiredState, live: LiveState, ref: str) -> Baseline:
    return Baseline(ref, planned(session, base, live), addresses(desired_for(session.target, base)))


def _classes(text: str) -> tuple[DriftClass, ...]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    known = {c.value for c in DriftClass}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(
            f"--fail-on: unknown class {unknown[0]!r} (use {', '.join(sorted(known))})"
        )
    return tuple(DriftClass(n) for n in names)
